"""compose: Japanese subject, names, body and attachments survive both decoders byte for byte."""

from __future__ import annotations

import base64
import email
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.policy import compat32
from email.utils import parseaddr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.outbound.compose import (
    SharedBody,
    compose,
    compose_parts,
    encode_body,
    encoded_words,
)
from mailflow.outbound.model import OutgoingAttachment, OutgoingMail
from mailflow.parsing.mime import decode

JST = timezone(timedelta(hours=9))
PDF = bytes(range(256)) * 40 + b"\r\n.\r\n--=_mf_x\r\n"
XLSX_NAME = "回答シート_諮問第13号（子ども保健・給付課）①②.xlsx"
PDF_NAME = "諮問書_第13号_子育て応援ギフトセット配布業務委託について（令和3年度）.pdf"


def mail(**changes: object) -> OutgoingMail:
    base: dict[str, object] = {
        "from_name": "東村山市 個人情報保護運営審議会 事務局",
        "from_address": "shingikai@city.example.jp",
        "to": (("青木和子 会長", "aoki@example.jp"),),
        "subject": "[R2-5] 諮問第13号・第14号 質疑及び意見のお願い（①〜④）",
        "text": "青木和子様\n\n① 諮問書P. 3「5（4）」について質問です。\n② 意見です。\n\n以上\n",
        "message_id": "<mf1.abcdefgh.17-x1@city.example.jp>",
        "date": datetime(2021, 1, 5, 9, 0, tzinfo=JST),
        "reply_to": "shingikai+abcdefgh@city.example.jp",
    }
    base.update(changes)
    return OutgoingMail(**base)  # type: ignore[arg-type]


