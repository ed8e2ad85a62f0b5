"""Domain vocabulary shared by every layer: phases, roles, item IDs, verdicts."""

from mailflow.domain.model import (
    AnswerState,
    ConsultationRef,
    HeldDocumentState,
    ItemId,
    ItemKind,
    ItemState,
    Phase,
    Role,
    Verdict,
)

__all__ = [
    "AnswerState",
    "ConsultationRef",
    "HeldDocumentState",
    "ItemId",
    "ItemKind",
    "ItemState",
    "Phase",
    "Role",
    "Verdict",
]
