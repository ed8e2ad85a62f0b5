"""Per-client table of the lines that introduce a quoted or forwarded thread (引用ヘッダ)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class HeaderKind(enum.Enum):
    """How a header line relates to the thread below it."""

    # A reply attribution (「… wrote:」「…のメール:」): the old message follows, quoted or not.
    REPLY = "reply"
    # A separator line (「-----Original Message-----」, Outlook web's underscores).
    SEPARATOR = "separator"
    # Outlook's header block without a separator (「差出人: / 送信日時: / 件名:」).
    FIELDS = "fields"
    # A forwarded message: when the sender wrote nothing, the forwarded text is what they sent.
    FORWARD = "forward"


@dataclass(frozen=True)
class HeaderPattern:
    """One row: the client that writes it, its kind, and the text it matches.

    ``pattern`` is matched (fullmatch) against up to ``max_lines`` physical lines joined by
    one space, stripped, so that headers wrapped by the client (Gmail folds long
    attributions before ``<address>``) are still recognised.
    """

    client: str
    kind: HeaderKind
    pattern: re.Pattern[str]
    max_lines: int = 1
    needs_digit: bool = False  # a guard for loose rows: a real header carries a date or address


def _p(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


# Bracketed, so that a dated sentence naming an address (「1/13 連絡先 a@b.jp」) is not a header.
_ADDR = r"[<＜〈《]\s*(?:mailto:)?[^\s<>＜＞〈〉]+@[^\s<>＜＞〈〉]+\s*[>＞〉》]"
_WEEKDAY_JA = r"(?:[(（]\s*+[月火水木金土日]\s*+(?:曜日?)?[)）])"
_DATE_JA = r"\d{2,4}\s*+年\s*+\d{1,2}\s*+月\s*+\d{1,2}\s*+日"
_DATE_SLASH = r"\d{2,4}/\d{1,2}/\d{1,2}"
_TIME = r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?"
_DASHES = r"\*?\s*[-－=＝ー─]{2,}\s*"
_ORIGINAL = (
    r"original\s+message|元のメッセージ|オリジナル\s*メッセージ|ursprüngliche\s+nachricht"
    r"|mensaje\s+original|message\s+d'origine|messaggio\s+originale|oorspronkelijk\s+bericht"
    r"|mensagem\s+original|ursprungligt\s+meddelande|opprinnelig\s+melding"
    r"|oprindelig\s+meddelelse|alkuperäinen\s+viesti|wiadomość\s+oryginalna"
    r"|původní\s+zpráva|исходное\s+сообщение|原始邮件|原始郵件"
)
_FORWARDED = (
    r"forwarded\s+message|転送メッセージ|転送されたメッセージ|転送メール"
    r"|weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado"
    r"|messaggio\s+inoltrato|doorgestuurd\s+bericht|mensagem\s+encaminhada|转发邮件"
)
# Verbs Gmail, Apple Mail and Thunderbird put at the end of an attribution, per language.
_WROTE = (
    r"wrote|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef"
    r"|het\s+volgende\s+geschreven|napisał(?:\(a\))?|написал(?:\(а\))?|пише|skrev"
    r"|kirjoitti|yazdı|napsal(?:a)?|写道|寫道|đã\s+viết|írta|a\s+scris|έγραψε|menulis"
    r"|kirjutas|rašė|rakstīja|napisao|napisala|je\s+napisal(?:a)?|написа|님이\s*작성|작성"
    r"|كتب|כתב"
)

WROTE_WORDS = _WROTE

# Header field names as mail clients print them, by role. FROM starts an Outlook block.
_FROM_KEYS = (
    r"from|差出人|送信者|送信元|von|de|da|van|od|от|från|fra|lähettäjä|kimden|发件人|寄件者"
)
_OTHER_KEYS = (
    r"sent|date|to|cc|bcc|subject|reply-to|送信日時|送信日|日付|日時|宛先|件名|"
    r"gesendet|datum|an|betreff|envoyé|à|objet|enviado|enviada|para|asunto|assunto|data|a|"
    r"oggetto|risposta|inviato|verzonden|aan|onderwerp|wysłano|do|temat|отправлено|кому|тема|"
    r"дата|skickat|till|ämne|sendt|til|emne|发送时间|收件人|抄送|主题|时间|日期"
)
# Spaces taken whole (possessive): no key starts with one, so nothing is lost, and a long
# run of spaces is not split two ways for every position.
FROM_FIELD = re.compile(rf"\s*+\*?\s*+(?:{_FROM_KEYS})\s*+\*?\s*+[:：]\s*\*?.*", re.IGNORECASE)
ANY_FIELD = re.compile(
    rf"\s*+\*?\s*+(?:{_FROM_KEYS}|{_OTHER_KEYS})\s*+\*?\s*+[:：](?:\s.*|\*.*|[^/].*)?",
    re.IGNORECASE,
)
# Ordered: the first row that matches names the client. Adding a client is adding a row.
HEADER_PATTERNS: tuple[HeaderPattern, ...] = (
    # --- separators: everything below is the old message ---
    HeaderPattern("outlook", HeaderKind.SEPARATOR, _p(rf"{_DASHES}(?:{_ORIGINAL}){_DASHES}\*?")),
    HeaderPattern("carrier", HeaderKind.SEPARATOR, _p(r"[-－]{2,}\s*元のメッセージ\s*[-－]{2,}")),
    HeaderPattern("outlook-web", HeaderKind.SEPARATOR, _p(r"[_＿]{10,}")),
    HeaderPattern("gmail-forward", HeaderKind.FORWARD, _p(rf"{_DASHES}(?:{_FORWARDED}){_DASHES}")),
    HeaderPattern(
        "apple-forward",
        HeaderKind.FORWARD,
        _p(r"(?:begin\s+forwarded\s+message|転送されたメッセージ|以下転送)\s*[:：]?"),
    ),
    # --- Outlook's header block, Japanese and English and other locales ---
    # A FROM line counts only when another field line follows it (quote.py checks).
    HeaderPattern("outlook-fields", HeaderKind.FIELDS, FROM_FIELD),
    # --- reply attributions ---
    HeaderPattern(
        "gmail-ja",
        HeaderKind.REPLY,
        _p(
            rf"{_DATE_JA}\s*+{_WEEKDAY_JA}?\s*+(?:\d{{1,2}}\s*+時\s*+\d{{1,2}}\s*+分|{_TIME})\s*+.{{0,120}}[:：]"
        ),
        max_lines=3,
    ),
    HeaderPattern(
        "iphone-ja",
        HeaderKind.REPLY,
        _p(
            rf"(?:{_DATE_SLASH}|{_DATE_JA})\s*+{_WEEKDAY_JA}?\s*+{_TIME}\s*+[、,].{{0,160}}のメール\s*[:：]"
        ),
        max_lines=3,
    ),
    HeaderPattern(
        "thunderbird-ja",
        HeaderKind.REPLY,
        _p(r".{1,160}書きました\s*[:：]"),
        max_lines=2,
    ),
    HeaderPattern(
        "android-ja",
        HeaderKind.REPLY,
        _p(rf"{_DATE_SLASH}\s*+{_TIME}\s*+.{{0,120}}{_ADDR}\s*[:：]"),
        max_lines=3,
    ),
    HeaderPattern(
        "gmail-iso",
        HeaderKind.REPLY,
        _p(rf"\d{{4}}-\d{{2}}-\d{{2}}\s+{_TIME}\s+GMT[+-]\d{{1,2}}:?\d{{2}}.{{0,160}}"),
        max_lines=3,
    ),
    HeaderPattern(
        "gmail-en",
        HeaderKind.REPLY,
        _p(
            rf"(?:on|am|le|el|em|il|op|den|dnia|dne|w|vào|в|στις|pe|la)\s.{{0,300}}?(?:{_WROTE})"
            r"\s*.{0,80}[:：]"
        ),
        max_lines=6,
        needs_digit=True,
    ),
    HeaderPattern(
        "zoho",
        HeaderKind.REPLY,
        _p(rf"[-]{{2,}}\s*on\s.{{0,300}}(?:{_WROTE})\s*[-]{{2,}}"),
        max_lines=2,
    ),
    HeaderPattern(
        "any-locale",
        HeaderKind.REPLY,
        _p(rf".{{0,300}}?\s(?:{_WROTE})(?:\s.{{0,80}})?\s*[:：]"),
        max_lines=4,
        needs_digit=True,
    ),
    HeaderPattern("thunderbird", HeaderKind.REPLY, _p(rf".{{1,120}}\s(?:{_WROTE})\s*[:：]")),
    # Gmail in locales whose attribution has no verb (Russian: 「пн, 5 янв. 2021 г. в
    # 09:00, Имя <адрес>:」): a year, a time and a bracketed address, ending in a colon.
    HeaderPattern(
        "gmail-dated-address",
        HeaderKind.REPLY,
        _p(rf".{{0,80}}\d{{4}}.{{0,60}}{_TIME}.{{0,160}}{_ADDR}\s*[:：]"),
        max_lines=3,
        needs_digit=True,
    ),
    HeaderPattern(
        "gmail-legacy",
        HeaderKind.REPLY,
        _p(rf"{_DATE_SLASH}\s+.{{1,120}}{_ADDR}\s*[:：]?"),
        max_lines=2,
    ),
    HeaderPattern(
        "gmail-bare-date",
        HeaderKind.REPLY,
        _p(rf"\d{{4}}-\d{{2}}-\d{{2}}\s+{_TIME}\s+GMT[+-]\d{{1,2}}:?\d{{2}}\s+[^\s].{{0,80}}"),
    ),
)

# Quoting marks at the start of a line: ASCII and full-width 「＞」, nested or not.
QUOTE_MARK = re.compile(r"[ \t\u3000]*[>＞]")
