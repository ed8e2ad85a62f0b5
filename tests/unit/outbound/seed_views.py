"""Views of the seed round (令和2年度第5回), filled as the services would fill them from the store.

Texts are the seed minutes' own, verbatim; names are the example committee's fictional
ones; addresses are listed only so tests can prove no template prints them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from mailflow.domain import ItemKind, Phase, Verdict
from mailflow.domain.endofday import end_of_day
from mailflow.outbound.views import (
    AlertLine,
    AnswerCorrection,
    AnswerInfo,
    CallForFurther,
    CallForQuestions,
    CancellationNotice,
    ChairDigest,
    CommitteeInfo,
    ConfirmRequest,
    ConsultationInfo,
    ConsultationItems,
    CorrectionInfo,
    CorrectionNotice,
    DeadlineNotice,
    DecisionEcho,
    DecisionInfo,
    DecisionReask,
    DepartmentBundle,
    Distribution,
    ItemChange,
    ItemInfo,
    ListedIds,
    MailView,
    QuarantineLine,
    Receipt,
    Recipient,
    Reminder,
    ResultNotice,
    RoundInfo,
    StaffAlertDigest,
)
from mailflow.workflow.actions import Audience

JST = ZoneInfo("Asia/Tokyo")


def end_of(month: int, day: int) -> datetime:
    """A deadline written as a bare date: the last instant of that day in Tokyo."""
    return end_of_day(datetime(2021, month, day).date(), JST)


MEMBER_ADDRESSES = (
    "aoki.kazuko@example.jp",
    "ishida@example.com",
    "ueno.setsuo@example.net",
    "eto.harue@example.jp",
    "okada@example.org",
    "kato.katsumi@example.com",
    "kimura@ezweb.example.ne.jp",
)

COMMITTEE = CommitteeInfo(
    name="個人情報保護運営審議会",
    secretariat="総務部 総務課 情報公開係",
    contact="電話番号 042-393-5111（内線2317） ファックス番号 042-390-6227",
)
ROUND = RoundInfo(
    tag="R2-5",
    title="令和2年度第5回個人情報保護運営審議会",
    fiscal_year=2020,
    deadlines={
        Phase.QUESTIONS: end_of(1, 13),
        Phase.ANSWERS: end_of(1, 15),
        Phase.FURTHER: end_of(1, 20),
        Phase.DECISION: end_of(1, 27),
    },
)
KODOMO = "子ども保健・給付課"
HOIKU = "保育幼稚園課"
JOHO = "情報政策課"
SECRETARIAT_ANSWERER = "情報公開係長"
C13 = ConsultationInfo("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託", (KODOMO,))
C14 = ConsultationInfo("14", "令和2年度諮問第14号", "病児保育予約システム使用委託", (HOIKU, JOHO))
CONSULTATIONS = (C13, C14)

MEMBER = Recipient("石田 直樹")
CHAIR = Recipient("青木 和子")

Q13_01 = (
    "諮問書P. 3「5 コンピュータ・記録媒体の利用、外部接続の有無（4）」で、データの削除に関し"
    "「専用のソフトを使用」とあるが、市が指定したソフトか、それとも事業者が任意で選択するのか。"
    "特に事業者が任意で選択する場合には、どのようなソフトを使用したか削除完了報告書で分かる"
    "ようにした方が良いと思うが、そのようになっているのか伺う。"
)
A13_01 = (
    "事業者が任意で選択することを想定している。現状の仕様書では、削除完了報告書に使用ソフト名を"
    "記載しなければならない旨は読み取れないため、削除完了報告書の内容として使用ソフト名等"
    "（作業開始日時、作業完了日時、作業実施場所、作業担当者名、責任者名）の記載を要する旨、"
    "仕様書に明記する。"
)
Q13_02 = (
    "諮問書P. 1「1委託理由」について、令和3年度子育て応援ギフトセットの配布予測数はいくつか。"
    "また、「専門職15名」はどのような仕事をするのか。"
)
A13_02 = (
    "1, 100件を見込んでいる。専門職は、保健師、助産師を指している。妊婦面接及び妊婦面接時の"
    "子育て応援ギフトセットの配布のほか、主たる業務として母子健康手帳の交付、妊産婦や乳幼児の"
    "支援、ご家庭の訪問、相談業務、健康診査業務等を行っている。"
)
Q13_03 = "「簡易書留郵便等の受領証」の複写（コピー）禁止は、どこかに記載されているか。"
A13_03 = (
    "諮問書P. 21「個人情報の取扱いに関する特約条項 第6条第2項」にて、取得個人情報の複製、"
    "加工、再生、所定の場所からの持ち出しを禁止している。"
)
Q13_04 = (
    "諮問書P. 24「情報セキュリティに関する合意書 第2条第2項」の条文を、諮問第14号と統一しては"
    "どうかか。また、同合意書第1条第4項の対策基準書及び第2条第2項の個人情報保護等に係る教育の"
    "実施状況については、市に提出等を求められたい。"
)
A13_04_SECRETARIAT = (
    "条文については委員ご提案のとおり統一すべく、諮問第14号が第13号で使用しているものと同じ"
    "ものを使用することとする。"
)
A13_04 = (
    "対策基準書及び教育の実施状況は、受託業者が決まり次第、ご指摘いただいた内容の確認を"
    "させていただき、受託者に要請する。"
)
# ③: a follow-up of Q13-01, several lines as the member wrote them.
Q13_30 = (
    "データ消去ソフトがどんなものを使用しているかの確認は、非常に重要である。\n"
    "専用ソフトについては、事後ではなく、委託時に必ず確認すること。\n"
    "そして、それを確認することを、所管課側の事業委託仕様書などに記載しておくこと。"
)
A13_30 = (
    "個人情報情報を削除する際に使用するデータ消去ソフトについては、仕様書の別記様式として"
    "あらかじめ様式を作成し、契約締結後速やかに市に届けを提出するよう、仕様書に明記する。"
)
Q14_01 = "ICT活用による病児保育予約システムを導入している区市はどのくらいあるのか。"
A14_01 = (
    "多摩26市では、自治体として予約システムを導入している市はないが、インターネット予約が"
    "できる施設を利用できる市は3分の1程度ある。"
)
Q14_02 = "本件を委託できる事業者は、何社くらいあるのか"
A14_02 = "当市で機能の確認を行った事業者としては3社である。"
Q14_03 = (
    "インターネット環境を活用できない人や、活用できるが利用を望まない者にもサービス格差が"
    "生じないように十分配慮されたい。"
)
A14_03_JOHO = (
    "市役所窓口で、タブレット端末を利用した利用登録支援や書面による利用登録の受付を行えるように"
    "するほか、従前どおり電話による予約も継続して行う。"
)
CONDITIONS = "仕様書への追記等指摘事項の実施"


def _answer(author: str, text: str) -> tuple[AnswerInfo, ...]:
    return (AnswerInfo(author, text),)


def items_13(*, answered: bool = True, with_further: bool = False) -> tuple[ItemInfo, ...]:
    """Seed questions of 諮問第13号, answered as in the minutes (or not yet)."""

    def ans(author: str, text: str) -> tuple[AnswerInfo, ...]:
        return _answer(author, text) if answered else ()

    follow = ItemInfo(
        "Q13-30",
        "13",
        ItemKind.REQUEST,
        Q13_30,
        asker="上野委員",
        follows="Q13-01",
        answers=ans(KODOMO, A13_30),
    )
    return (
        ItemInfo(
            "Q13-01",
            "13",
            ItemKind.QUESTION,
            Q13_01,
            reference="P.3 5(4)",
            asker="石田委員",
            answers=ans(KODOMO, A13_01),
            children=(follow,) if with_further else (),
        ),
        ItemInfo(
            "Q13-02",
            "13",
            ItemKind.QUESTION,
            Q13_02,
            reference="P.1 1",
            asker="上野委員",
            answers=ans(KODOMO, A13_02),
        ),
        ItemInfo(
            "Q13-03", "13", ItemKind.QUESTION, Q13_03, asker="岡田委員", answers=ans(KODOMO, A13_03)
        ),
        ItemInfo(
            "Q13-04",
            "13",
            ItemKind.REQUEST,
            Q13_04,
            reference="P.24",
            asker="加藤委員",
            answers=(
                (AnswerInfo(SECRETARIAT_ANSWERER, A13_04_SECRETARIAT), AnswerInfo(KODOMO, A13_04))
                if answered
                else ()
            ),
        ),
    )


def items_14(*, answered: bool = True) -> tuple[ItemInfo, ...]:
    """Seed items of 諮問第14号; the last one still waits for 保育幼稚園課 when distributed."""
    return (
        ItemInfo(
            "Q14-01",
            "14",
            ItemKind.QUESTION,
            Q14_01,
            asker="石田委員",
            answers=_answer(HOIKU, A14_01) if answered else (),
        ),
        ItemInfo(
            "Q14-02",
            "14",
            ItemKind.QUESTION,
            Q14_02,
            asker="木村委員",
            answers=_answer(HOIKU, A14_02) if answered else (),
        ),
        ItemInfo(
            "Q14-03",
            "14",
            ItemKind.REQUEST,
            Q14_03,
            asker="江藤委員",
            answers=(
                (AnswerInfo(JOHO, A14_03_JOHO), AnswerInfo(HOIKU, "", pending=True))
                if answered
                else ()
            ),
        ),
    )


def call_for_questions() -> CallForQuestions:
    return CallForQuestions(
        MEMBER, COMMITTEE, ROUND, CONSULTATIONS, ("諮問書（第13号）.pdf", "諮問書（第14号）.pdf")
    )


def receipt(*, late: bool = False, empty: bool = False) -> Receipt:
    items = (
        ()
        if empty
        else (
            ItemInfo("Q13-01", "13", ItemKind.QUESTION, Q13_01, reference="P.3 5(4)", late=late),
            ItemInfo("Q14-01", "14", ItemKind.QUESTION, Q14_01, late=late),
            ItemInfo(None, None, ItemKind.OPINION, "全体として丁寧な諮問書だと思う。", late=late),
        )
    )
    return Receipt(
        MEMBER,
        COMMITTEE,
        ROUND,
        CONSULTATIONS,
        items,
        empty_reply=empty,
        late=late,
        unplaced=0 if empty else 1,
        corrections_allowed_until=end_of(1, 13),
    )


def reminder(phase: Phase = Phase.QUESTIONS, audience: Audience = Audience.MEMBERS) -> Reminder:
    if audience is Audience.DEPARTMENTS:
        return Reminder(
            Recipient(HOIKU, department=True),
            COMMITTEE,
            ROUND,
            phase,
            ROUND.deadlines[phase],
            audience,
            ("Q14-01", "Q14-03"),
        )
    who = CHAIR if audience is Audience.DECIDER else MEMBER
    return Reminder(who, COMMITTEE, ROUND, phase, ROUND.deadlines[phase], audience)


def bundle(
    *, name_askers: bool = False, phase: Phase = Phase.QUESTIONS, followup: bool = False
) -> DepartmentBundle:
    """子ども保健・給付課's bundle: the 13号 questions without answers (or the ③ follow-up).

    A `followup` bundle carries only the last question, as if staff had accepted it late.
    """
    if phase is Phase.FURTHER:
        first = items_13(answered=False, with_further=True)[0]
        items: tuple[ItemInfo, ...] = first.children
    else:
        items = items_13(answered=False)
    if followup:
        items = items[-1:]
    return DepartmentBundle(
        Recipient(KODOMO, department=True),
        COMMITTEE,
        ROUND,
        phase,
        (C13,),
        items,
        ROUND.deadlines[Phase.ANSWERS],
        name_askers=name_askers,
        followup=followup,
    )


def sections(*, further: bool = False) -> tuple[ConsultationItems, ...]:
    return (
        ConsultationItems(C13, items_13(with_further=further)),
        ConsultationItems(C14, items_14()),
    )


def distribution(*, name_askers: bool = False) -> Distribution:
    return Distribution(
        MEMBER, COMMITTEE, ROUND, sections(), pending_note=True, name_askers=name_askers
    )


def supplement(renewed: tuple[str, ...] = ()) -> Distribution:
    """回答の追加送付; ``renewed``: items whose earlier answer staff withdrew."""
    return Distribution(MEMBER, COMMITTEE, ROUND, sections(), supplement=True, renewed=renewed)


def call_for_further() -> CallForFurther:
    ids = tuple(i.id for s in sections() for i in s.items if i.id)
    return CallForFurther(MEMBER, COMMITTEE, ROUND, CONSULTATIONS, end_of(1, 20), ListedIds(ids))


def chair_digest() -> ChairDigest:
    return ChairDigest(CHAIR, COMMITTEE, ROUND, sections(further=True), end_of(1, 27))


def decisions() -> tuple[DecisionInfo, ...]:
    return (
        DecisionInfo(C13, Verdict.APPROVE_WITH_CONDITIONS, CONDITIONS),
        DecisionInfo(C14, Verdict.APPROVE),
    )


def decision_echo() -> DecisionEcho:
    return DecisionEcho(CHAIR, COMMITTEE, ROUND, decisions())


def confirm_request(department: bool = False) -> ConfirmRequest:
    """A mail in a party's name that did not prove its sender: what it would change."""
    received = datetime(2021, 1, 14, 9, 30, tzinfo=JST)
    if department:
        answers = (("Q13-01", "配布数は過去の実績から見込んでいる。"),)
        to = Recipient("子ども保健・給付課", department=True)
        return ConfirmRequest(to, COMMITTEE, ROUND, received, answers=answers)
    commands = (
        CorrectionInfo("Q13-01", False, "配布予測数とその根拠を伺う。"),
        CorrectionInfo("Q14-01", True),
    )
    return ConfirmRequest(MEMBER, COMMITTEE, ROUND, received, commands, (), decisions())


