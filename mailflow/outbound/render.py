"""Render an outbound mail's view into its subject and plain text, in Japanese or English.

Each kind has one template, ``templates/mail/<lang>/<kind>.txt``, which sets
``subject`` at its top and writes the body below; the subject tag (``[R2-5]``) is put
in front here, so no template can forget it and routing can rely on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any

import jinja2

from mailflow.domain import ItemKind, Phase, Verdict, jadate
from mailflow.domain.endofday import is_end_of_day
from mailflow.outbound.alerts import alert_text
from mailflow.outbound.views import (
    ConsultationInfo,
    DepartmentBundle,
    ItemInfo,
    MailView,
    StaffAlertDigest,
)
from mailflow.parsing.answer_sheet import write_answer_sheet
from mailflow.parsing.reply_form import render_reply_form
from mailflow.render import make_environment

LANGUAGES = ("ja", "en")

_KIND_JA = {ItemKind.QUESTION: "質問", ItemKind.OPINION: "意見", ItemKind.REQUEST: "要望"}
# Staff read the digest in Japanese; unknown kinds are shown as they are.
_ALERT_JA = {
    "missing_replies": "未返信",
    "unanswered": "未回答",
    "late_item": "期限後到着",
    "no_department": "所管課なし",
    "decision_incomplete": "答申不完全",
    "decision_overdue": "答申期限超過",
    "no_decider": "答申者不在",
    "parse_uncertain": "読取要確認",
    "unplaced_item": "案件未定",
    "intake": "受信",
    "system": "システム",
}
_VERDICT_EN = {
    Verdict.APPROVE: "approved",
    Verdict.APPROVE_WITH_CONDITIONS: "approved with conditions",
    Verdict.REJECT: "not approved",
    Verdict.UNCLEAR: "not understood",
}


@dataclasses.dataclass(frozen=True)
class RenderedMail:
    """A mail's subject (with its tag) and its plain-text body, ready for the composer."""

    subject: str
    text: str


def _local(value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"a deadline in a mail must be an aware datetime: {value.isoformat()}")
    return value.astimezone(tz)


def _due_ja(value: datetime, tz: tzinfo, today: date | None = None) -> str:
    """``1月13日（水）``, or ``1月13日（水）17時00分`` when the deadline is not the day's end;
    with the era's year in front when it is not the year of ``today`` (the mail's date)."""
    local = _local(value, tz)
    if is_end_of_day(local):
        return jadate.month_day(local, today)
    return jadate.month_day_time(local, today)


def _today(context: Any) -> date | None:
    found = context.get("today")
    return found if isinstance(found, date) else None


def _md_en(value: datetime, tz: tzinfo) -> str:
    local = _local(value, tz)
    return f"{local:%a} {local.day} {local:%b} {local.year}"


def _due_en(value: datetime, tz: tzinfo) -> str:
    local = _local(value, tz)
    day = _md_en(value, tz)
    return day if is_end_of_day(local) else f"{day}, {local:%H:%M}"


def _reply_form(consultations: tuple[ConsultationInfo, ...]) -> str:
    return render_reply_form([c.ref for c in consultations]).rstrip("\n")


@lru_cache(maxsize=8)
def environment(tz: tzinfo) -> jinja2.Environment:
    """The shared mail environment (StrictUndefined, 1月13日（水）) plus the mail filters."""
    env = make_environment(tz)
    env.filters["due"] = jinja2.pass_context(lambda ctx, d: _due_ja(d, tz, _today(ctx)))
    env.filters["md"] = jinja2.pass_context(
        lambda ctx, d: jadate.month_day(_local(d, tz) if isinstance(d, datetime) else d,
                                        _today(ctx))
    )  # fmt: skip
    env.filters["md_en"] = lambda d: _md_en(d, tz)
    env.filters["due_en"] = lambda d: _due_en(d, tz)
    env.filters["kind_ja"] = lambda k: _KIND_JA[ItemKind(k)]
    env.filters["verdict_en"] = lambda v: _VERDICT_EN[Verdict(v)]
    env.filters["reply_form"] = _reply_form
    env.filters["alert_ja"] = lambda what: _ALERT_JA.get(str(what), str(what))
    env.filters["alert_text"] = alert_text
    env.globals["Phase"] = Phase
    return env


def _tag(view: MailView) -> str:
    if isinstance(view, StaffAlertDigest):
        return view.tag or "mailflow"
    return view.round.tag


def render_mail(
    view: MailView, language: str, tz: tzinfo, today: date | None = None
) -> RenderedMail:
    """The subject ``[R2-5] …`` and the body of ``view`` in ``language`` ("ja" or "en");
    ``today`` (the mail's date) makes dates of another year carry it."""
    if language not in LANGUAGES:
        raise ValueError(f"no mail templates for language {language!r}; have {LANGUAGES}")
    template = environment(tz).get_template(f"mail/{language}/{view.kind}.txt")
    context = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    module = template.make_module({**context, "view": view, "today": today})
    subject = " ".join(str(vars(module).get("subject", "")).split())
    if not subject:
        raise ValueError(f"template mail/{language}/{view.kind}.txt sets no subject")
    text = str(module).lstrip("\n")
    return RenderedMail(f"[{_tag(view)}] {subject}", text)


class RenderStream:
    """`render_mail`'s text in pieces as the template writes them (never joined), and its
    subject once they are all read: a text of many megabytes is never held whole."""

    def __init__(self, view: MailView, language: str, tz: tzinfo, today: date | None) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no mail templates for language {language!r}; have {LANGUAGES}")
        self._name = f"mail/{language}/{view.kind}.txt"
        self._template = environment(tz).get_template(self._name)
        context = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
        self._context = self._template.new_context({**context, "view": view, "today": today})
        self._tag = _tag(view)
        self._done = False

    def __iter__(self) -> Iterator[str]:
        leading = True  # `render_mail` strips the text's leading line breaks
        for piece in self._template.root_render_func(self._context):
            if leading:
                piece = piece.lstrip("\n")
                leading = not piece
            if piece:
                yield piece
        self._done = True

    @property
    def subject(self) -> str:
        """As `render_mail`'s; the template sets it as it runs, so only once read through."""
        if not self._done:
            raise ValueError("the subject is known once the text is read through")
        subject = " ".join(str(self._context.get_exported().get("subject", "")).split())
        if not subject:
            raise ValueError(f"template {self._name} sets no subject")
        return f"[{self._tag}] {subject}"


def _flatten(items: Iterable[ItemInfo]) -> Iterator[ItemInfo]:
    for item in items:
        yield item
        yield from _flatten(item.children)


def answer_sheet_rows(bundle: DepartmentBundle) -> Iterator[tuple[str, str, str]]:
    """The answer sheet's rows of a bundle, one per item ID, answers blank: read as the
    sheet is written."""
    return ((item.id, item.text, "") for item in _flatten(bundle.items) if item.id)


def answer_sheet_for(bundle: DepartmentBundle) -> bytes:
    """The .xlsx answer sheet (回答票) of a bundle: one row per item ID, answers blank."""
    return write_answer_sheet(answer_sheet_rows(bundle))


__all__ = [
    "LANGUAGES",
    "RenderStream",
    "RenderedMail",
    "answer_sheet_for",
    "answer_sheet_rows",
    "environment",
    "render_mail",
]
