"""A round file (開催回): id, title, deadlines and consultations, as staff write it in TOML.

Rounds are data, not configuration: `mailflow round import FILE.toml` reads this.
Checks that need the committee (departments and members exist) happen at import.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mailflow.domain.endofday import end_of_day
from mailflow.domain.jadate import fiscal_year_label, fiscal_year_of
from mailflow.domain.model import ConsultationRef, Phase
from mailflow.errors import InputError
from mailflow.tomlfile import problems, read_toml

ROUND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")

# Names staff use for the phases, in files and on the command line.
PHASE_NAMES: dict[str, Phase] = {
    "questions": Phase.QUESTIONS,
    "answers": Phase.ANSWERS,
    "further": Phase.FURTHER,
    "decision": Phase.DECISION,
    "1": Phase.QUESTIONS,
    "2": Phase.ANSWERS,
    "3": Phase.FURTHER,
    "4": Phase.DECISION,
}


def phase_from_name(name: str) -> Phase:
    try:
        return PHASE_NAMES[name.strip().lower()]
    except KeyError:
        raise InputError(
            [f"unknown phase {name!r}: use questions, answers, further, decision (or 1–4)"]
        ) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsultationSpec(_Strict):
    """A consultation (諮問案件) of the round and the departments that answer it."""

    key: str = Field(pattern=r"^[0-9A-Za-z-]{1,16}$")  # short key used in item IDs: "13"
    number: str = Field(min_length=1)  # as written: 令和2年度諮問第13号
    title: str = Field(min_length=1)
    departments: list[str] = Field(min_length=1)

    def ref(self) -> ConsultationRef:
        return ConsultationRef(key=self.key, number=self.number, title=self.title)


class Deadlines(_Strict):
    """One deadline per phase; a bare date means the end of that day in the committee's zone."""

    questions: datetime | date
    answers: datetime | date
    further: datetime | date
    decision: datetime | date

    @field_validator("questions", "answers", "further", "decision")
    @classmethod
    def _aware(cls, value: datetime | date) -> datetime | date:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(
                "needs a UTC offset, such as 2021-01-13T23:59:00+09:00, or a bare date"
            )
        return value

    def resolved(self, tz: tzinfo) -> dict[Phase, datetime]:
        out: dict[Phase, datetime] = {}
        for name, phase in (
            ("questions", Phase.QUESTIONS),
            ("answers", Phase.ANSWERS),
            ("further", Phase.FURTHER),
            ("decision", Phase.DECISION),
        ):
            value = getattr(self, name)
            out[phase] = value if isinstance(value, datetime) else end_of_day(value, tz)
        return out


class RoundSpec(_Strict):
    """The whole round file."""

    id: str
    committee: str | None = None  # committee id; may be left out when there is one
    title: str = Field(min_length=1)
    fiscal_year: int = Field(ge=1989, le=2200)
    notice_date: date
    deadlines: Deadlines
    consultations: list[ConsultationSpec] = Field(min_length=1)
    absent: list[str] = Field(default_factory=list)  # member ids absent this round
    # Files staff supply (the consultation documents), relative to the round file's folder
    # and inside it (services/round_documents.py); stored at import and attached to the
    # call for questions.
    documents: list[Path] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ROUND_ID.match(value):
            raise ValueError("use letters, digits, '-', '_' or '.', such as R2-5")
        return value

    @model_validator(mode="after")
    def _checks(self) -> Self:
        errs = []
        keys = [c.key for c in self.consultations]
        for i, k in enumerate(keys):
            if k in keys[:i]:
                errs.append(f"consultations[{i}].key: duplicate key {k!r}")
        if errs:
            raise ValueError("\n".join(errs))
        return self

    def refs(self) -> list[ConsultationRef]:
        return [c.ref() for c in self.consultations]

    def resolved_deadlines(self, tz: tzinfo, source: Path | str) -> dict[Phase, datetime]:
        """Deadlines as aware datetimes; InputError unless ① < ② < ③ < ④."""
        resolved = self.deadlines.resolved(tz)
        errs = [f"deadlines: {e}" for e in deadline_order_problems(resolved)]
        errs += self.calendar_problems(resolved, tz)
        if errs:
            raise InputError(f"{source}: {e}" for e in errs)
        return resolved

    def calendar_problems(self, deadlines: dict[Phase, datetime], tz: tzinfo) -> list[str]:
        """The notice must come before the ① deadline, and fall in the round's fiscal year
        (年度: April to March), which is the year the minutes are filed under."""
        errs = []
        first = deadlines[Phase.QUESTIONS].astimezone(tz).date()
        if self.notice_date > first:
            errs.append(
                f"notice_date: {self.notice_date.isoformat()} is after the ① (questions) "
                f"deadline {first.isoformat()}"
            )
        held = fiscal_year_of(self.notice_date)
        if held != self.fiscal_year:
            errs.append(
                f"fiscal_year: {self.fiscal_year} ({fiscal_year_label(self.fiscal_year)}) does "
                f"not hold the notice date {self.notice_date.isoformat()}, which falls in "
                f"{held} ({fiscal_year_label(held)})"
            )
        return errs


def deadline_order_problems(deadlines: dict[Phase, datetime]) -> list[str]:
    phases = sorted(deadlines)
    return [
        f"{a.mark} ({_phase_key(a)}) must come before {b.mark} ({_phase_key(b)})"
        for a, b in itertools.pairwise(phases)
        if deadlines[a] >= deadlines[b]
    ]


def _phase_key(phase: Phase) -> str:
    return {1: "questions", 2: "answers", 3: "further", 4: "decision"}[phase.value]


def parse_round_spec(data: dict[str, Any], source: Path | str) -> RoundSpec:
    try:
        return RoundSpec.model_validate(data)
    except ValidationError as exc:
        lines: list[str] = []
        for line in problems(exc, source):
            head, _, rest = line.partition(": ")
            rest = rest.removeprefix("(top level): ")
            lines.extend(f"{head}: {part}" for part in rest.split("\n"))
        raise InputError(lines) from None


def load_round_spec(path: Path) -> RoundSpec:
    return parse_round_spec(read_toml(path), path)
