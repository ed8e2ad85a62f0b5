"""The items of one consultation as the minutes list them: order, nesting, published wording."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mailflow.minutes.model import AnswerEntry, ItemEntry


@dataclass(frozen=True)
class ItemRecord:
    """An item row as the minutes need it (the store maps its rows to these)."""

    id: int
    public_id: str
    phase: int
    seq: int
    text: str
    published_text: str | None
    parent_id: int | None
    state: str
    author: str  # 青木 和子会長; shown only when the minutes are not anonymous


@dataclass(frozen=True)
class AnswerRecord:
    """An answer row; ``secretariat_label`` is set for the secretariat's own answers."""

    id: int
    item_id: int
    text: str
    published_text: str | None
    state: str
    received_at: datetime
    secretariat_label: str | None


def published(text: str, staff_text: str | None) -> str:
    """Staff wording wins when set; the original is kept verbatim otherwise."""
    chosen = staff_text if staff_text is not None and staff_text.strip() else text
    # Blank lines inside one item would split it in Markdown; the words stay as written.
    return "\n".join(line.rstrip() for line in chosen.strip().splitlines() if line.strip())


def _order(item: ItemRecord) -> tuple[int, int, int]:
    # ① before ③, then by the public ID's number (docs/design.md "The process").
    return (item.phase, item.seq, item.id)


def _reaches_root(item_id: int, parent_of: Mapping[int, int | None]) -> bool:
    """False for an item without a published parent, or one caught in a cycle of follow-ups."""
    if item_id not in parent_of:
        return False
    seen = {item_id}
    current = parent_of[item_id]
    while current is not None and current in parent_of:
        if current in seen:
            return False
        seen.add(current)
        current = parent_of[current]
    return True


def build_items(
    items: Sequence[ItemRecord], answers: Iterable[AnswerRecord], *, anonymous: bool
) -> tuple[ItemEntry, ...]:
    """Active items in order; follow-ups nested under the item they follow.

    A follow-up whose parent is not published (withdrawn, rejected, another consultation)
    stands on its own rather than disappearing from the record.
    """
    active = sorted((i for i in items if i.state == "active"), key=_order)
    ids = {i.id for i in active}
    by_item: dict[int, list[AnswerRecord]] = defaultdict(list)
    for a in answers:
        if a.state == "active" and a.item_id in ids:
            by_item[a.item_id].append(a)
    parent_of = {i.id: i.parent_id for i in active if i.parent_id in ids}
    children: dict[int | None, list[ItemRecord]] = defaultdict(list)
    for i in active:
        children[i.parent_id if _reaches_root(i.id, parent_of) else None].append(i)

    def entry(item: ItemRecord) -> ItemEntry:
        rows = sorted(by_item[item.id], key=lambda a: (a.received_at, a.id))
        return ItemEntry(
            public_id=item.public_id,
            text=published(item.text, item.published_text),
            answers=tuple(
                AnswerEntry(published(a.text, a.published_text), a.secretariat_label) for a in rows
            ),
            follow_ups=tuple(entry(c) for c in children[item.id]),
            author=None if anonymous else item.author,
        )

    return tuple(entry(i) for i in children[None])
