"""What a piece of a member's text is: question, request or opinion; courtesy; 「特になし」.

Kind of an item from how each of its sentences *ends* (its predicate), never from a
keyword inside a clause (all on an NFKC copy, quotes ignored):

* **request** — されたい／していただきたい／てほしい／てください／をお願いします／を求める／
  要望する／提案する／…すること。 (the seed's demands (1)–(3) end in すること);
* **question** — か／のか／でしょうか／ですか／伺いたい／伺います／教えてください／？;
* **opinion** — べきだ／べきである／と考える／と思う／が望ましい／必要がある, and 「…すべきでは
  ないか。」, which argues rather than asks.

An item is a request if one of its sentences asks for action, else a question if one
asks (the department must answer both), else an opinion. English items read the same
way: "?" asks, "I would like to request" / "please" request, the rest is opinion.

Courtesy lines (お世話になっております／よろしくお願いします／以上／宛名／名乗り) are never
items; a reply whose only content is 「特になし」「質問はありません」「意見なし」「異議ありません」
and the like is an empty reply that still counts as responded (docs/design.md "Parsing").
"""

from __future__ import annotations

import functools
import re

from mailflow.domain import ItemKind
from mailflow.parsing import meta
from mailflow.parsing.normalize import CACHED_CHARS, nfkc

_SENTENCE_END = "。．.!！?？"

# Kinds are read from how a sentence *ends* (its predicate), last sentence first: a
# keyword in the middle of an item (「すべき」 in a subordinate clause) decides nothing.
_TAIL_CHARS = frozenset("。．.!！、,」』)）] \t\u3000")
_TRAILING_ASIDE = re.compile(r"[(（][^()（）]*+[)）]$")
_ARGUED_END = re.compile(
    r"べき(?:だ|である|です|であろう|ではないか|ではないでしょうか|では|と考える|と考えます"
    r"|だと考える|だと考えます|と思う|と思います|だと思う|だと思います|と感じる|と感じます)?$"
)
_OPINION_END = re.compile(
    r"(?:と|かと)(?:考える|考えます|考えている|考えています|思う|思います|思われる|思われます"
    r"|感じる|感じます|感じている|感じています|存じます|認識している)$"
    r"|(?:が|は|も)?望ましい(?:です|と考える|と考えます|と思う|と思います)?$"
    r"|必要(?:がある|があります|である|です|だ)$|べきではないか$|ではないかと思う$"
)
_REQUEST_END = re.compile(
    r"(?:され|して|させ|行い|し)?たい(?:です)?(?:と(?:思う|思います|考える|考えます|存じます))?$"
    r"|(?:て|で)(?:ほしい|欲しい|もらいたい|いただきたい|頂きたい)(?:です)?"
    r"(?:と(?:思う|思います|考える|考えます|存じます))?$"
    r"|(?:いただき|頂き)たく(?:存じます|お願い(?:します|いたします|申し上げます))$"
    r"|(?<!教え)(?<!ご教示)(?<!御教示)(?:て|で)(?:ください|下さい)$|(?:願い|お願い)(?:ます|します|いたします|したい|申し上げます)$"
    r"|求め(?:る|ます|たい|たいと思います|ていただきたい)$|要望(?:する|します|したい|いたします)$"
    r"|要請(?:する|します|したい)$|提案(?:する|します|したい|いたします)$"
    r"|(?:する|させる|とする|される|しない|させない|行う|設ける|定める|明記する|記載する)こと$"
    r"|ようにされたい$|よう(?:に)?(?:お願い|求め)(?:する|します|したい|いたします)?$"
)
_QUESTION_END = re.compile(
    r"(?:か|かな|かね|でしょうか|ますか|ですか|のか|のでしょうか|ないか|だろうか)$"
    r"|(?:伺う|伺います|伺いたい|伺いたいです|お伺いします|お伺いしたい|お聞きしたい|お尋ねします"
    r"|お尋ねしたい|知りたい|知りたいです)$"
    r"|(?:教えて|ご教示|御教示)(?:ください|下さい|願います|いただきたい|頂きたい|ほしい)(?:です)?$"
    r"|\?$"
)
_ENGLISH_REQUEST = re.compile(
    r"\b(?:i|we)\s+(?:would\s+like\s+to\s+)?(?:request|ask|urge|recommend)\b|\bplease\b"
    r"|\bi\s+would\s+like\s+the\s+city\s+to\b",
    re.IGNORECASE,
)
_ENGLISH_OPINION = re.compile(r"\b(?:i|we)\s+(?:think|believe|feel)\b|\bshould\b", re.IGNORECASE)
_SENTENCES = re.compile(r"[^。．!！?？\n]+[。．!！?？]*|(?<=[a-z)\"'])\.\s")

