"""Text parts made plain: HTML to lines (htmltext.html_to_text) and format=flowed (unflow)."""

from __future__ import annotations

from mailflow.parsing.htmltext import html_to_text, unflow


def test_outlook_html_without_its_conditional_junk() -> None:
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
        "<style>p.MsoNormal{margin:0mm}</style><!--[if gte mso 9]><xml><o:shapedefaults "
        'v:ext="edit" spidmax="1026" /></xml><![endif]--></head><body>'
        "<div class=WordSection1><p class=MsoNormal>事務局御中<o:p></o:p></p>"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>①&nbsp;質問です。<o:p></o:p></p></div></body></html>"
    )
    text = html_to_text(html)
    assert "spidmax" not in text and "MsoNormal" not in text
    assert text.split("\n")[0] == "事務局御中"
    assert "① 質問です。" in text.split("\n")


def test_list_items_keep_the_authors_bullets() -> None:
    html = "<ul><li>●一つ目</li><li>①二つ目</li><li>（１）三つ目</li><li>四つ目</li></ul>"
    assert html_to_text(html).split("\n") == ["●一つ目", "①二つ目", "（１）三つ目", "* 四つ目", ""]


def test_blank_runs_collapse_and_empty_html_is_empty() -> None:
    assert html_to_text("<p>a</p><br><br><br><br><p>b</p>") == "a\n\nb\n"
    assert html_to_text("   ") == ""


def test_unflow_delsp_joins_japanese_without_spaces() -> None:
    assert unflow("受託者が作業の \n記録を残す。", delsp=True) == "受託者が作業の記録を残す。"


def test_unflow_without_delsp_keeps_the_space() -> None:
    assert unflow("Dear secretariat, \nthanks.", delsp=False) == "Dear secretariat, thanks."


def test_unflow_keeps_quote_depths_apart_and_signature_separator() -> None:
    text = "> quoted \n> more\nmine \nalso\n-- \nsig"
    assert unflow(text, delsp=False) == "> quoted more\nmine also\n-- \nsig"


def test_unflow_removes_space_stuffing() -> None:
    assert unflow(" From here\n >not a quote", delsp=False) == "From here\n>not a quote"


def test_unflow_changes_nothing_in_fixed_lines() -> None:
    text = "①一行目\n②二行目\n"
    assert unflow(text, delsp=True) == text