def decision_reask() -> DecisionReask:
    return DecisionReask(CHAIR, COMMITTEE, ROUND, CONSULTATIONS)


def result_notice() -> ResultNotice:
    return ResultNotice(MEMBER, COMMITTEE, ROUND, decisions())


def deadline_notice() -> DeadlineNotice:
    """Staff moved ③ from 1/20 to 1/22: the round carries the new date too."""
    moved = end_of(1, 22)
    extended = dataclasses.replace(ROUND, deadlines={**ROUND.deadlines, Phase.FURTHER: moved})
    return DeadlineNotice(MEMBER, COMMITTEE, extended, Phase.FURTHER, moved)


def cancellation_notice() -> CancellationNotice:
    return CancellationNotice(MEMBER, COMMITTEE, ROUND)


def staff_alert() -> StaffAlertDigest:
    return StaffAlertDigest(
        COMMITTEE,
        alerts=(
            AlertLine("R2-5", "unanswered", "2", "no answer yet", items=("Q14-03",)),
            AlertLine(
                "R2-5", "late_item", "Q13-31", "late", ("子ども保健・給付課",), ("Q13-31",), True
            ),
            AlertLine(None, "intake", "", "保育幼稚園課への配信が2月15日時点で不達"),
        ),
        quarantined=(
            QuarantineLine(
                "41",
                "<CAF=x1@mail.example.com>",
                "差出人が委員・所管課として登録されていません。",
                "不明",
            ),
        ),
        bounces=(
            "受信メール 52：上野 節夫さん宛て（ueno@example.jp）のメールが届かなかったとの"
            "通知です。アドレスが正しいか確認してください",
        ),
    )


