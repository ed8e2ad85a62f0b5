"""Find the signature (署名) that ends what the author wrote: a table of trailing-block rules."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mailflow.parsing.normalize import nfkc

_I = re.IGNORECASE

# RFC 3676 section 4.3 names "-- " the signature separator; many clients drop the space.
_DELIMITER = re.compile(r"(?:--|—|－－|__)\s*")

# Footers phone and web clients append by themselves, as whole lines.
_MOBILE_FOOTER = re.compile(
    r"(?:"
    r"(?:sent|envoyé|enviado|enviada|inviato|verzonden|verstuurd|sendt|skickat|wysłane"
    r"|отправлено|gửi|odesláno|odoslané|poslano|trimis|elküldve|gesendet)\s+"
    r"(?:from|via|with|using|depuis|de(?:\s+mon|\s+ma)?|desde|da|met|van|vanaf|fra|från|z|ze|с|từ"
    r"|de\s+pe|von)\s+[^,]{1,80}"
    r"|lähetetty\s+.{1,60}|.{1,40}(?:'?(?:dan|den|tan|ten))\s+gönderildi\.?|.{1,40}에서\s*보냄"
    r"|(?:get|download)\s+(?:\[)?outlook\s+for\s+(?:ios|android).{0,80}"
    r"|outlook\s+for\s+(?:ios|android)\s*を入手.{0,80}"
    # 「von meinem <device> gesendet」: the device is what lies between the runs of spaces
    # (up to 60 characters), written so that the runs are not split every possible way.
    r"|von\s++meinem\s(?:\s*+\S(?:.{0,58}\S)?\s++|\s{2,})gesendet\.?"
    r"|diese\s++nachricht\s++wurde\s++von\s++meinem\s(?:\s*+\S(?:.{0,78}\S)?\s++|\s{2,})"
    r"gesendet\.?"
    r"|(?:\(|<<)\s*sent\s+(?:from|by|via)\s+.{1,40}(?:\)|>>)"
    r"|.{0,20}(?:iphone|ipad|android|スマートフォン|スマホ|携帯|ドコモメール|docomo|au|"
    r"softbank|ソフトバンク|galaxy|xperia|aquos|arrows)\s*から\s*送信(?:しました|しています|されました"
    r"|されています)?[。.]?"
    r"|從我的\s*\S+\s*傳送|发自我的\s*\S+"
    r")",
    _I,
)

# Opening words of confidentiality notices, Japanese and English.
_DISCLAIMER = re.compile(
    r"\s*(?:[*＊■※【\[]\s*)?(?:"
    r"(?:この|本)(?:電子)?(?:メール|メッセージ)(?:は|には|および|及び|の内容|に含まれ|を誤って)"
    r"|confidentiality\s+notice|disclaimer|privileged\s+(?:and|&)\s+confidential"
    r"|this\s+(?:e-?mail|message|communication)\b.{0,60}\b(?:confidential|intended|privileged)"
    r")",
    _I,
)
_DISCLAIMER_WORDS = re.compile(
    r"機密|秘密|守秘|誤って|誤送信|宛先以外|削除|破棄|複製|開示|confidential|intended|privileged",
    _I,
)

_FRAME_CHARS = "━─＝=＊*〜~～-－_＿ー+＋#＃☆★◆◇■□"
_FRAME = re.compile(rf"\s*[{re.escape(_FRAME_CHARS)}]{{3,}}.*")
# Gmail add-ons leave a lone tracking glyph (U+1427) below the text; it is not content.
_JUNK = re.compile(rf"[\s{re.escape(_FRAME_CHARS)}\u1427\u200b\u2060\ufeff]*")

_CONTACT = re.compile(
    # An address is tried from the start of its run of address characters only, each run
    # taken whole: the same matches, and a long run of letters is scanned once, not per start.
    r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+"
    r"|https?://|www\."
    r"|\b(?:tel|fax|phone|mobile|mobil|cell)\b|電話|内線|ファックス|携帯|〒"
    r"|\d{2,5}[-‐−ー(（]\d{1,4}[-‐−ー)）]\d{3,4}",
    _I,
)
_LATIN_SIGN_OFF = re.compile(r"-[A-Z][a-z]+(?: [A-Z][a-z]+)?")

_MAX_DELIMITED = 15
_MAX_FRAMED = 12
_MAX_DISCLAIMER = 25
_MAX_CONTACT_BLOCK = 8
_MAX_UNFRAMED_WIDTH = 50
# A sentence ends here; a period after a letter (not an address such as "example.jp").
_SENTENCE = re.compile(r"(?:[。？?！!]|(?<=[a-z)]{2})\.)\s*$")


def _nonblank(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if line.strip()]


def _nonblank_from(lines: Sequence[str]) -> list[int]:
    """For each index, how many non-blank lines start there or later (one pass, not n²)."""
    counts = [0] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        counts[i] = counts[i + 1] + (1 if lines[i].strip() else 0)
    return counts


def _has_contact(line: str) -> bool:
    # Full-width digits and letters (ＴＥＬ０４２…) are common in Japanese signatures.
    return _CONTACT.search(nfkc(line)) is not None  # cached: several rules ask per line


def _is_frame(line: str) -> bool:
    stripped = line.strip()
    if not _FRAME.fullmatch(stripped):
        return False
    framing = sum(1 for ch in stripped if ch in _FRAME_CHARS)
    return framing * 2 >= len(stripped)


def _by_delimiter(lines: Sequence[str]) -> int | None:
    remaining = _nonblank_from(lines)
    for i, line in enumerate(lines):
        if _DELIMITER.fullmatch(line) and remaining[i + 1] <= _MAX_DELIMITED:
            return i
    return None


def is_mobile_footer(line: str) -> bool:
    """「iPhoneから送信」, "Sent from my iPhone" and the like, as a whole line."""
    return _MOBILE_FOOTER.fullmatch(line.strip()) is not None


def _by_mobile_footer(lines: Sequence[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if is_mobile_footer(line)), None)


def _by_disclaimer(lines: Sequence[str]) -> int | None:
    remaining = _nonblank_from(lines)
    for i, line in enumerate(lines):
        opens_paragraph = i == 0 or not lines[i - 1].strip() or _is_frame(lines[i - 1])
        if not opens_paragraph or not _DISCLAIMER.match(line):
            continue
        if remaining[i] <= _MAX_DISCLAIMER and _DISCLAIMER_WORDS.search(" ".join(lines[i : i + 6])):
            return i
    return None


def _looks_like_contact_block(block: Sequence[str], max_width: int = 80) -> bool:
    """Name, section, address and phone lines: short, no sentences, at least one contact."""
    lines = [line.strip() for line in _nonblank(block) if not _is_frame(line)]
    if not lines or not any(_has_contact(line) for line in lines):
        return False
    if any(_SENTENCE.search(line) for line in lines if not _DISCLAIMER.match(line)):
        return False
    return all(len(line) <= max_width for line in lines)


def _by_frame(lines: Sequence[str]) -> int | None:
    remaining = _nonblank_from(lines)
    for i, line in enumerate(lines):
        if i == 0 or remaining[i + 1] > _MAX_FRAMED or not _is_frame(line):
            continue
        if _looks_like_contact_block(lines[i + 1 :]):
            return i
    return None


def _by_contact_paragraph(lines: Sequence[str]) -> int | None:
    """An unframed trailing paragraph such as 「子ども保健・給付課 山田 / 内線1234」."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if start == 0 or not 2 <= len(block) <= _MAX_CONTACT_BLOCK:
        return None
    # Without a frame, only narrow lines: wrapped prose with a URL is not a signature.
    return start if _looks_like_contact_block(block, _MAX_UNFRAMED_WIDTH) else None


