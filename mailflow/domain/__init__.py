"""Domain vocabulary shared by every layer: phases, roles, item IDs, verdicts."""

from mailflow.domain.model import (
    ConsultationRef,
    ItemId,
    ItemKind,
    Phase,
    Role,
    Verdict,
)

__all__ = ["ConsultationRef", "ItemId", "ItemKind", "Phase", "Role", "Verdict"]