def all_views() -> tuple[MailView, ...]:
    """One view of every kind (and the variants that change the text), seed-shaped."""
    return (
        call_for_questions(),
        receipt(),
        receipt(late=True),
        receipt(empty=True),
        reminder(Phase.QUESTIONS, Audience.MEMBERS),
        reminder(Phase.FURTHER, Audience.MEMBERS),
        reminder(Phase.ANSWERS, Audience.DEPARTMENTS),
        reminder(Phase.DECISION, Audience.DECIDER),
        bundle(),
        bundle(name_askers=True),
        bundle(phase=Phase.FURTHER),
        bundle(followup=True),
        distribution(),
        supplement(),
        supplement(("Q13-02",)),
        supplement(tuple(i.id for s in sections() for i in s.items if i.id)),
        call_for_further(),
        chair_digest(),
        decision_echo(),
        confirm_request(),
        confirm_request(department=True),
        decision_reask(),
        result_notice(),
        deadline_notice(),
        cancellation_notice(),
        *correction_notices(),
        answer_correction(),
        answer_correction(removed=True),
        staff_alert(),
    )


def correction_notices() -> tuple[CorrectionNotice, ...]:
    """What 石田委員 is told when staff place, move, split, merge or withdraw an item."""
    text = "予約システムの停止時は、利用者にどう連絡するのか。"
    changes = (
        ItemChange("placed", None, ("Q14-08",), text, C14),
        ItemChange("moved", "Q13-09", ("Q14-08",), text, C14),
        ItemChange("split", "Q13-09", ("Q13-09", "Q13-31"), text),
        ItemChange("merged", "Q13-10", ("Q13-09",), text),
        ItemChange("withdrawn", "Q13-09", (), text),
        ItemChange("withdrawn", None, (), text),
    )
    return tuple(CorrectionNotice(MEMBER, COMMITTEE, ROUND, c) for c in changes)


def answer_correction(*, removed: bool = False) -> AnswerCorrection:
    """回答の訂正のお知らせ: an answer members had is replaced, or withdrawn."""
    return AnswerCorrection(
        MEMBER, COMMITTEE, ROUND, "Q14-02", "本件を委託できる事業者は、何社くらいあるのか",
        HOIKU, "市内に2社あります。", None if removed else "市内及び近隣に3社あります。",
    )  # fmt: skip