# "Best regards," and its kin close an English letter: the name block follows.
_VALEDICTION = re.compile(
    r"(?:(?:best|kind|warm|warmest|many)\s+regards|regards|sincerely|yours\s+(?:sincerely|truly)"
    r"|best\s+wishes|with\s+thanks|many\s+thanks|thanks|thank\s+you|cheers|best)\s*[,.!]?",
    _I,
)
_MAX_VALEDICTION_BLOCK = 5


def valediction_start(lines: Sequence[str]) -> int | None:
    """Where "Best regards," and the name block under it begin, if the text ends so.

    Not a rule of the new-text extraction (a reply keeps its sign-off, as mail readers
    show it); items leave it out, as they leave out 「よろしくお願いします」.
    """
    body = [i for i, line in enumerate(lines) if line.strip()]
    for n, i in enumerate(body):
        if not _VALEDICTION.fullmatch(lines[i].strip()):
            continue
        rest = [lines[k].strip() for k in body[n + 1 :]]
        if 1 <= len(rest) <= _MAX_VALEDICTION_BLOCK and all(
            len(r) <= 80 and not _SENTENCE.search(r) for r in rest
        ):
            return i
    return None


def _by_sign_off(lines: Sequence[str]) -> int | None:
    body = [i for i, line in enumerate(lines) if line.strip()]
    if len(body) >= 2 and _LATIN_SIGN_OFF.fullmatch(lines[body[-1]].strip()):
        return body[-1]
    return None


@dataclass(frozen=True)
class SignatureRule:
    """One way a signature starts; ``find`` returns the index of its first line."""

    name: str
    find: Callable[[Sequence[str]], int | None]


