"""Tests for reading the chair's decision strictly, one verdict per consultation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailflow.domain import ConsultationRef, Verdict
from mailflow.parsing.decisions import parse_decisions

GIFT = ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託")
SICK = ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託")
BOTH = (GIFT, SICK)
SEED_CONDITIONS = "仕様書への追記等指摘事項の実施をお願いし"


def verdicts(
    text: str, refs: tuple[ConsultationRef, ...] = BOTH
) -> list[tuple[str | None, Verdict]]:
    return [(d.consultation, d.verdict) for d in parse_decisions(text, refs)]


def test_the_seed_decisions_as_the_chair_would_mail_them() -> None:
    text = (
        "お世話になっております。青木です。\n\n"
        "○「子育て応援ギフトセット配布業務委託」について、諮問どおり行うことを「可」とする。\n"
        "仕様書への追記等指摘事項の実施をお願いし、本件を可とする。\n\n"
        "○「病児保育予約システム使用委託」について、諮問どおり行うことを「可」とする。\n"
        "仕様書への追記等指摘事項の実施をお願いし、本件を可とする。\n\n"
        "以上、よろしくお願いいたします。\n"
    )
    decisions = parse_decisions(text, BOTH)
    assert [(d.consultation, d.verdict, d.conditions) for d in decisions] == [
        ("13", Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
        ("14", Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
    ]
    assert decisions[0].text.startswith("○「子育て応援ギフトセット配布業務委託」について")
    assert "本件を可とする。" in decisions[0].text


def test_the_decision_form_one_line_per_consultation() -> None:
    text = "諮問第１３号：条件付き可（条件：仕様書への追記等指摘事項の実施）\n諮問第１４号：可\n"
    decisions = parse_decisions(text, BOTH)
    assert [(d.verdict, d.conditions) for d in decisions] == [
        (Verdict.APPROVE_WITH_CONDITIONS, "仕様書への追記等指摘事項の実施"),
        (Verdict.APPROVE, None),
    ]
    assert decisions[1].text == "諮問第１４号：可"


def test_conditions_on_the_line_below() -> None:
    text = "【13】条件付き可\n条件：別記様式の名称を整えること。\n【14】可\n"
    decisions = parse_decisions(text, BOTH)
    assert decisions[0].verdict is Verdict.APPROVE_WITH_CONDITIONS
    assert decisions[0].conditions == "別記様式の名称を整えること"


@pytest.mark.parametrize(
    "bare", ["同意します。", "了解です。", "賛成です。", "可とします。", "承知しました。"]
)
def test_a_bare_agreement_over_two_consultations_is_not_a_decision(bare: str) -> None:
    assert verdicts(f"お世話になっております。\n{bare}\n青木\n") == [
        ("13", Verdict.UNCLEAR),
        ("14", Verdict.UNCLEAR),
    ]


def test_with_one_consultation_a_bare_approval_is_enough_but_agreement_is_not() -> None:
    assert verdicts("可とします。", (GIFT,)) == [("13", Verdict.APPROVE)]
    assert verdicts("同意します。", (GIFT,)) == [("13", Verdict.UNCLEAR)]


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("第13号は可とはできない。", Verdict.REJECT),
        ("第13号は否とする。", Verdict.REJECT),
        ("13号：否", Verdict.REJECT),
        ("13号：不可", Verdict.REJECT),
        ("13号は承認できません。", Verdict.REJECT),
        ("13号：承認", Verdict.APPROVE),
        ("13号は了承します。", Verdict.APPROVE),
        ("13号は異議なし。", Verdict.APPROVE),
        ("13号：原案どおり", Verdict.APPROVE),
        ("【13】諮問どおり可とする", Verdict.APPROVE),
        ("13号：可", Verdict.APPROVE),
        ("13号は可能な限り早く", Verdict.UNCLEAR),
        ("13号：条件付き可", Verdict.UNCLEAR),  # conditions are required
    ],
)
def test_fixed_words(line: str, verdict: Verdict) -> None:
    assert verdicts(f"{line}\n14号：可\n")[0] == ("13", verdict)


def test_a_condition_that_mentions_impossibility_is_not_a_rejection() -> None:
    text = (
        "13号について、復元不可能な状態での廃棄を仕様書に明記することを条件に、本件を可とする。\n"
    )
    decision = parse_decisions(text, BOTH)[0]
    assert decision.verdict is Verdict.APPROVE_WITH_CONDITIONS
    assert decision.conditions == "復元不可能な状態での廃棄を仕様書に明記することを条件に"


def test_both_named_on_one_line() -> None:
    assert verdicts("13号、14号ともに可とします。") == [
        ("13", Verdict.APPROVE),
        ("14", Verdict.APPROVE),
    ]
    assert verdicts("両件とも諮問どおり可とします。") == [
        ("13", Verdict.APPROVE),
        ("14", Verdict.APPROVE),
    ]


def test_contradicting_verdicts_for_one_consultation_are_unclear() -> None:
    decisions = parse_decisions("13号：可\n13号：否\n14号：可\n", BOTH)
    assert decisions[0].verdict is Verdict.UNCLEAR
    assert decisions[0].text == "13号：可\n13号：否"
    assert decisions[1].verdict is Verdict.APPROVE


def test_a_missing_consultation_is_unclear() -> None:
    assert verdicts("諮問第13号：可\n") == [("13", Verdict.APPROVE), ("14", Verdict.UNCLEAR)]


def test_a_heading_for_a_consultation_not_in_the_round_decides_nothing() -> None:
    assert verdicts("第15号：可\n", (GIFT,)) == [("13", Verdict.UNCLEAR)]


def test_title_names_the_consultation() -> None:
    assert verdicts("病児保育について：可\n子育て応援ギフトについて：否とする\n") == [
        ("13", Verdict.REJECT),
        ("14", Verdict.APPROVE),
    ]


def test_a_decision_sentence_hard_wrapped_by_the_client() -> None:
    text = (
        "○「子育て応援ギフトセット配布業務委託」について、仕様書への追記等指摘事項\n"
        "の実施をお願いし、本件を可とする。\n"
        "○「病児保育予約システム使用委託」について、仕様書への追記等指摘事項の実施\n"
        "をお願いし、本件を可とする。\n"
    )
    decisions = parse_decisions(text, BOTH)
    assert [(d.verdict, d.conditions) for d in decisions] == [
        (Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
        (Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
    ]


@given(
    st.text(
        alphabet=st.sampled_from(list("13号第【】：可否条件付き（）承認異議なし。、\n ○")),
        max_size=200,
    )
)
def test_any_text_gives_one_decision_per_consultation(text: str) -> None:
    decisions = parse_decisions(text, BOTH)
    assert [d.consultation for d in decisions] == ["13", "14"]
    for d in decisions:
        assert (d.conditions is not None) == (d.verdict is Verdict.APPROVE_WITH_CONDITIONS)


# Free wording, as chairs write it without the form (our own sentences, not a corpus's).
PARK = ConsultationRef("7", "令和5年度諮問第7号", "公園利用者アンケートの集計委託")
BUS = ConsultationRef("8", "令和5年度諮問第8号", "コミュニティバス乗降データの分析")
LIB = ConsultationRef("9", "令和5年度諮問第9号", "図書館利用券の電子化")
THREE = (PARK, BUS, LIB)


@pytest.mark.parametrize(
    "line",
    [
        "第7号は不承認とします。",
        "7号：否",
        "第7号については否とする。",
        "第7号は承認しないこととします。",
        "第7号は承認できません。",
        "第7号は、現時点では可とすることはできない。",
        "第7号は可とすることは、できません。",
        "第7号については認められない。",
        "第7号には反対します。",
        "第7号は了承しかねます。",
        "第7号の可決はできない。",
        "第7号は異議あり。",
        "第7号：条件付きでも可とはできない。",
    ],
)
def test_negated_verdicts_reject(line: str) -> None:
    got = verdicts(f"{line}\n第8号：可\n第9号：可\n", THREE)
    assert got[0] == ("7", Verdict.REJECT)
    assert got[1:] == [("8", Verdict.APPROVE), ("9", Verdict.APPROVE)]


def test_a_reject_among_approvals_on_one_line() -> None:
    assert verdicts("第8号は否、その他は可とします。", THREE) == [
        ("7", Verdict.APPROVE),
        ("8", Verdict.REJECT),
        ("9", Verdict.APPROVE),
    ]


def test_each_consultation_its_own_verdict_on_one_line() -> None:
    decisions = parse_decisions(
        "7号は可、8号は条件付きで可。条件は、乗降データを個人単位で保存しないこと。\n9号も可。",
        THREE,
    )
    assert [(d.verdict, d.conditions) for d in decisions] == [
        (Verdict.APPROVE, None),
        (Verdict.APPROVE_WITH_CONDITIONS, "乗降データを個人単位で保存しないこと"),
        (Verdict.APPROVE, None),
    ]


def test_a_range_of_consultations() -> None:
    assert verdicts("諮問第7号から第9号まで、3件とも異議ありません。", THREE) == [
        ("7", Verdict.APPROVE),
        ("8", Verdict.APPROVE),
        ("9", Verdict.APPROVE),
    ]


def test_a_heading_then_conditions_as_a_list() -> None:
    text = (
        "会長の森です。答申は次のとおりです。\n\n"
        "諮問第7号\n条件付き承認：\n"
        "・集計後の回答票を速やかに溶解処分すること。\n"
        "・委託先に再委託を認めないこと。\n\n"
        "諮問第8号\n承認しない。分析の目的が諮問書から読み取れないため。\n\n"
        "諮問第9号\n条件付きで可とする。\n利用券の番号を外部に提供しないこと。\n\n"
        "以上、よろしくお願いします。\n"
    )
    decisions = parse_decisions(text, THREE)
    assert [d.verdict for d in decisions] == [
        Verdict.APPROVE_WITH_CONDITIONS,
        Verdict.REJECT,
        Verdict.APPROVE_WITH_CONDITIONS,
    ]
    assert decisions[0].conditions == (
        "・集計後の回答票を速やかに溶解処分すること。\n・委託先に再委託を認めないこと。"
    )
    assert decisions[2].conditions == "利用券の番号を外部に提供しないこと。"


def test_conditions_under_their_own_heading_after_a_table() -> None:
    text = (
        "諮問案件\t答申\n第７号\t可\n第８号\t条件付き可\n第９号\t可\n\n"
        "第８号の条件\n・分析結果は統計として公表すること。\n\n以上\n"
    )
    decisions = parse_decisions(text, THREE)
    assert [d.verdict for d in decisions] == [
        Verdict.APPROVE,
        Verdict.APPROVE_WITH_CONDITIONS,
        Verdict.APPROVE,
    ]
    assert decisions[1].conditions == "・分析結果は統計として公表すること。"


def test_a_deferral_decides_nothing() -> None:
    text = (
        "第7号と第8号は可とします。\n"
        "第9号は、追加の回答を見てから判断したいので、保留とさせてください。\n"
    )
    assert verdicts(text, THREE) == [
        ("7", Verdict.APPROVE),
        ("8", Verdict.APPROVE),
        ("9", Verdict.UNCLEAR),
    ]


def test_approval_in_other_words() -> None:
    assert verdicts("いずれも原案のとおり了承いたします。", THREE) == [
        (k, Verdict.APPROVE) for k in ("7", "8", "9")
    ]
    assert verdicts("第7号は承認して差し支えないと考えます。\n", (PARK,)) == [
        ("7", Verdict.APPROVE)
    ]


def test_a_noun_is_no_verdict() -> None:
    # 承認手順, 可能, 可否: the words occur, but nothing is decided.
    text = "第7号については、承認手順と可否の判断基準が可能な限り示されるとよいと思います。\n"
    assert verdicts(text, THREE)[0] == ("7", Verdict.UNCLEAR)


def test_a_double_negative_goes_to_staff() -> None:
    assert verdicts("第7号は否とはしない。\n", (PARK,)) == [("7", Verdict.UNCLEAR)]


def test_the_form_filled_in_the_quote_counts_only_where_the_reply_is_silent() -> None:
    form = "諮問第7号：否\n諮問第8号：条件付き可（条件：目的を公表すること）\n諮問第9号：可\n"
    decisions = parse_decisions("第9号は否とします。", THREE, form=form)
    assert [(d.verdict, d.conditions) for d in decisions] == [
        (Verdict.REJECT, None),
        (Verdict.APPROVE_WITH_CONDITIONS, "目的を公表すること"),
        (Verdict.REJECT, None),
    ]


def test_english_verdicts() -> None:
    text = "No. 7: approved.\nNo. 8: we cannot approve this.\nNo. 9: rejected.\n"
    assert verdicts(text, THREE) == [
        ("7", Verdict.APPROVE),
        ("8", Verdict.REJECT),
        ("9", Verdict.REJECT),
    ]


_NAMES_OF_7 = [
    "諮問第7号",
    "第７号",
    "7号",
    "【7】",
    "公園利用者アンケートの集計委託",
    "令和5年度諮問第7号",
]
_JOINERS = ["は", "については、", "：", "について、", "\n", "　"]
_NEGATED = [
    "不承認とする",
    "否",
    "否とします",
    "承認しない",
    "承認できません",
    "承認することはできない",
    "可とできない",
    "可とはできません",
    "可とすることは、できない",
    "認められない",
    "反対します",
    "了承しかねます",
    "不可",
    "可とは言えない",
    "異議があります",
]
_NOISE = [
    "第8号は可とします。",
    "いずれも可とします。",
    "その他は可。",
    "第9号：条件付き可（条件：番号を外部に出さないこと）",
    "承認します。",
    "原案のとおり了承します。",
    "よろしくお願いします。",
    "以上",
    "条件：ログを保存すること。",
    "",
]


@given(
    name=st.sampled_from(_NAMES_OF_7),
    joiner=st.sampled_from(_JOINERS),
    negated=st.sampled_from(_NEGATED),
    reason=st.sampled_from(["", "。", "。理由は次のとおりです。", "（目的が不明確なため）。"]),
    before=st.lists(st.sampled_from(_NOISE), max_size=3),
    after=st.lists(st.sampled_from(_NOISE), max_size=3),
)
def test_a_negated_verdict_is_never_read_as_approval(
    name: str, joiner: str, negated: str, reason: str, before: list[str], after: list[str]
) -> None:
    text = "\n".join([*before, f"{name}{joiner}{negated}{reason}", *after])
    decision = parse_decisions(text, THREE)[0]
    assert decision.verdict not in (Verdict.APPROVE, Verdict.APPROVE_WITH_CONDITIONS), text


# Conditions stated apart from the verdict word, sentence by sentence.
def conditions_of(text: str) -> list[tuple[str | None, Verdict, str | None]]:
    return [(d.consultation, d.verdict, d.conditions) for d in parse_decisions(text, THREE)]


def test_a_later_sentence_makes_one_consultation_conditional() -> None:
    got = conditions_of(
        "三件とも承認いたします。なお第9号は、旧カードの併用期間を設けることを条件とします。"
    )
    assert got == [
        ("7", Verdict.APPROVE, None),
        ("8", Verdict.APPROVE, None),
        ("9", Verdict.APPROVE_WITH_CONDITIONS, "旧カードの併用期間を設けること"),
    ]


def test_an_approval_that_goes_on_with_an_instruction_is_conditional() -> None:
    got = conditions_of(
        "第7号及び第8号は可とします。第9号は可としますが、窓口での発行も続けること。"
    )
    assert got == [
        ("7", Verdict.APPROVE, None),
        ("8", Verdict.APPROVE, None),
        ("9", Verdict.APPROVE_WITH_CONDITIONS, "窓口での発行も続けること"),
    ]


def test_an_instruction_on_the_next_line_binds_what_was_just_decided() -> None:
    got = conditions_of("いずれも承認とします。\nただし、契約締結後に委員へ報告すること。\n")
    assert got == [
        (k, Verdict.APPROVE_WITH_CONDITIONS, "契約締結後に委員へ報告すること") for k in "789"
    ]


def test_a_condition_in_brackets_after_the_verdict() -> None:
    got = conditions_of("第8号：条件付き承認（個人が特定されない形で集計すること）\n他の二件は可\n")
    assert got == [
        ("7", Verdict.APPROVE, None),
        ("8", Verdict.APPROVE_WITH_CONDITIONS, "個人が特定されない形で集計すること"),
        ("9", Verdict.APPROVE, None),
    ]


def test_a_full_stop_inside_brackets_does_not_end_the_sentence() -> None:
    got = conditions_of(
        "第7号は条件付きで可（報告書は公開する。個人名は伏せる。）とする。\n第8号、第9号は可。\n"
    )
    assert got[0][:2] == ("7", Verdict.APPROVE_WITH_CONDITIONS)
    assert got[0][2] is not None and "個人名は伏せる" in got[0][2]
    assert got[1:] == [("8", Verdict.APPROVE, None), ("9", Verdict.APPROVE, None)]


def test_one_condition_does_not_leak_to_the_others() -> None:
    got = conditions_of("全件可とする。ただし第7号は、回答者の属性を集計から外すことを条件とする。")
    assert [c for _, _, c in got] == [
        "回答者の属性を集計から外すこと",
        None,
        None,
    ]


def test_a_negation_inside_the_bracketed_condition_is_not_the_verdict() -> None:
    got = conditions_of("第9号：条件付き可（紙の利用券を廃止しないこと）\n第7号、第8号：可\n")
    assert got[2] == ("9", Verdict.APPROVE_WITH_CONDITIONS, "紙の利用券を廃止しないこと")
    got = conditions_of("第9号は承認（但し、貸出履歴は保存しない）。\nその他は可\n")
    assert got[2] == ("9", Verdict.APPROVE_WITH_CONDITIONS, "貸出履歴は保存しない")
    # A negation after the brackets is the verdict's own.
    assert verdicts("第9号は承認（詳細は別紙）できません。\n他は可\n", THREE)[2] == (
        "9",
        Verdict.REJECT,
    )


@pytest.mark.parametrize(
    "rest", ["他は可", "ほかも可とします", "他の二件は可", "残る2件は承認", "残り二件とも可"]
)
def test_the_rest_in_other_words(rest: str) -> None:
    assert verdicts(f"第8号：不承認\n{rest}\n", THREE) == [
        ("7", Verdict.APPROVE),
        ("8", Verdict.REJECT),
        ("9", Verdict.APPROVE),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "第7号を可とするのは難しいと考えます。",
        "第7号は可とすることを見合わせます。",
        "第7号は、承認するには至りませんでした。",
        "第7号は承認を見送ることとします。",
        "No. 7: we don't approve it.",
        "We are unable to approve No. 7.",
    ],
)
def test_declining_in_other_words_rejects(line: str) -> None:
    got = verdicts(f"{line}\n第8号：可\n第9号：可\n", THREE)
    assert got[0] == ("7", Verdict.REJECT)


def test_a_wish_followed_by_but_decides_nothing() -> None:
    got = verdicts(
        "第7号は承認したいところですが、費用の根拠を再度伺いたい。\n第8号、第9号は可\n", THREE
    )
    assert got[0] == ("7", Verdict.UNCLEAR)
    assert got[1:] == [("8", Verdict.APPROVE), ("9", Verdict.APPROVE)]


def test_an_instruction_to_put_off_is_a_condition_not_a_rejection() -> None:
    got = conditions_of("第7号は承認とします。ただし、年度内の有料化は見送ること。\n他の二件は可\n")
    assert got[0] == ("7", Verdict.APPROVE_WITH_CONDITIONS, "年度内の有料化は見送ること")


@pytest.mark.parametrize(
    "text",
    [
        "I approve No. 7 and No. 9; I reject No. 8.",
        "Approved: No. 7, No. 9. Rejected: No. 8.",
        "We cannot approve No. 8, the rest are approved.",
        "可とする：第7号、第9号\n否とする：第8号",
    ],
)
def test_the_verdict_before_the_consultations_it_names(text: str) -> None:
    assert verdicts(text, THREE) == [
        ("7", Verdict.APPROVE),
        ("8", Verdict.REJECT),
        ("9", Verdict.APPROVE),
    ]
