"""The decision in force (答申) on each consultation, defined once (pure).

Every reader of decisions asks this one function: the phase machine (is every
consultation decided? what to echo), the re-ask (what to restate as received), the
minutes, the export and the console. The rule: of the decisions not superseded, by
the chair or the member staff delegated to (when the caller says who may decide), the
latest one the chair wrote stands — a change awaiting confirmation included, since it
is what the chair last said and is what the echo asks them to confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from typing import TypeVar

D = TypeVar("D")
K = TypeVar("K", bound=Hashable)


def decision_in_force(
    decisions: Iterable[D],
    consultation: Callable[[D], K],
    *,
    superseded: Callable[[D], bool] = lambda d: False,
    decided_by: Callable[[D], str | None] | None = None,
    deciders: Collection[str | None] = (),
) -> dict[K, D]:
    """Consultation → the decision in force, from ``decisions`` oldest first.

    ``decided_by`` and ``deciders`` restrict to who may decide (the chair keeps that
    right after delegating; anyone else's word is no 答申).
    """
    current: dict[K, D] = {}
    for d in decisions:
        if superseded(d):
            continue
        if decided_by is not None and decided_by(d) not in deciders:
            continue
        current[consultation(d)] = d
    return current