_COURTESY = re.compile(
    r"^(?:"
    r"(?:いつも|大変|たいへん)?(?:お世話|御世話)になって(?:おり|い)ます"
    r"|(?:いつも)?お世話になります"
    r"|お疲れ様です|お疲れさまです|ご苦労様です"
    r"|(?:どうぞ|何卒|なにとぞ)?(?:よろしく|宜しく)(?:お願い|御願い)(?:いた|致|申し上げ)?(?:し)?ます"
    r"|(?:どうぞ|何卒|なにとぞ)?(?:よろしく|宜しく)(?:お願い|御願い)(?:いたします|致します|します)?"
    r"|以上(?:です|となります|、?よろしくお願いします)?"
    r"|取り急ぎ.{0,20}|(?:ご|お)?(?:連絡|報告|送付|回答)まで"
    r"|(?:以下|下記|次)?の?(?:とおり|通り)?[、,]?(?:ご?質問|ご?照会|ご?質疑|ご依頼)?(?:に|へ|について|の件)?"
    r"(?:ご)?(?:回答|返信|返答)(?:いた|致|申し上げ)?(?:し)?ます"
    r"|(?:以下|下記)の(?:とおり|通り).{0,20}(?:送|提出|回答|連絡|お送り|お知らせ).{0,12}"
    r"|ご確認(?:ください|下さい|のほど.*)"
    r")[。.!！、]*$"
)

_NOTHING = re.compile(
    r"^(?:(?:今回|今回は|本件|本件は|両件|両件とも|両案件とも|両案件|いずれも|どちらも|全件|全て|すべて|私から|私からは)[、,]?)*"
    r"(?:(?:第?\d+号|諮問第\d+号)(?:は|について|については|とも|ともに|:)?[、,]?)*"
    r"(?:特に|特段の?)?[、,]?"
    r"(?:(?:ご?質問|ご?意見|質疑|ご?質問等|ご?意見等|ご?質問・ご?意見|質疑・意見|ご?質問及びご?意見"
    r"|ご?質問やご?意見|ご?質問、ご?意見|異議|異論|指摘事項?)"
    r"(?:は|も|とも|ともに|等は|などは|について|は特に|とも特に|ともに特に)?[、,]?)*"
    r"(?:特に)?[、,]?"
    r"(?:なし|無し|ない|ありません|ございません|ありませんでした|ございませんでした|ないです"
    r"|ありません。?よろしくお願いします)"
    r"(?:です|でした)?[。.!！]*$"
)

# Only at the top of a mail: 「事務局 御中」「情報公開係 様」「委員の山田です。」.
_OPENING = re.compile(
    r"^(?:.{0,20}(?:様|さま|御中|各位|殿)|(?:委員の|審議会委員の).{1,12}です|.{1,12}委員です"
    r"|.{1,16}(?:課|係|室|担当|部)(?:の.{1,8})?です)[。.!！、]*$"
)

# A lead-in to the list that follows: 「以下質問いたします」「下記のとおり意見を申し上げます」,
# or what is left of 「諮問第13号について質問します。」 once the section heading is cut off.
_LEAD_IN = re.compile(
    r"^(?:について[、,]?)?(?:下記|以下)?(?:の)?(?:とおり|通り)?[、,]?"
    r".{0,6}?(?:質問|意見|質疑|伺い|お尋ね)?(?:を|させて|と)?.{0,4}?"
    r"(?:いたします|します|致します|申し上げます|いただきます|伺います|お伺いします)[。.!！、]*$"
)

# 「山田です」 after a greeting on the same line: a name, never a sentence of substance.
_SHORT_INTRO = re.compile(r"^[^\sぁ-ゖ]{1,8}です$")

_NAME_LINE = re.compile(r"^[^。、?!,.:：]{1,20}$")
_SEPARATOR_CHARS = frozenset("-―─—━=_*~ ")
_PIECE_END = re.compile(r"[、。,.!！]")
_QUOTES = re.compile(r"[「」『』\"]")
_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _cached_clean(text) if len(text) <= CACHED_CHARS else _clean_copy(text)


def _clean_copy(text: str) -> str:
    folded = nfkc(text)
    # 「」 and () around words do not change what the sentence asks.
    folded = _QUOTES.sub("", folded)
    return _SPACE.sub("", folded)