SIGNATURE_RULES: tuple[SignatureRule, ...] = (
    SignatureRule("delimiter", _by_delimiter),
    SignatureRule("mobile-footer", _by_mobile_footer),
    SignatureRule("disclaimer", _by_disclaimer),
    SignatureRule("framed-block", _by_frame),
    SignatureRule("contact-paragraph", _by_contact_paragraph),
    SignatureRule("sign-off", _by_sign_off),
)


# A sender's own name closing the text: 「子ども保健・給付課」「子ども保健・給付課　山田」
# 「委員 石田直樹」, with at most two more lines of 担当, unit or contact details below.
# All matching is on the NFKC copy (full-width spaces, colons and brackets folded).
_MAX_NAMED_BLOCK = 3
_MAX_NAMED_WIDTH = 50
_MAX_NAME_TAIL = 30
_KANJI = "\u3005\u4e00-\u9fff"
_NAME_GAP = r"[\s・]*"
# Before the name: a bracket, 「担当：」, or one word such as 委員 or 健康福祉部 and a space.
_NAME_PREFIX = r"(?:[【\[(]\s*|担当者?\s*:?\s*|[^\sぁ-ゖ。、,!?]{1,12}(?:\s+|\s*:\s*))?"
_SENTENCE_LIKE = re.compile(
    r"[。、,!?]|ます|です|でした|ません|ない|なし|した|する|ください|下さい|について|として"
)
# What may follow the name without a space: 「課長」「石田委員」, a unit 「給付係」.
_JOINED_TAIL = re.compile(rf"長|委員|[{_KANJI}ァ-ヶー]{{1,8}}(?:係|担当|グループ|チーム|室|班)")
_TAIL_SEPARATOR = re.compile(r"[\s()【】\[\]/|:・]")
_UNIT_LINE = re.compile(
    r"担当者?\s*+:?\s*+\S.{0,15}|\S{1,16}(?:係|担当|グループ|チーム|室|課|班)(?:\s+\S{1,8})?"
)
_PERSON_LINE = re.compile(rf"[{_KANJI}]{{1,4}}(?:\s+[{_KANJI}ぁ-ゖァ-ヶー]{{1,5}})?")


# Every sender signs with names of their own, and a committee has hundreds of them: a
# pattern compiled per name would be compiled again and again, for any cache smaller than
# the committee. So the name is not written into the pattern but read from the subject:
# the pattern for names of n characters is matched against the name's characters, a
# separator and the line, and refers back to each character in turn (``\1`` matches
# exactly the character its group took, as the literal would), with the same prefix,
# gaps and backtracking. One pattern per length, whatever the names.
_NAME_SEPARATOR = "\x00"


@functools.lru_cache(maxsize=64)
def _name_pattern(length: int) -> re.Pattern[str]:
    chars = "(.)" * length
    body = _NAME_GAP.join(f"\\{k}" for k in range(1, length + 1))
    return re.compile(f"{chars}{_NAME_SEPARATOR}{_NAME_PREFIX}{body}", re.DOTALL)


@dataclass(frozen=True)
class _Name:
    """A signer's name as the matcher reads it: its characters without spaces and ・."""

    key: str

    def match(self, flat: str) -> int | None:
        """Where the name (after a prefix such as 委員 or 【) ends in ``flat``, if it opens it."""
        m = _name_pattern(len(self.key)).match(self.key + _NAME_SEPARATOR + flat)
        return None if m is None else m.end() - len(self.key) - len(_NAME_SEPARATOR)


def _names(names: Sequence[str]) -> tuple[_Name, ...]:
    out: list[_Name] = []
    for name in names:
        chars = "".join(c for c in nfkc(name) if not c.isspace() and c != "・")
        if len(chars) < 2:
            continue  # one character matches too much to be anyone's name
        if len(chars) > _MAX_NAMED_WIDTH:
            continue  # longer than any line it could open
        out.append(_Name(chars))
    return tuple(out)


def _name_tail(line: str, names: Sequence[_Name]) -> str | None:
    """What follows the sender's name on a line that opens with it and reads as a
    signature (「」 for the name alone), or None for any other line."""
    flat = nfkc(line).strip()
    if len(flat) > _MAX_NAMED_WIDTH:
        return None
    for name in names:
        end = name.match(flat)
        if end is None:
            continue
        tail = flat[end:]
        joined = _JOINED_TAIL.match(tail)
        rest = tail[joined.end() :] if joined else tail
        if rest and not _TAIL_SEPARATOR.match(rest):
            continue  # 「子ども保健・給付課で対応します」: the name is part of a sentence
        if len(rest.strip()) <= _MAX_NAME_TAIL and not _SENTENCE_LIKE.search(rest):
            return tail.strip()
    return None


