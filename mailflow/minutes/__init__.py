"""The minutes (会議録) of a round: a pure view model, its wording, and the item tree."""

from mailflow.minutes.model import (
    AnswerEntry,
    Attendee,
    ConsultationLine,
    ItemEntry,
    MinutesView,
    Proceedings,
    ResponderGroup,
)

__all__ = [
    "AnswerEntry",
    "Attendee",
    "ConsultationLine",
    "ItemEntry",
    "MinutesView",
    "Proceedings",
    "ResponderGroup",
]