# Every line goes through several of the predicates below, each wanting this copy. The
# cache is small on purpose: it serves the lines of the mail at hand, not earlier mails.
_cached_clean = functools.lru_cache(maxsize=256)(_clean_copy)


def _strip_tail(sentence: str) -> str:
    """The sentence without its closing punctuation and a trailing aside in brackets."""
    end = len(sentence)
    while end:
        if sentence[end - 1] in _TAIL_CHARS:
            end -= 1
            continue
        if sentence[end - 1] in ")）":
            aside = _TRAILING_ASIDE.search(sentence, max(0, end - 200), end)
            if aside is not None:
                end = aside.start()
                continue
        break
    return sentence[:end]


def _sentence_kind(sentence: str) -> ItemKind | None:
    """The kind a sentence's ending states, or None (a reason, a fact, a fragment)."""
    flat = _strip_tail(sentence)
    if not flat:
        return None
    if _ARGUED_END.search(flat):
        return ItemKind.OPINION  # 「…すべきではないか。」 argues; it does not ask
    if sentence.rstrip().endswith(("?", "？")):
        return ItemKind.QUESTION
    if flat.isascii():
        if _ENGLISH_REQUEST.search(flat):
            return ItemKind.REQUEST
        return ItemKind.OPINION if _ENGLISH_OPINION.search(flat) else None
    if _QUESTION_END.search(flat):
        return ItemKind.QUESTION
    if _REQUEST_END.search(flat):
        return ItemKind.REQUEST
    if _OPINION_END.search(flat):
        return ItemKind.OPINION
    return None


def _split_sentences(text: str) -> list[str]:
    flat = nfkc(text)
    if flat.isascii():
        # English keeps its spaces: the words are told apart by them.
        flat = _SPACE.sub(" ", flat).strip()
        parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])", flat)
    else:
        parts = re.split(r"(?<=[。．!！?？])", _clean(text))
    return [p for p in parts if p.strip()]


def classify(text: str) -> ItemKind:
    """The kind of one item from its sentences' endings: a request if one asks for action,
    else a question if one asks (the department must answer both), else an opinion."""
    kinds = {_sentence_kind(sentence) for sentence in _split_sentences(text)}
    for kind in (ItemKind.REQUEST, ItemKind.QUESTION):
        if kind in kinds:
            return kind
    return ItemKind.OPINION


def is_courtesy_line(line: str) -> bool:
    """Greetings and closings (「以上、よろしくお願いいたします。」): never an item.

    A line counts when it is courtesy as a whole, or when each of its pieces between
    、 and 。 is courtesy or a self-introduction (「お世話になっております。委員の石田です。」).
    """
    flat = _clean(line)
    if not flat:
        return False
    if _COURTESY.match(flat):
        return True
    pieces = [p for p in _PIECE_END.split(flat) if p]
    return (
        len(pieces) > 1
        and all(_COURTESY.match(p) or _OPENING.match(p) or _SHORT_INTRO.match(p) for p in pieces)
        and any(_COURTESY.match(p) for p in pieces)
    )


def is_closing_line(line: str) -> bool:
    """「以上」, alone or in a courtesy line (「以上です。」「以上、よろしくお願いします。」).

    In Japanese business mail 以上 ends the content of a letter, as it ends a 記 list:
    what the writer puts below it is a sign-off, not more of the content.
    """
    if not is_courtesy_line(line):
        return False
    return any(piece.startswith("以上") for piece in _PIECE_END.split(_clean(line)))


def is_opening_line(line: str) -> bool:
    """A salutation or self-introduction, as written at the top of a mail."""
    flat = _clean(line)
    return bool(flat) and bool(_OPENING.match(flat))


def is_lead_in_line(line: str) -> bool:
    """「以下質問いたします」: announces the items, is not one."""
    flat = _clean(line)
    return bool(flat) and bool(_LEAD_IN.match(flat))


def is_nothing_line(line: str) -> bool:
    """「特になし」「質問はありません」「異議ありません」 and the like."""
    flat = _clean(line).lstrip("・●-*")
    return bool(flat) and (bool(_NOTHING.match(flat)) or meta.is_nothing_line(line))


def is_name_line(line: str) -> bool:
    """A short line without punctuation, as a signature's name or section line is."""
    flat = nfkc(line).strip()
    return bool(_NAME_LINE.match(flat)) and not flat[0].isdigit()


def is_separator_line(line: str) -> bool:
    """A signature rule such as ``--`` or a line of ―, ━ or =."""
    flat = nfkc(line).strip()
    return len(flat) >= 2 and flat[0] in _SEPARATOR_CHARS and set(flat) <= _SEPARATOR_CHARS
