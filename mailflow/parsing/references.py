"""What an item cites: the page and clause of the consultation paper, and the item it follows.

Document reference (the first one in the item), normalised:

* 「諮問書P. 3「5 コンピュータ・記録媒体の利用、外部接続の有無（4）」」 → ``P.3 5(4)``
* 「諮問書P. 1「2委託内容（1）ウ」」 → ``P.1 2(1)ウ``; 「(1)②」 keeps the ② → ``5(1)②``
* 「諮問書P. 31「令和3年度…運用方法（案）2（5）イ」」 → ``P.31 2(5)イ``
* 「諮問書P. 21「…特約条項 第6条第2項」」 → ``P.21 第6条第2項``
* 「諮問書P. 16、18「…別記様式1及び2」」 → ``P.16,18``; 「3ページ」「３頁」 → ``P.3``

Follow-up target: an item ID written anywhere (「[Q13-03]」「Q13-3について」「Ｑ１３－３」 →
``Q13-03``), else ``previous`` for 「先ほどの回答について」「先の回答」「上記回答」 and the like.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailflow.domain import ItemId
from mailflow.parsing.normalize import CIRCLED, DASHES, kanji_to_int, nfkc

# A list of pages, each run taken whole. At most 30 more after the first: a longer list
# (never written) is read from its end, and each start of a search reads a bounded stretch.
_LIST = r"\d++(?:\s*+[、,・]\s*+\d++){0,30}+"
# Runs of spaces are entered at their start only (the lookbehinds): the same leftmost
# matches, without a scan to the end of the run from every position in it.
_PAGES = re.compile(
    rf"(?:諮問書|資料|別紙|仕様書|協定書|(?<!\s))\s*+(?:\(案\)\s*+)?(?:[Pp]\s*+[.．]?\s*+(?P<p>{_LIST})"
    rf"|(?<!\d)(?P<q>{_LIST})\s*+(?:ページ|頁|ﾍﾟｰｼﾞ)|page\s*+(?P<e>\d++))",
    re.IGNORECASE,
)
# 「別紙1のデータ項目一覧」「別紙1の4」: an attachment of the papers, cited by number.
_ANNEX = re.compile(r"(別紙|別添|別表|資料)\s*(\d+)(?:\s*の\s*(\d+))?")
_KANJI_PAGE = re.compile(
    r"(?<![〇零一二三四五六七八九十百千])([〇零一二三四五六七八九十百千]++)\s*+(?:ページ|頁)"
)
_QUOTE = re.compile(r"\s*[「『]([^」』]*)[」』]")
_LEAD_NUM = re.compile(r"^\s*(\d+)")
_PAREN = re.compile(rf"\((\d+)\)\s*([ア-ン{CIRCLED}](?![ァ-ヶー]))?")
_NUM_PAREN = re.compile(rf"(?<!\d)(\d++)\s*+\((\d++)\)\s*+([ア-ン{CIRCLED}](?![ァ-ヶー]))?")
_DIGIT = re.compile(r"\d")
_ARTICLE = re.compile(r"第\s*(\d+)\s*条(?:\s*第\s*(\d+)\s*項)?")


def _clause(quoted: str) -> str | None:
    """The clause number inside the quoted heading, e.g. 「5 …（4）」 → 5(4)."""
    lead = _LEAD_NUM.match(quoted)
    if lead:
        paren = _PAREN.search(quoted, lead.end())
        if paren:
            return f"{lead.group(1)}({paren.group(1)}){paren.group(2) or ''}"
        return lead.group(1)
    numbered = _NUM_PAREN.search(quoted)
    if numbered:
        return f"{numbered.group(1)}({numbered.group(2)}){numbered.group(3) or ''}"
    article = _ARTICLE.search(quoted)
    if article:
        return f"第{article.group(1)}条" + (f"第{article.group(2)}項" if article.group(2) else "")
    paren = _PAREN.search(quoted)
    if paren:
        return f"({paren.group(1)}){paren.group(2) or ''}"
    return None


def find_reference(text: str) -> str | None:
    """The first document reference in ``text``, normalised, or None."""
    folded = nfkc(text, keep_circled=True)
    # Both forms need a page number; most items cite none, and a search for a digit is
    # far cheaper than trying _PAGES at every position.
    m = _PAGES.search(folded) if _DIGIT.search(folded) else None
    annex = _ANNEX.search(folded) if _DIGIT.search(folded) else None
    if annex and (not m or annex.start() < m.start()):
        return annex.group(1) + annex.group(2) + (f"の{annex.group(3)}" if annex.group(3) else "")
    if not m:
        kanji = _KANJI_PAGE.search(folded)
        value = kanji_to_int(kanji.group(1)) if kanji else None
        return f"P.{value}" if value else None
    pages = m.group("p") or m.group("q") or m.group("e")
    ref = "P." + ",".join(re.split(r"\s*[、,・]\s*", pages))
    quoted = _QUOTE.match(folded, m.end())
    if quoted:
        clause = _clause(quoted.group(1))
        if clause:
            ref += f" {clause}"
    return ref


_ITEM_ID = re.compile(rf"[Qq]\s*(\d+)\s*[{DASHES}]\s*(\d+)(?!\d)")
_PREVIOUS = re.compile(
    r"(?:先ほど|先程|さきほど|先|上記|前回|今回|前記|前述)の?(?:ご|御)?回答"
    r"|(?:ご|御)?回答(?:について|に関して|に対して|を受けて|を踏まえ|を拝見|を読んで|によると|では)"
)


# 「31-10の回答について」「32-04について」: an ID without its Q, only where the words
# around it say it is one and the number before the dash is a consultation of the round.
_SHORT_ID = re.compile(
    rf"(?<![\w.])(?<![{DASHES}])(\d{{1,3}})\s*[{DASHES}]\s*(\d{{1,3}})(?!\d)(?![{DASHES}])"
    r"(?=\s*[\]】)]?\s*(?:の(?:ご)?回答|について|に関して|に対する|への|の件|で|[:：、,]))"
)


def find_item_ids(text: str, keys: Sequence[str] = ()) -> tuple[str, ...]:
    """Every item ID written in ``text`` (any width, any dash), as ``Q13-03``, in order.

    With the round's consultation ``keys``, an ID written without its Q
    (「31-10の回答について」) counts too.
    """
    folded = nfkc(text)
    found: list[tuple[int, str]] = []
    for m in _ITEM_ID.finditer(folded):
        found.append((m.start(), str(ItemId(m.group(1), int(m.group(2))))))
    if keys:
        for m in _SHORT_ID.finditer(folded):
            if m.group(1) in keys and not any(a <= m.start() <= a + 1 for a, _ in found):
                found.append((m.start(), str(ItemId(m.group(1), int(m.group(2))))))
    out: list[str] = []
    for _, item in sorted(found):
        if item not in out:
            out.append(item)
    return tuple(out)


def find_follows(text: str, keys: Sequence[str] = ()) -> str | None:
    """The item this one follows up: an ID, or "previous" for 「先の回答」, else None."""
    ids = find_item_ids(text, keys)
    if ids:
        return ids[0]
    return "previous" if _PREVIOUS.search(nfkc(text)) else None


_OPENER = re.compile(
    rf"\s*+(?:[\[【(]\s*+)?+(?:[Qq]\s*+)?+\d{{1,3}}+\s*+[{DASHES}]\s*+\d{{1,3}}+(?!\d)"
    r"|\s*+(?:同じく|また|次に|続いて|さらに)?+[、,]?+\s*+(?:諮問書|資料|別紙|仕様書|協定書|契約書)?+"
    r"\s*+(?:\(案\))?+\s*+(?:[Pp]\s*+\.?+\s*+\d++|\d++\s*+(?:ページ|頁)|別紙\s*+\d++)"
)


def opens_with_reference(line: str, keys: Sequence[str] = ()) -> bool:
    """True when ``line`` starts with its own reference: an item ID (「[Q31-06]について」
    「Ｑ４２－０２の回答で」「32-04の回答について」) or a page of the papers
    (「諮問書12ページの…」「同じく13ページの…」) — the way a new point begins."""
    folded = nfkc(line)
    m = _OPENER.match(folded)
    if m is None:
        return False
    if not re.match(r"\s*[\[【(]?\s*[Qq]", folded) and re.match(rf"\s*\d+\s*[{DASHES}]", folded):
        return bool(find_item_ids(folded[: m.end() + 12], keys))  # a bare 31-10 needs its words
    return True