def stdlib(raw: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_round_trip_through_our_decoder() -> None:
    m = mail(cc=(("石田直樹", "ishida@example.jp"),))
    d = decode(compose(m))
    assert d.subject == m.subject
    assert d.from_name == m.from_name
    assert d.from_address == "shingikai@city.example.jp"
    assert d.to == ("aoki@example.jp",)
    assert d.cc == ("ishida@example.jp",)
    assert d.body == m.text
    assert d.message_id == "mf1.abcdefgh.17-x1@city.example.jp"
    assert d.header("Reply-To") == "shingikai+abcdefgh@city.example.jp"
    assert d.defects == ()


def test_round_trip_through_the_standard_library() -> None:
    m = mail(in_reply_to="<q@member.example>", references=("<a@x>", "<q@member.example>"))
    raw = compose(m)
    p = stdlib(raw)
    assert str(p["Subject"]) == m.subject
    assert p["To"].addresses[0].display_name == "青木和子 会長"
    assert p["To"].addresses[0].addr_spec == "aoki@example.jp"
    # Python's address parser keeps the space between two encoded words, against RFC
    # 2047 §6.2; its RFC 2047 decoder proper reads the From name right.
    old = email.message_from_bytes(raw, policy=compat32)
    name, addr = parseaddr(str(old["From"]))
    assert (str(make_header(decode_header(name))), addr) == (m.from_name, m.from_address)
    assert p["In-Reply-To"] == "<q@member.example>"
    assert str(p["References"]).split() == ["<a@x>", "<q@member.example>"]
    body = p.get_body()
    assert body is not None
    # get_content keeps the canonical CRLF line ends of a base64 text part.
    assert body.get_content() == m.text.replace("\n", "\r\n")
    assert body["Content-Transfer-Encoding"] == "base64"
    assert body.get_content_charset() == "utf-8"
    assert p["Date"].datetime == m.date


def test_attachments_are_byte_identical_with_japanese_names() -> None:
    atts = (
        OutgoingAttachment(PDF_NAME, "application/pdf", PDF),
        OutgoingAttachment(
            XLSX_NAME,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04" + bytes(5000),
        ),
        OutgoingAttachment("schedule.txt", "text/plain", "日程\r\n".encode("cp932")),
    )
    raw = compose(mail(attachments=atts))
    got = decode(raw).attachments
    assert [(a.filename, a.content_type, a.data) for a in got] == [
        (a.filename, a.content_type, a.data) for a in atts
    ]
    parts = list(stdlib(raw).iter_attachments())
    assert [
        (p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts
    ] == [(a.filename, a.content_type, a.data) for a in atts]
    assert decode(raw).body == mail().text


def test_old_outlook_reads_the_rfc2047_name_in_content_type() -> None:
    raw = compose(mail(attachments=(OutgoingAttachment(PDF_NAME, "application/pdf", b"%PDF"),)))
    part = next(stdlib(raw).iter_attachments())
    # What a client that knows no RFC 2231 sees: Content-Type's name, RFC 2047 words.
    value = part.get_param("name", header="content-type")
    assert isinstance(value, str)
    assert str(make_header(decode_header(value))) == PDF_NAME
    assert b"filename*0*=UTF-8''" in raw  # RFC 2231 for everyone else


def test_wire_form_crlf_seven_bit_short_lines() -> None:
    long_text = "子育て応援ギフト" * 400 + "\n" + "①" * 3000
    raw = compose(
        mail(
            text=long_text,
            subject="件名" * 200,
            attachments=(OutgoingAttachment(PDF_NAME * 3, "application/pdf", PDF),),
        )
    )
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert raw.endswith(b"\r\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert decode(raw).body == long_text + "\n"
    assert decode(raw).subject == "件名" * 200


def test_automatic_mail_headers_and_their_absence() -> None:
    p = stdlib(compose(mail()))
    assert p["Auto-Submitted"] == "auto-generated"
    assert p["X-Auto-Response-Suppress"] == "All"
    q = stdlib(compose(mail(auto_submitted=False)))
    assert q["Auto-Submitted"] is None and q["X-Auto-Response-Suppress"] is None
    assert p["MIME-Version"] == "1.0"


def test_encoded_words_hold_whole_characters() -> None:
    text = "a①ア" * 40 + "🎍"
    words = encoded_words(text)
    decoded = ""
    for w in words:
        assert len(w) <= 75  # RFC 2047 §2
        m = re.fullmatch(r"=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=", w)
        assert m
        decoded += base64.b64decode(m.group(1)).decode("utf-8")  # each decodes alone
    assert decoded == text


def test_short_ascii_subject_stays_readable_and_specials_are_quoted() -> None:
    raw = compose(mail(subject="[R2-5] Reminder", to=(("Smith, J.", "j@example.com"),)))
    assert b"\r\nSubject: [R2-5] Reminder\r\n" in raw
    assert b'To: "Smith, J." <j@example.com>' in raw
    assert stdlib(raw)["To"].addresses[0].display_name == "Smith, J."


def test_header_injection_is_impossible() -> None:
    raw = compose(mail(subject="hi\r\nBcc: victim@example.com", from_name="x\nBcc: y@z"))
    p = stdlib(raw)
    assert p["Bcc"] is None
    assert "Bcc: victim@example.com" in str(p["Subject"])


def test_same_mail_same_bytes_and_bad_fields_refused() -> None:
    atts = (OutgoingAttachment("a.pdf", "application/pdf", b"1"),)
    assert compose(mail(attachments=atts)) == compose(mail(attachments=atts))
    with pytest.raises(ValueError):
        compose(mail(to=(("名前", "名前@example.jp"),)))
    with pytest.raises(ValueError):
        compose(mail(attachments=(OutgoingAttachment("a", "not a type", b""),)))
    with pytest.raises(ValueError):
        mail(date=datetime(2021, 1, 5, 9, 0))
    with pytest.raises(ValueError):
        mail(message_id="no-brackets@x")
    assert mail(date=datetime(2021, 1, 5, tzinfo=UTC)).date.tzinfo is UTC


@settings(max_examples=150, deadline=None)
@given(
    subject=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120),
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    body=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400
    ),
)
def test_any_text_round_trips(subject: str, name: str, body: str) -> None:
    m = mail(subject=subject, text=body, to=((name, "member@example.jp"),))
    raw = compose(m)
    p = stdlib(raw)
    assert str(p["Subject"]) == subject.strip() or str(p["Subject"]) == subject
    got = p.get_body()
    assert got is not None
    expected = body if not body or body.endswith("\n") else body + "\n"
    assert got.get_content() == expected.replace("\n", "\r\n")
    assert decode(raw).subject == subject.replace("\n", " ").strip() or not subject.strip()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


# Line breaks of every kind next to the name, multi-octet characters across the 3- and
# 57-octet grid of base64, and names of several lengths.
_PIECES = st.text(st.sampled_from([*"ab \r\n様①", "\U0001f600"]), max_size=300)
_NAMES = st.text(st.sampled_from([*"青木ab"]), min_size=1, max_size=9)


def plain_body(text: str) -> str:
    """The body as RFC 2045 defines it: CRLF text, UTF-8, base64 cut into 76 columns."""
    canonical = text.replace("\r\n", "\n").replace("\r", "\n")
    if canonical and not canonical.endswith("\n"):
        canonical += "\n"
    encoded = base64.b64encode(canonical.replace("\n", "\r\n").encode()).decode()
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


@settings(max_examples=300, deadline=None)
@given(head=_PIECES, tail=_PIECES, names=st.lists(_NAMES, min_size=1, max_size=6))
def test_a_body_shared_by_many_encodes_as_each_alone(
    head: str, tail: str, names: list[str]
) -> None:
    shared = SharedBody(tail)
    for name in names:
        text = head + name + tail
        assert encode_body(text) == plain_body(text)
        assert shared.encode(text) == plain_body(text)
        assert compose(mail(text=text), shared) == compose(mail(text=text))
    assert shared.encode(head + "別の結び") == plain_body(head + "別の結び")  # not its tail


def test_a_shared_body_keeps_a_few_offsets_only() -> None:
    shared = SharedBody("本文" * 100)
    for n in range(1, 40):
        assert shared.encode("様" * n + "本文" * 100) == plain_body("様" * n + "本文" * 100)
    assert len(shared._encoded) <= SharedBody._KEEP


@settings(max_examples=300, deadline=None)
@given(
    head=_PIECES,
    tail=_PIECES,
    names=st.lists(_NAMES, min_size=1, max_size=6),
    attached=st.booleans(),
)
def test_a_mail_split_into_its_own_head_and_a_shared_tail_is_the_mail(
    head: str, tail: str, names: list[str], attached: bool
) -> None:
    shared = SharedBody(tail)
    atts = (OutgoingAttachment("a.pdf", "application/pdf", PDF),) if attached else ()
    tails: dict[int, bytes] = {}
    for n, name in enumerate(names):
        m = mail(text=head + name + tail, message_id=f"<m{n}@x>", attachments=atts)
        whole = compose(m)
        parts = compose_parts(m, shared)
        assert parts.head + (parts.tail.data if parts.tail else b"") == whole
        assert compose_parts(m).raw == whole and compose_parts(m).tail is None
        if parts.tail is not None:
            assert not attached  # a boundary of its own follows the body
            assert whole.endswith(parts.tail.data) and parts.tail.data.endswith(b"\r\n")
            assert parts.tail.sha256 == hashlib.sha256(parts.tail.data).hexdigest()
            offset = len(re.sub(r"\r\n|\r|\n", "\r\n", head + name).encode()) % 57
            # Recipients at one offset share one tail: the same bytes, encoded once.
            assert tails.setdefault(offset, parts.tail.data) == parts.tail.data


def test_a_long_body_to_many_leaves_each_mail_a_few_lines_of_its_own() -> None:
    body = "回答です。\n" * 20_000
    shared = SharedBody("様\n\n" + body)
    split = [
        compose_parts(mail(text=f"{name}様\n\n{body}", message_id=f"<m{n}@x>"), shared)
        for n, name in enumerate(["青木和子", "石田一郎", "林優", "青木和子"])
    ]
    assert all(p.tail is not None and len(p.head) < 2000 for p in split)
    assert len({id(p.tail) for p in split}) <= 3  # one per length of name
    assert split[0].tail is split[3].tail
