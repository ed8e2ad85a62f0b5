"""One rule for the decision in force, whoever asks: the engine, the minutes, the export."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from mailflow.domain import Verdict
from mailflow.services.minutes import current_decision
from mailflow.workflow.facts import DecisionFact
from mailflow.workflow.steps import current_decisions
from tests.unit.workflow.world import seed_facts


def test_the_engine_and_the_minutes_agree_on_a_change_after_confirmation() -> None:
    confirmed = DecisionFact("13", Verdict.APPROVE, "aoki", confirmed=True)
    changed = DecisionFact("13", Verdict.REJECT, "aoki")
    stranger = DecisionFact("14", Verdict.APPROVE, "ishida")  # not the chair: no 答申
    facts = seed_facts(decisions=(confirmed, changed, stranger))
    assert current_decisions(facts) == {"13": changed}

    def row(pk: int, state: str, verdict: str, hour: int) -> SimpleNamespace:
        at = datetime(2021, 1, 22, hour, tzinfo=UTC)
        return SimpleNamespace(id=pk, consultation_id=1, state=state, verdict=verdict,
                               received_at=at)  # fmt: skip

    rows = [row(2, "pending", "reject", 11), row(1, "confirmed", "approve", 10)]
    assert current_decision(rows, 1) is rows[0]  # type: ignore[arg-type]
    rows.append(row(3, "superseded", "approve", 12))
    assert current_decision(rows, 1) is rows[0]  # type: ignore[arg-type]