# 「西多摩市個人情報保護審議会 委員（公募）」「(審議会委員)」: what the signer is.
_AFFILIATION = re.compile(
    r"委員|会長|審議会|審査会|委員会|協議会|council|committee|member|chair|(?:^[(（].*[)）]$)", _I
)


def _is_detail_line(line: str, *, person: bool) -> bool:
    """A line below the name: contact details, 担当 or a unit, an affiliation, a frame,
    or a person's name."""
    flat = nfkc(line).strip()
    if _is_frame(flat):
        return True
    if len(flat) > _MAX_NAMED_WIDTH or _SENTENCE.search(flat):
        return False
    if _has_contact(flat):
        return True  # 「電話 042-393-5111、内線3000」 may have a comma
    if _AFFILIATION.search(flat) and not re.search(r"[。、,]|ます|です", flat):
        return True
    if _SENTENCE_LIKE.search(flat):
        return False
    return bool(_UNIT_LINE.fullmatch(flat)) or (person and bool(_PERSON_LINE.fullmatch(flat)))


# The lookahead checks the ending once, so each 部/局 tried is not a scan to the end.
_BUREAU = re.compile(
    r"^(?=.*(?:課|係|室|所|センター)$)(?P<bureau>.+?[部局])(?P<section>.{2,}(?:課|係|室|所|センター))$"
)


def department_name_forms(name: str) -> tuple[str, ...]:
    """The names a department signs with: its registered name and, where that name
    carries its bureau (「健康福祉部子ども保健・給付課」), the section alone
    (「子ども保健・給付課」), which is how its staff sign."""
    flat = name.strip()
    found = _BUREAU.match(flat.replace(" ", "").replace("\u3000", ""))
    if found is None:
        return (flat,) if flat else ()
    return (flat, found.group("section"))


def signer_signature_start(lines: Sequence[str], signer_names: Sequence[str]) -> int | None:
    """Where a closing block that opens with one of ``signer_names`` begins, or None.

    The sender's own name (a department's 課名, a member's name) on one of the last
    three non-blank lines, followed only by 担当, unit, contact or person-name lines,
    signs the text. A sentence that mentions the name (「子ども保健・給付課で対応します。」)
    does not, nor does a line that goes on with anything but a name or contact details.
    """
    names = _names(signer_names)
    if not names:
        return None
    body = [i for i, line in enumerate(lines) if line.strip()]
    last = body[-(_MAX_NAMED_BLOCK + 2) :]
    for n, i in enumerate(last):
        tail = _name_tail(lines[i], names)
        if tail is None:
            continue
        # A person's name on a line of its own only right below the bare name (課名 / 氏名),
        # and only under some text: 「石田\n賛成」 alone is a reply, not a signature.
        person = not tail and i > body[0]
        below = [k for k in last[n + 1 :] if not _is_frame(lines[k])]
        if len(below) >= _MAX_NAMED_BLOCK:
            continue
        if all(_is_detail_line(lines[k], person=person and m == 0) for m, k in enumerate(below)):
            # A rule or frame right above the name opens the signature (☆★☆, ------).
            above = body.index(i) - 1
            if above >= 0 and _is_frame(lines[body[above]]) and body[above] > body[0]:
                return body[above]
            return i
    return None


def _trailing_junk(lines: Sequence[str]) -> int | None:
    """Where a tail of blank, frame-only or tracking-glyph lines begins, if there is one."""
    end = len(lines)
    while end and _JUNK.fullmatch(lines[end - 1]):
        end -= 1
    if end == len(lines) or not any(line.strip() for line in lines[end:]):
        return None
    return end


def signature_start(lines: Sequence[str], signer_names: Sequence[str] = ()) -> int | None:
    """Index of the first signature line in the author's last block of text, or None.

    Only a trailing block counts: a 「-----」 separator or a 「- 」 bullet inside the text
    is content, since what follows it has no contact details or is too long.
    ``signer_names`` are the sender's known names: a closing line that opens with one of
    them is a signature too (:func:`signer_signature_start`).
    """
    found = [i for rule in SIGNATURE_RULES if (i := rule.find(lines)) is not None]
    start = min(found) if found else None
    if signer_names:
        # The name may also sign above a footer or delimited block the rules found.
        named = signer_signature_start(lines[:start], signer_names)
        start = named if named is not None else start
    junk = _trailing_junk(lines[:start] if start is not None else lines)
    return junk if junk is not None else start


def strip_signature(text: str, signer_names: Sequence[str] = ()) -> str:
    """The text without its trailing signature (lines are only removed, never changed)."""
    lines = text.split("\n")
    start = signature_start(lines, signer_names)
    return text if start is None else "\n".join(lines[:start]).rstrip()
