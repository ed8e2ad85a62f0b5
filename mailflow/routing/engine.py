"""A tiny rule engine: an ordered table of named rules, first hit wins (Mailman's chains).

Adding behaviour is adding a row to a table, never an ``if`` in a long function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

Subject = TypeVar("Subject")
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class Rule(Generic[Subject, Outcome]):
    """A named check: returns an outcome when it fires, None to pass to the next row."""

    name: str
    check: Callable[[Subject], Outcome | None]
    description: str = ""


@dataclass(frozen=True)
class Hit(Generic[Outcome]):
    """Which rule fired and what it decided."""

    rule: str
    outcome: Outcome


def first_hit(rules: Iterable[Rule[Subject, Outcome]], subject: Subject) -> Hit[Outcome] | None:
    """Run the rules in order and return the first that fires, or None."""
    for rule in rules:
        outcome = rule.check(subject)
        if outcome is not None:
            return Hit(rule.name, outcome)
    return None
