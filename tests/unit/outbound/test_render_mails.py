"""Every outbound mail renders in Japanese and English with the seed round's real content."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from collections.abc import Iterable

import jinja2
import openpyxl
import pytest

from mailflow.domain import Phase
from mailflow.outbound.alerts import (
    CorrectionReason,
    Intake,
    ParseOverrun,
    ReceiptFailure,
    alert_text,
)
from mailflow.outbound.render import LANGUAGES, answer_sheet_for, environment, render_mail
from mailflow.outbound.views import AlertLine, AnswerInfo, MailView
from mailflow.parsing.attachment_bounds import Refusal
from mailflow.parsing.reply_form import FORM_END, FORM_START
from mailflow.routing.echo import EchoReason
from mailflow.routing.outcome import QuarantineReason
from mailflow.workflow.actions import Audience
from tests.unit.outbound import seed_views as seed

VIEWS = seed.all_views()
CASES = [
    pytest.param(view, lang, id=f"{lang}-{n:02d}-{view.kind}")
    for n, view in enumerate(VIEWS)
    for lang in LANGUAGES
]


def ja(view: MailView) -> str:
    return render_mail(view, "ja", seed.JST).text


def _width(line: str) -> int:
    # Ambiguous-width characters (①, ―) are full-width in Japanese mail clients.
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in line)


def _data_strings() -> set[str]:
    """Texts the templates print verbatim from staff or members: never wrapped by us."""
    out = {seed.COMMITTEE.contact, seed.ROUND.title, FORM_START, FORM_END}
    for c in seed.CONSULTATIONS:
        out |= {c.title, c.number}
    for s in seed.sections(further=True):
        for item in s.items:
            for i in (item, *item.children):
                out |= set(i.text.splitlines())
                out |= {line for a in i.answers for line in a.text.splitlines()}
    out |= {"全体として丁寧な諮問書だと思う。"}
    out |= {a.detail for a in seed.staff_alert().alerts} | set(seed.staff_alert().bounces)
    out |= {q.reason for q in seed.staff_alert().quarantined}  # worded where it was made
    # An alert line names its people and items: data, however long.
    out |= {alert_text(a, lang) for a in seed.staff_alert().alerts for lang in ("ja", "en")}
    return {s for s in out if len(s) >= 6}


@pytest.mark.parametrize(("view", "lang"), CASES)
def test_every_mail_renders_with_tag_and_no_addresses(view: MailView, lang: str) -> None:
    mail = render_mail(view, lang, seed.JST)
    assert mail.subject.startswith("[R2-5] ")
    assert "【" not in mail.subject.split()[0]
    assert "\n" not in mail.subject and len(mail.subject) > len("[R2-5] ") + 4
    assert mail.text.strip() and mail.text.endswith("\n")
    for address in seed.MEMBER_ADDRESSES:
        assert address not in mail.text and address not in mail.subject
    if view.kind != "staff_alert":  # the digest names Message-IDs, which hold our domain
        assert "@" not in mail.text
    assert "None" not in mail.text and "{{" not in mail.text and "{%" not in mail.text


@pytest.mark.parametrize(("view", "lang"), CASES)
def test_prose_lines_fit_a_phone(view: MailView, lang: str) -> None:
    data = _data_strings()
    text = render_mail(view, lang, seed.JST).text
    long = [
        line for line in text.splitlines() if _width(line) > 72 and not any(d in line for d in data)
    ]
    assert long == []


def test_call_for_questions_has_schedule_materials_and_the_reply_form() -> None:
    text = ja(seed.call_for_questions())
    assert text.startswith("石田 直樹 様\n\nいつもお世話になっております。\n")
    assert "個人情報保護運営審議会事務局（総務部 総務課 情報公開係）です。" in text
    for day in ("1月13日（水）", "1月15日（金）", "1月20日（水）", "1月27日（水）"):
        assert day in text
    assert "・令和2年度諮問第14号 病児保育予約システム使用委託（保育幼稚園課、情報政策課）" in text
    assert "・諮問書（第13号）.pdf" in text
    assert FORM_START in text and FORM_END in text
    assert (
        "■諮問第13号 子育て応援ギフトセット配布業務委託\n（ここにご質問・ご意見をお書きください）"
        in text
    )
    subject = render_mail(seed.call_for_questions(), "ja", seed.JST).subject
    assert (
        subject == "[R2-5] 個人情報保護運営審議会（書面審議）質疑及び意見のお願い 1月13日（水）まで"
    )


def test_english_dates_follow_the_committee_timezone() -> None:
    # 23:59:59 in Tokyo is 14:59 UTC the same day; a deadline at 00:30 Tokyo time is the
    # previous day in UTC and must still read as the Tokyo date.
    text = render_mail(seed.call_for_questions(), "en", seed.JST).text
    assert "by Wed 13 Jan 2021" in text and "by Wed 27 Jan 2021" in text
    early = dataclasses.replace(
        seed.deadline_notice(), deadline=seed.end_of(1, 22).replace(hour=0, minute=30)
    )
    assert "New deadline for further opinions: Fri 22 Jan 2021, 00:30" in (
        render_mail(early, "en", seed.JST).subject
    )
    assert "1月22日（金）0時30分" in ja(early)


def test_receipt_lists_items_verbatim_with_ids_and_how_to_correct() -> None:
    text = ja(seed.receipt())
    assert f"[Q13-01]\n（諮問第13号・質問・諮問書 P.3 5(4)）\n{seed.Q13_01}\n" in text
    assert f"[Q14-01]\n（諮問第14号・質問）\n{seed.Q14_01}\n" in text
    assert "[番号未定]\n（案件未確定・意見）\n全体として丁寧な諮問書だと思う。" in text
    assert "※1件は、どの諮問案件へのご意見か判断できませんでした。" in text
    assert "「訂正 [Q13-01]」" in text and "「取消 [Q13-01]」" in text
    assert "1月13日（水）までに" in text
    assert "期限" not in text.split("【訂正・取消の方法】")[0].split("[Q13-01]")[1]


def test_receipt_marks_late_replies_and_empty_ones() -> None:
    late = ja(seed.receipt(late=True))
    assert "※このご返信は期限（1月13日（水））の後に届きました。" in late
    assert "（諮問第13号・質問・諮問書 P.3 5(4)・期限後）" in late
    empty = render_mail(seed.receipt(empty=True), "ja", seed.JST)
    assert "「特になし」として受け付けました。" in empty.text
    assert "訂正" not in empty.text and "[Q" not in empty.text
    assert empty.subject == "[R2-5] ご返信（特になし）を受け付けました"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_receipt_shows_no_answers_so_its_items_are_read_without_them(language: str) -> None:
    # notices.queue_receipt reads the items with_answers=False: were a receipt ever to
    # show an item's answers, they would be missing, and this says so first.
    plain = seed.receipt()
    answered = dataclasses.replace(
        plain,
        items=tuple(
            dataclasses.replace(i, answers=(AnswerInfo("情報政策課", "回答の本文です。"),))
            for i in plain.items
        ),
    )
    assert render_mail(answered, language, seed.JST) == render_mail(plain, language, seed.JST)


def test_reminders_say_what_is_due_for_whom() -> None:
    members = render_mail(seed.reminder(), "ja", seed.JST)
    assert members.subject == "[R2-5] 質疑及び意見の締切のお知らせ（1月13日（水）まで）"
    dept = render_mail(seed.reminder(Phase.ANSWERS, Audience.DEPARTMENTS), "ja", seed.JST)
    assert dept.text.startswith("保育幼稚園課 ご担当者様\n")
    assert "\n[Q14-01]\n[Q14-03]\n" in dept.text
    chair = render_mail(seed.reminder(Phase.DECISION, Audience.DECIDER), "ja", seed.JST)
    assert chair.text.startswith("青木 和子 様\n") and "答申欄" in chair.text
    further = ja(seed.reminder(Phase.FURTHER))
    assert "1月20日（水）までに" in further


def test_department_bundle_lists_each_item_under_its_id_with_an_answer_line() -> None:
    text = ja(seed.bundle())
    assert text.startswith("子ども保健・給付課 ご担当者様\n")
    assert "貴課の所管分（4件）" in text and "1月15日（金）までに" in text
    assert f"\n[Q13-01]\n参照：諮問書 P.3 5(4)\n質問：{seed.Q13_01}\n回答：\n" in text
    assert f"\n[Q13-04]\n参照：諮問書 P.24\n要望：{seed.Q13_04}\n回答：\n" in text
    assert text.endswith("回答：\n\n以上\n")  # nothing but 以上 after the last answer line
    for name in ("石田委員", "上野委員", "岡田委員", "加藤委員"):
        assert name not in text  # anonymous unless staff name the askers
    named = ja(seed.bundle(name_askers=True))
    assert "[Q13-01]\n質問者：石田委員\n" in named and "[Q13-03]\n質問者：岡田委員\n" in named


def test_further_bundle_keeps_multi_line_text_and_names_what_it_follows() -> None:
    text = ja(seed.bundle(phase=Phase.FURTHER))
    assert (
        "さらなるご意見への回答のお願い"
        in render_mail(seed.bundle(phase=Phase.FURTHER), "ja", seed.JST).subject
    )
    lines = seed.Q13_30.splitlines()
    assert "[Q13-30]\n関連：[Q13-01] に関するご意見\n" in text
    assert f"要望：{lines[0]}\n  {lines[1]}\n  {lines[2]}\n回答：" in text


def test_followup_bundle_says_it_adds_questions_and_carries_only_those() -> None:
    ja_mail = render_mail(seed.bundle(followup=True), "ja", seed.JST)
    assert ja_mail.subject.endswith("追加の質疑及び意見への回答のお願い（1月15日（金）まで）")
    text = ja_mail.text
    assert "追加のご質問をお送りします。" in text and "貴課の所管分（1件）" in text
    assert f"\n[Q13-04]\n参照：諮問書 P.24\n要望：{seed.Q13_04}\n回答：\n" in text
    assert "\n[Q13-01]\n" not in text  # the instructions name it only as an example
    assert text.endswith("回答：\n\n以上\n")
    first = ja(seed.bundle())
    assert "追加" not in first
    en = render_mail(seed.bundle(followup=True), "en", seed.JST)
    assert "additional questions and opinions" in en.subject
    assert "Here are additional questions for you." in en.text and "\n[Q13-01]\n" not in en.text
    assert "additional" not in render_mail(seed.bundle(), "en", seed.JST).subject


def test_answer_sheet_has_one_row_per_item_and_blank_answers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(answer_sheet_for(seed.bundle())))
    rows = [tuple(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[0] == ("ID", "質問・意見", "回答")
    assert [r[0] for r in rows[1:]] == ["Q13-01", "Q13-02", "Q13-03", "Q13-04"]
    assert rows[1][1] == seed.Q13_01 and all(r[2] is None for r in rows[1:])


def test_distribution_groups_answers_per_consultation_as_the_minutes_do() -> None:
    text = ja(seed.distribution())
    c13, c14 = text.index("■諮問第13号"), text.index("■諮問第14号")
    assert c13 < text.index("[Q13-04]") < c14 < text.index("[Q14-03]")
    assert f"[Q13-01]\n● {seed.Q13_01}\n- {seed.A13_01}\n" in text
    assert f"- （情報公開係長）{seed.A13_04_SECRETARIAT}\n- {seed.A13_04}\n" in text
    assert f"- （情報政策課）{seed.A14_03_JOHO}\n- 回答準備中（保育幼稚園課）\n" in text
    assert "「回答準備中」の項目は、回答がそろい次第" in text
    assert "1月20日（水）までにお寄せください" in text
    assert "石田委員" not in text and text.index("\n以上\n") > text.index("[Q14-03]")
    named = ja(seed.distribution(name_askers=True))
    assert "[Q13-01]\n（石田委員）\n● " in named


def test_a_supplement_names_the_items_whose_withdrawn_answer_it_renews() -> None:
    plain = ja(seed.supplement())
    assert "「回答準備中」としていた項目について、\n" in plain and "取り消した" not in plain
    mixed = ja(seed.supplement(("Q13-02",)))
    assert "「回答準備中」としていた項目と、\n回答を取り消した次の項目について" in mixed
    assert "所管課の回答をお送りします。\n[Q13-02]\n\n■" in mixed
    every = tuple(i.id for s in seed.sections() for i in s.items if i.id)
    renewed = ja(seed.supplement(every))
    intro = renewed.split("■", 1)[0]
    assert "「回答準備中」" not in intro and "回答を取り消した次の項目について" in intro
    assert [w for line in intro.splitlines() for w in line.split() if w.startswith("[")] == [
        f"[{i}]" for i in every
    ]
    en = render_mail(seed.supplement(("Q13-02",)), "en", seed.JST).text
    assert '"in preparation"' in en and "earlier answer we\nwithdrew:\n[Q13-02]\n" in en


def test_chair_digest_nests_follow_ups_and_ends_with_the_decision_form() -> None:
    text = ja(seed.chair_digest())
    lines = seed.Q13_30.splitlines()
    nested = f"  [Q13-30]\n  ● {lines[0]}\n    {lines[1]}\n    {lines[2]}\n  - {seed.A13_30}\n"
    assert nested in text
    assert text.index("[Q13-01]") < text.index("  [Q13-30]") < text.index("[Q13-02]")
    assert "\n諮問第13号：\n諮問第14号：\n――― 答申欄ここまで ―――\n" in text
    assert "可 ／ 条件付き可 ／ 否" in text and "1月27日（水）までに" in text


def test_decision_mails_state_each_consultation() -> None:
    echo = ja(seed.decision_echo())
    assert "諮問第13号：条件付き可（条件：仕様書への追記等指摘事項の実施）\n" in echo
    assert "諮問第14号：可\n" in echo and "「確認しました」" in echo
    reask = ja(seed.decision_reask())
    assert "・令和2年度諮問第13号 子育て応援ギフトセット配布業務委託\n" in reask
    assert "\n諮問第13号：\n諮問第14号：\n" in reask
    result = ja(seed.result_notice())
    assert (
        "○「子育て応援ギフトセット配布業務委託」について、\n　次の条件を付して「可」とする。"
        in result
    )
    assert (
        "○「病児保育予約システム使用委託」について、\n　諮問どおり行うことを「可」とする。"
        in result
    )
    en = render_mail(seed.result_notice(), "en", seed.JST).text
    assert "病児保育予約システム使用委託: approved\n" in en


def test_deadline_and_cancellation_notices() -> None:
    notice = render_mail(seed.deadline_notice(), "ja", seed.JST)
    assert notice.subject == "[R2-5] さらなるご意見の期限変更のお知らせ（1月22日（金）まで）"
    assert "③さらなるご意見の期限を1月22日（金）に変更しました。" in notice.text
    assert "③ ②を受けてさらにご意見があれば、1月22日（金）までに" in notice.text
    cancel = render_mail(seed.cancellation_notice(), "ja", seed.JST)
    assert "開催中止" in cancel.subject and "中止することとなりました" in cancel.text


def test_staff_digest_has_ids_and_reasons_but_no_bodies() -> None:
    mail = render_mail(seed.staff_alert(), "ja", seed.JST)
    assert mail.subject == "[R2-5] 要確認 5件（事務局向け）"
    assert "・[R2-5] 未回答：②で回答の届いていない質疑：Q14-03\n" in mail.text
    assert (
        "・[R2-5] 期限後到着：期限後に届いた Q13-31 を保留しています。"
        "受け付けると子ども保健・給付課へ追加送付します（mailflow item accept / reject）\n"
    ) in mail.text
    assert "・受信：保育幼稚園課への配信が2月15日時点で不達\n" in mail.text
    english = render_mail(seed.staff_alert(), "en", seed.JST).text
    assert "- [R2-5] unanswered: no answer yet in ② to Q14-03\n" in english
    held = "・#41 <CAF=x1@mail.example.com> 不明：差出人が委員・所管課として登録されていません。"
    assert held in mail.text
    assert "【配信エラー】\n・受信メール 52：上野 節夫さん宛て（ueno@example.jp）の" in mail.text
    for body in (seed.Q13_01, seed.Q14_01, seed.A13_01):
        assert body not in mail.text
    two_rounds = dataclasses.replace(
        seed.staff_alert(),
        alerts=(
            *seed.staff_alert().alerts,
            dataclasses.replace(seed.staff_alert().alerts[0], round_tag="R2-6"),
        ),
    )
    assert render_mail(two_rounds, "ja", seed.JST).subject.startswith("[mailflow] ")


def test_strict_undefined_catches_a_missing_field() -> None:
    template = environment(seed.JST).get_template("mail/ja/receipt.txt")
    view = seed.receipt()
    context = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    del context["corrections_allowed_until"]
    with pytest.raises(jinja2.UndefinedError, match="corrections_allowed_until"):
        template.render(**context, view=view)


def test_unknown_language_and_naive_deadlines_are_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        render_mail(seed.receipt(), "fr", seed.JST)
    naive = dataclasses.replace(
        seed.deadline_notice(), deadline=seed.end_of(1, 22).replace(tzinfo=None)
    )
    with pytest.raises(ValueError, match="aware"):
        render_mail(naive, "ja", seed.JST)


def test_a_confirmation_request_shows_what_would_change_and_how_to_confirm() -> None:
    text = ja(seed.confirm_request())
    assert "このメールに返信して確定してください" in text
    assert "訂正 [Q13-01]" in text and "配布予測数とその根拠を伺う。" in text
    assert "取消 [Q14-01]" in text and "諮問第14号：可" in text
    assert "1月14日（木）09時30分" in text or "1月14日（木）9時30分" in text
    assert "お心当たりがない場合は" in text
    dept = ja(seed.confirm_request(department=True))
    assert "[Q13-01] へのご回答" in dept and "ご担当者様" in dept
    en = render_mail(seed.confirm_request(), "en", seed.JST)
    assert en.subject == "[R2-5] Please confirm by replying"
    assert "reply to this mail to confirm it" in en.text and "withdraw [Q14-01]" in en.text


def test_dates_in_a_mail_carry_the_year_when_it_is_not_the_mails() -> None:
    from datetime import date

    view = seed.call_for_questions()
    december = render_mail(view, "ja", seed.JST, date(2020, 12, 25)).text
    assert "令和3年1月13日（水）までに" in december
    january = render_mail(view, "ja", seed.JST, date(2021, 1, 5)).text
    assert "令和3年1月13日" not in january and "1月13日（水）までに" in january


def test_an_unplaced_item_alert_names_its_author_and_number_and_quotes_nothing() -> None:
    line = AlertLine(
        "R2-5", "unplaced_item", "item-57", "① item 57 names no consultation",
        ("石田 直樹",), ("57",),
    )  # fmt: skip
    digest = dataclasses.replace(seed.staff_alert(), alerts=(line,))
    ja_text = render_mail(digest, "ja", seed.JST).text
    en_text = render_mail(digest, "en", seed.JST).text
    assert "案件未定" in ja_text
    assert "石田 直樹の項目（番号 57）に諮問案件の指定がありません" in ja_text
    assert "mailflow item place 57 --consultation K" in ja_text
    assert "item 57 of 石田 直樹 names no consultation" in en_text


def test_intake_lines_in_the_committees_language_without_mail_text() -> None:
    from mailflow.outbound.alerts import Intake, intake_line

    ja = intake_line("ja", Intake.LATE_REPLY, 12, mark="①", followup=["Q13-04"])
    assert ja.text == (
        "受信メール 12：①の期限後に届いた返信です。受け付け、Q13-04を所管課へ追加送付します"
    )
    assert (ja.kind, ja.message) == (Intake.LATE_REPLY, 12)
    en = intake_line("en", Intake.DECISION_UNCLEAR, 7, consultation="第13号")
    assert en.text == "message 7: the decision on 第13号 is unclear"
    held = intake_line(
        "ja", Intake.UNPROVEN_HELD, 3, changes=["decisions"], role="chair", request=9
    ).text
    assert held.startswith("受信メール 3：会長の名義の答申は差出人を確認できない")
    assert "message" not in held and "chair" not in held
    for kind in Intake:  # every kind has words in both languages
        fields: dict[str, object] = dict.fromkeys(
            ("changes", "role", "request", "name", "reply", "who", "filename", "mark", "item",
             "consultation", "error", "action", "author", "address"), "x",
        )  # fmt: skip
        fields |= {"changes": ["items"], "reason": Refusal.TOO_LARGE, "limit": 2.0}
        fields |= {"overrun": ParseOverrun.MEMORY, "why": ReceiptFailure.OTHER}
        fields |= _CODES.get(kind, {})
        assert intake_line("ja", kind, 1, **fields).text.startswith("受信メール 1：")
        assert intake_line("en", kind, 1, **fields).text.startswith("message 1: ")


# The kinds whose code field is of another enum than the loop above fills in.
_CODES: dict[object, dict[str, object]] = {
    Intake.CORRECTION_REFUSED: {"why": CorrectionReason.NO_TEXT},
    Intake.CORRECTION_HELD: {"why": CorrectionReason.NO_TEXT},
    Intake.RECEIPT_ECHO: {"why": EchoReason.NO_TEXT},
    Intake.HELD: {"reason": QuarantineReason.ROUND_CLOSED},
}


def test_every_reason_code_has_its_own_words_in_both_languages() -> None:
    from mailflow.outbound.alerts import intake_line

    base = {"filename": "f", "who": "w", "item": "Q13-01", "action": "correct",
            "author": "上野", "limit": 3, "status": -9, "error": "E", "name": "上野 節夫",
            "role": "member", "address": "ueno@example.jp"}  # fmt: skip

    def said(language: str, kind: Intake, key: str, codes: Iterable[object]) -> set[str]:
        every = list(codes)
        lines = {intake_line(language, kind, 1, **{**base, key: code}).text for code in every}
        assert len(lines) == len(every), lines  # no two codes read alike
        return lines

    japanese: set[str] = set()
    for lang in ("ja", "en"):
        for kind, key, codes in (
            (Intake.DOCUMENT_UNREAD, "reason", Refusal),
            (Intake.SHEET_REFUSED, "reason", Refusal),
            (Intake.OVER_BUDGET, "overrun", ParseOverrun),
            (Intake.CORRECTION_REFUSED, "why", CorrectionReason),
            (Intake.CORRECTION_HELD, "why", CorrectionReason),
            (Intake.NO_RECEIPT, "why", ReceiptFailure),
            (Intake.RECEIPT_ECHO, "why", EchoReason),
            (Intake.HELD, "reason", QuarantineReason),
            (Intake.BOUNCE, "permanent", (True, False)),
            (Intake.BOUNCE, "name", ("上野 節夫", None)),
        ):
            lines = said(lang, kind, key, codes)
            japanese |= lines if lang == "ja" else set()
    # No English phrase in the Japanese lines, commands aside.
    for line in japanese:
        assert not re.search(r"[a-z]{3,} [a-z]{2,}", re.sub(r"mailflow [^）]*", "", line)), line


def test_every_engine_alert_kind_is_worded_from_its_fields_in_both_languages() -> None:
    from mailflow.outbound.alerts import worded_kinds
    from mailflow.workflow.actions import AlertKind

    assert worded_kinds("ja") == worded_kinds("en") == frozenset(AlertKind)
    for kind in AlertKind:
        line = AlertLine("R2-5", kind.value, "1", "English detail for the log", ("上野 真理",),
                         ("Q13-01",), True, True)  # fmt: skip
        ja = alert_text(line, "ja")
        assert "English" not in ja, ja
        assert not re.search(r"[a-z]{3,} [a-z]{2,}", re.sub(r"mailflow [^）]*", "", ja)), ja


def test_staff_notices_are_worded_in_both_languages_the_servers_reply_labelled() -> None:
    from mailflow.outbound.alerts import StaffNotice, notice_line

    fields = {"folder": "処理済み", "setting": "imap.processed_folder", "count": 7,
              "error": "KeyError", "reply": "NO [CANNOT] Mailbox name too long", "uid": 9,
              "mailbox": "INBOX", "since": "2021-01-07 10:30:00", "seconds": "42"}  # fmt: skip
    for kind in StaffNotice:
        ja, en = notice_line("ja", kind, **fields).text, notice_line("en", kind, **fields).text
        assert ja != en and notice_line("ja", kind, **fields).kind is kind
        ours = ja.split("メールサーバーの応答：", 1)[0]
        assert not re.search(r"[a-z]{3,} [a-z]{2,}", re.sub(r"mailflow [^）]*", "", ours)), ja
    refused = notice_line("ja", StaffNotice.FOLDER_REFUSED, **fields).text
    assert refused.endswith("。メールサーバーの応答：NO [CANNOT] Mailbox name too long")
    assert "「処理済み」" in refused and "（設定 imap.processed_folder）" in refused
    en = notice_line("en", StaffNotice.FOLDER_REFUSED, **fields).text
    assert en.endswith("The server's reply: NO [CANNOT] Mailbox name too long")
    failed = notice_line("ja", StaffNotice.FAILED, error="KeyError").text
    assert "（エラーの種類：KeyError）" in failed
    more = notice_line("ja", StaffNotice.MORE_INTAKE, count=3).text
    assert more == "ほか 3 件の受信時の通知があります"
    unknown = notice_line("ja", StaffNotice.FAILED, error=None).text
    assert "（エラーの種類：不明）" in unknown
