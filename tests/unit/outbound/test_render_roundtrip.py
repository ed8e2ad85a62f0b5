"""The forms in our mails, filled in as people do and sent back as real mail, parse back right.

Each test renders a mail, lets a member, the chair or a department answer it the way
their client makes them (top-posted with the thread quoted, or inline under the quoted
questions, or an Outlook thread without ">"), builds the reply's bytes with the
standard library in the charset such clients use, and reads it with mailflow.parsing.
"""

from __future__ import annotations

import io
from datetime import datetime
from email.message import EmailMessage

import openpyxl
import pytest

from mailflow.domain import ItemKind, Phase, Verdict
from mailflow.outbound.compose import compose
from mailflow.outbound.model import OutgoingMail
from mailflow.outbound.render import answer_sheet_for, render_mail
from mailflow.parsing.decisions import parse_decisions
from mailflow.parsing.pipeline import parse_mail
from mailflow.parsing.reply_form import FORM_END, FORM_START, PLACEHOLDER
from tests.harness.clients import STYLES
from tests.unit.outbound import seed_views as seed

REFS = [c.ref for c in seed.CONSULTATIONS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def gmail_quote(original: str) -> str:
    header = "2021年1月7日(木) 9:12 個人情報保護運営審議会 <shingikai@city.example.jp>:"
    quoted = "\n".join(f"> {line}" if line else ">" for line in original.splitlines())
    return f"{header}\n\n{quoted}\n"


def outlook_quote(original: str, subject: str) -> str:
    return (
        "-----Original Message-----\n"
        "From: 個人情報保護運営審議会 <shingikai@city.example.jp>\n"
        "Sent: Thursday, January 7, 2021 9:12 AM\n"
        "To: someone@city.example.jp\n"
        f"Subject: {subject}\n\n{original}"
    )


def reply_bytes(
    body: str, subject: str, *, charset: str = "utf-8", xlsx: bytes | None = None
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "返信者 <reply@example.jp>"
    msg["To"] = "shingikai+token@city.example.jp"
    msg["Subject"] = f"Re: {subject}"
    msg["Message-ID"] = "<reply-1@example.jp>"
    msg.set_content(body, charset=charset)
    if xlsx is not None:
        msg.add_attachment(
            xlsx, maintype="application", subtype=XLSX.split("/")[1], filename="回答票.xlsx"
        )
    return msg.as_bytes()


def the_form(text: str) -> str:
    """The reply form as a member copies it to the top of the reply."""
    start = text.index(FORM_START)
    return text[start : text.index(FORM_END) + len(FORM_END)]


def fill(form: str, answers: dict[str, str]) -> str:
    """Write under each ■ heading in place of its placeholder, as a member would."""
    lines: list[str] = []
    heading = ""
    for line in form.splitlines():
        if line.startswith("■"):
            heading = line
        if line == PLACEHOLDER:
            lines.append(answers.get(heading[1:].split()[0], line))
        else:
            lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_filled_call_for_questions_parses_back_to_items(lang: str) -> None:
    mail = render_mail(seed.call_for_questions(), lang, seed.JST)
    filled = fill(
        the_form(mail.text),
        {
            "諮問第13号": f"● {seed.Q13_01}\n● {seed.Q13_02}",
            "諮問第14号": f"・{seed.Q14_03}",
        },
    )
    body = f"お世話になっております。石田です。\n\n{filled}\n\nよろしくお願いいたします。\n\n"
    # Japanese clients send ① (in the quoted schedule) as CP932 or UTF-8.
    charset = "cp932" if lang == "ja" else "iso-2022-jp"
    raw = reply_bytes(body + gmail_quote(mail.text), mail.subject, charset=charset)
    reply = parse_mail(raw, REFS).reply
    assert reply is not None and not reply.empty_reply
    got = [(i.consultation, i.kind, i.text) for i in reply.items]
    assert got == [
        ("13", ItemKind.QUESTION, seed.Q13_01),
        ("13", ItemKind.QUESTION, seed.Q13_02),
        ("14", ItemKind.REQUEST, seed.Q14_03),
    ]


def test_untouched_form_and_nothing_to_say_is_an_empty_reply() -> None:
    mail = render_mail(seed.call_for_questions(), "ja", seed.JST)
    filled = fill(the_form(mail.text), {"諮問第13号": "特になし", "諮問第14号": "特になし"})
    raw = reply_bytes(f"{filled}\n\n{outlook_quote(mail.text, mail.subject)}", mail.subject)
    reply = parse_mail(raw, REFS).reply
    assert reply is not None and reply.empty_reply and reply.items == ()


def test_a_bare_reply_with_the_form_quoted_parses_nothing_from_the_form() -> None:
    # The member writes a line on top; the quoted form's headings and placeholders
    # must not become items.
    mail = render_mail(seed.call_for_questions(), "ja", seed.JST)
    raw = reply_bytes(f"諮問第14号について\n・{seed.Q14_02}\n\n{gmail_quote(mail.text)}", "x")
    reply = parse_mail(raw, REFS).reply
    assert reply is not None
    assert [(i.consultation, i.text) for i in reply.items] == [("14", seed.Q14_02)]


def test_further_opinion_names_the_item_it_follows() -> None:
    mail = render_mail(seed.call_for_further(), "ja", seed.JST)
    assert "諮問第13号の番号：Q13-01～Q13-04（4件）" in mail.text
    opinion = "[Q13-01]について、専用ソフトは事後ではなく委託時に必ず確認すること。"
    filled = fill(the_form(mail.text), {"諮問第13号": opinion, "諮問第14号": "特になし"})
    raw = reply_bytes(f"{filled}\n\n{gmail_quote(mail.text)}", mail.subject, charset="cp932")
    reply = parse_mail(raw, REFS).reply
    assert reply is not None
    assert [(i.consultation, i.follows, i.text) for i in reply.items] == [("13", "Q13-01", opinion)]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_chair_fills_the_decision_form_on_top(lang: str) -> None:
    mail = render_mail(seed.chair_digest(), lang, seed.JST)
    form_start = mail.text.index("――― 答申欄（")
    form = mail.text[form_start : mail.text.index("――― 答申欄ここまで ―――", form_start) + 13]
    filled = form.replace(
        "諮問第13号：\n", f"諮問第13号：条件付き可（条件：{seed.CONDITIONS}）\n"
    ).replace("諮問第14号：\n", "諮問第14号：可\n")
    body = f"事務局 御中\n\n答申します。\n\n{filled}\n\n青木\n\n{gmail_quote(mail.text)}"
    decisions = parse_mail(reply_bytes(body, mail.subject), REFS, role="chair").decisions
    assert decisions is not None
    assert [(d.consultation, d.verdict, d.conditions) for d in decisions] == [
        ("13", Verdict.APPROVE_WITH_CONDITIONS, seed.CONDITIONS),
        ("14", Verdict.APPROVE, None),
    ]


def test_chair_answering_one_consultation_leaves_the_other_unclear() -> None:
    mail = render_mail(seed.decision_reask(), "ja", seed.JST)
    body = f"諮問第14号：否\n\n{outlook_quote(mail.text, mail.subject)}"
    decisions = parse_mail(reply_bytes(body, mail.subject), REFS, role="chair").decisions
    assert decisions is not None
    assert [d.verdict for d in decisions] == [Verdict.UNCLEAR, Verdict.REJECT]


def test_bare_agreement_under_the_digest_is_not_a_decision() -> None:
    mail = render_mail(seed.chair_digest(), "ja", seed.JST)
    body = f"同意します。\n\n{outlook_quote(mail.text, mail.subject)}"
    decisions = parse_mail(reply_bytes(body, mail.subject), REFS, role="chair").decisions
    assert decisions is not None
    assert [d.verdict for d in decisions] == [Verdict.UNCLEAR, Verdict.UNCLEAR]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_decision_echo_reads_back_as_the_same_decisions(lang: str) -> None:
    text = render_mail(seed.decision_echo(), lang, seed.JST).text
    echoed = "\n".join(line for line in text.splitlines() if line.startswith("諮問第"))
    parsed = parse_decisions(echoed, REFS)
    assert [(d.consultation, d.verdict, d.conditions) for d in parsed] == [
        (d.consultation.key, d.verdict, d.conditions) for d in seed.decisions()
    ]


ANSWERS = {
    "Q13-01": seed.A13_01,
    "Q13-02": seed.A13_02,
    "Q13-03": seed.A13_03,
    "Q13-04": seed.A13_04,
}
IDS = list(ANSWERS)


def answer_inline(bundle_text: str, label: str, answers: dict[str, str]) -> str:
    """Quote the bundle with ">" and write each answer under the item's answer line."""
    out: list[str] = ["お世話になっております。子ども保健・給付課です。回答します。", ""]
    current = ""
    for line in bundle_text.splitlines():
        if line.startswith("[Q"):
            current = line.strip("[]")
        out.append(f"> {line}" if line else ">")
        if line == label and current in answers:
            out += [answers[current], ""]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(("lang", "label"), [("ja", "回答："), ("en", "A:")])
@pytest.mark.parametrize("named", [False, True])
def test_department_answers_inline_under_each_id(lang: str, label: str, named: bool) -> None:
    view = seed.bundle(name_askers=named)
    mail = render_mail(view, lang, seed.JST)
    raw = reply_bytes(answer_inline(mail.text, label, ANSWERS), mail.subject)
    answers = parse_mail(raw, REFS[:1], role="department", expected_ids=IDS).answers
    assert answers is not None and answers.unanswered == ()
    assert {a.item: a.text for a in answers.answers} == ANSWERS


@pytest.mark.parametrize(("lang", "label"), [("ja", "回答："), ("en", "A:")])
def test_department_answers_a_followup_bundle_the_same_way(lang: str, label: str) -> None:
    mail = render_mail(seed.bundle(followup=True), lang, seed.JST)
    want = {"Q13-04": ANSWERS["Q13-04"]}
    raw = reply_bytes(answer_inline(mail.text, label, want), mail.subject)
    answers = parse_mail(raw, REFS[:1], role="department", expected_ids=IDS).answers
    assert answers is not None
    assert {a.item: a.text for a in answers.answers} == want


def test_department_copies_the_items_on_top_of_an_outlook_thread() -> None:
    # Outlook quotes without ">": the original bundle follows unprefixed. Q13-04 is
    # left unanswered and must stay so (no text of ours read as its answer).
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    items = mail.text[mail.text.index("\n[Q13-01]") :]
    for item, text in list(ANSWERS.items())[:3]:
        start = items.index(f"[{item}]")
        at = items.index("回答：", start) + len("回答：")
        items = f"{items[:at]}{text}{items[at:]}"
    signature = "子ども保健・給付課 給付係\n内線 2317"
    body = f"回答いたします。\n{items}\n{signature}\n\n{outlook_quote(mail.text, mail.subject)}"
    answers = parse_mail(
        reply_bytes(body, mail.subject, charset="cp932"),
        REFS[:1],
        role="department",
        expected_ids=IDS,
    ).answers
    assert answers is not None
    assert {a.item: a.text for a in answers.answers} == dict(list(ANSWERS.items())[:3])
    assert answers.unanswered == ("Q13-04",)


def test_further_bundle_answer_keeps_multi_line_text_out_of_the_answer() -> None:
    mail = render_mail(seed.bundle(phase=Phase.FURTHER), "ja", seed.JST)
    raw = reply_bytes(answer_inline(mail.text, "回答：", {"Q13-30": seed.A13_30}), "x")
    answers = parse_mail(raw, REFS[:1], role="department", expected_ids=["Q13-30"]).answers
    assert answers is not None
    assert [(a.item, a.text) for a in answers.answers] == [("Q13-30", seed.A13_30)]


def test_answer_sheet_filled_and_attached_parses_back() -> None:
    bundle = seed.bundle()
    book = openpyxl.load_workbook(io.BytesIO(answer_sheet_for(bundle)))
    sheet = book.active
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=3, value=ANSWERS[str(sheet.cell(row=row, column=1).value)])
    out = io.BytesIO()
    book.save(out)
    mail = render_mail(bundle, "ja", seed.JST)
    raw = reply_bytes(
        f"回答票を添付します。\n\n{gmail_quote(mail.text)}", mail.subject, xlsx=out.getvalue()
    )
    answers = parse_mail(raw, REFS[:1], role="department", expected_ids=IDS).answers
    assert answers is not None and answers.method == "xlsx"
    assert {a.item: a.text for a in answers.answers} == ANSWERS


def test_one_line_signature_after_the_copied_items_is_not_an_answer() -> None:
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    items = mail.text[mail.text.index("\n[Q13-01]") :]
    body = f"回答いたします。\n{items}\n子ども保健・給付課\n\n{gmail_quote(mail.text)}"
    answers = parse_mail(reply_bytes(body, "x"), REFS[:1], role="department", expected_ids=IDS)
    assert answers.answers is not None and answers.answers.answers == ()


def copied_items(text: str, answers: dict[str, str]) -> str:
    """The bundle's items as a department copies them into its reply, 以上 and all, each
    answer typed right after its 「回答：」."""
    items = text[text.index("\n[Q13-01]") :]
    for item, answer in answers.items():
        at = items.index("回答：", items.index(f"[{item}]")) + len("回答：")
        items = f"{items[:at]}{answer}{items[at:]}"
    return items


def department_answers(body: str, subject: str = "x") -> dict[str, str]:
    parsed = parse_mail(reply_bytes(body, subject), REFS[:1], role="department", expected_ids=IDS)
    assert parsed.answers is not None
    return {a.item: a.text for a in parsed.answers.answers}


@pytest.mark.parametrize(
    "closing",
    ["以上", "以上です。", "以上、よろしくお願いいたします。"],
    ids=["bare", "desu", "with-courtesy"],
)
def test_answers_in_the_copied_items_end_at_the_closing_before_the_signature(
    closing: str,
) -> None:
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    items = copied_items(mail.text, ANSWERS).replace("\n以上\n", f"\n{closing}\n")
    body = f"回答いたします。\n{items}\n子ども保健・給付課 山田\n\n{gmail_quote(mail.text)}"
    assert department_answers(body, mail.subject) == ANSWERS


def test_without_a_closing_the_text_below_the_last_item_is_still_its_answer() -> None:
    # The 以上 deleted and the last answer written in two paragraphs below its 「回答：」:
    # everything down to the signature is that answer, as it always was.
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    items = copied_items(mail.text, dict(list(ANSWERS.items())[:3])).replace("\n以上\n", "\n")
    last = f"{seed.A13_04_SECRETARIAT}\n\n{seed.A13_04}"
    items = items.rstrip("\n") + f"\n{last}\n"
    signature = "子ども保健・給付課 給付係\n電話 042-393-5111（内線3000）"
    body = f"回答いたします。\n{items}\n{signature}\n\n{gmail_quote(mail.text)}"
    assert department_answers(body, mail.subject) == {**ANSWERS, "Q13-04": last}


def test_a_labelled_answer_below_the_copied_closing_is_the_last_items() -> None:
    # 「回答：」 of the last item is right above 以上, so some write the answer below it.
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    items = copied_items(mail.text, dict(list(ANSWERS.items())[:3]))
    body = (
        f"回答いたします。\n{items}\n回答：{seed.A13_04}\n\n子ども保健・給付課\n\n"
        f"{gmail_quote(mail.text)}"
    )
    assert department_answers(body, mail.subject) == ANSWERS


KODOMO = "子ども保健・給付課"


def bundle_bytes() -> bytes:
    """The bundle as sent to the department, for a client to reply to."""
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    return compose(
        OutgoingMail(
            from_name="個人情報保護運営審議会",
            from_address="shingikai@city.example.jp",
            to=((KODOMO, "kodomo@city.example.jp"),),
            subject=mail.subject,
            text=mail.text,
            message_id="<mf-bundle.1@city.example.jp>",
            date=datetime(2021, 1, 14, 9, 0, tzinfo=seed.JST),
            reply_to="shingikai+tok@city.example.jp",
        )
    )


def signed_reply(style: str, signature: str, answers: dict[str, str] = ANSWERS) -> bytes:
    """The department copies the items, answers them, deletes the 以上 and signs."""
    mail = render_mail(seed.bundle(), "ja", seed.JST)
    items = copied_items(mail.text, answers).replace("\n以上\n", "\n").rstrip("\n")
    text = f"回答いたします。\n{items}\n{signature}"
    when = datetime(2021, 1, 18, 10, 0, tzinfo=seed.JST)
    return STYLES[style](bundle_bytes(), KODOMO, "kodomo@city.example.jp", text, when)


def signed_answers(raw: bytes, signer_names: tuple[str, ...] = (KODOMO,)) -> dict[str, str]:
    parsed = parse_mail(
        raw, REFS[:1], role="department", expected_ids=IDS, signer_names=signer_names
    )
    assert parsed.answers is not None
    return {a.item: a.text for a in parsed.answers.answers}


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize(
    "signature",
    [KODOMO, f"{KODOMO}\u3000山田", f"{KODOMO} 担当：山田", f"{KODOMO}\n担当 山田\n内線 2317"],
    ids=["name", "name-person", "name-tanto", "name-tanto-extension"],
)
def test_the_departments_name_under_the_last_answer_is_not_part_of_it(
    style: str, signature: str
) -> None:
    raw = signed_reply(style, signature)
    assert signed_answers(raw) == ANSWERS
    # Without the department's name the short lines are read as the last answer's end.
    unsigned = signed_answers(raw, signer_names=())
    assert unsigned["Q13-04"].startswith(seed.A13_04)
    assert unsigned["Q13-04"] != seed.A13_04


@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_last_answer_naming_the_department_keeps_that_sentence(style: str) -> None:
    last = f"{seed.A13_04}\n交付手続は{KODOMO}で対応します。\n{KODOMO}で確認する。"
    raw = signed_reply(style, f"{KODOMO}　山田", {**ANSWERS, "Q13-04": last})
    assert signed_answers(raw) == {**ANSWERS, "Q13-04": last}
