"""`mailflow round import|list|show|set-deadline`: rounds are data, staff manage them here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from mailflow.cli.app import app, cli, console
from mailflow.domain import Phase
from mailflow.domain.endofday import is_end_of_day
from mailflow.domain.jadate import fiscal_year_label, month_day, month_day_time, wareki, weekday
from mailflow.domain.roundspec import load_round_spec, phase_from_name
from mailflow.services import rounds as svc
from mailflow.workflow.state import RoundState, next_deadline

PHASE_LABELS = {
    Phase.QUESTIONS: "① 質疑・意見の締切",
    Phase.ANSWERS: "② 回答の一括送付",
    Phase.FURTHER: "③ さらなる意見の締切",
    Phase.DECISION: "④ 会長の答申",
}


def deadline_text(when: datetime, tz: ZoneInfo, now: datetime) -> str:
    """``1月13日（水）まで``, with the year when it is not this year's (by ``now``)."""
    local, today = when.astimezone(tz), now.astimezone(tz).date()
    if is_end_of_day(local):
        return f"{month_day(local, today)}まで"
    return f"{month_day_time(local, today)}まで"


@cli.group("round")
def round_group() -> None:
    """Rounds (開催回): import from a file, list, show, change deadlines."""


@round_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def import_(ctx: click.Context, file: Path) -> None:
    """Import a round from FILE.toml (see examples/round-r2-5.toml)."""
    services = app(ctx).services()
    spec = load_round_spec(file)
    rnd = svc.import_round(services, spec, file)
    click.echo(f"imported round {rnd.key}: {rnd.title} ({len(spec.consultations)} consultations)")


@round_group.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """All rounds of the committee, with state and next deadline."""
    services = app(ctx).services()
    tz = services.config.committee.tz
    now = services.clock.now()
    table = Table("ID", "title", "state", "next deadline")
    for view in svc.list_rounds(services):
        due = next_deadline(RoundState(view.state), view.deadlines, now)
        nxt = f"{due[0].mark} {deadline_text(due[1], tz, now)}" if due else "—"
        table.add_row(view.key, view.title, view.state, nxt)
    console().print(table)


@round_group.command("show")
@click.argument("round_id")
@click.pass_context
def show(ctx: click.Context, round_id: str) -> None:
    """Consultations, departments, members with roles, and the four deadlines."""
    services = app(ctx).services()
    tz = services.config.committee.tz
    view = svc.show_round(services, round_id)
    now = services.clock.now()
    out = console()
    out.print(f"[bold]{view.key}[/bold]  {view.title}")
    out.print(
        f"{fiscal_year_label(view.fiscal_year)}  通知日 {wareki(view.notice_date)}"
        f"（{weekday(view.notice_date)}）  状態 {view.state}"
    )
    out.print()
    cons = Table("諮問案件", "件名", "所管課", title="諮問案件", title_justify="left")
    for c in view.consultations:
        cons.add_row(c.number, c.title, "・".join(c.departments))
    out.print(cons)
    people = Table("委員", "役職", "出欠", title="参加委員", title_justify="left")
    for m in view.members:
        people.add_row(m.name, m.role.title_ja, "欠席" if m.absent else "出席")
    out.print(people)
    dl = Table("手順", "期限", title="日程", title_justify="left")
    for phase, when in sorted(view.deadlines.items()):
        dl.add_row(PHASE_LABELS[phase], deadline_text(when, tz, now))
    out.print(dl)


@round_group.command("set-deadline")
@click.argument("round_id")
@click.argument("phase", metavar="PHASE")
@click.argument("when", metavar="WHEN")
@click.option("--why", required=True, help="Reason, kept in the audit log.")
@click.pass_context
def set_deadline(ctx: click.Context, round_id: str, phase: str, when: str, why: str) -> None:
    """Move PHASE's deadline (questions|answers|further|decision or 1–4) to WHEN.

    WHEN is an ISO date-time with offset, or a date meaning the end of that day.
    """
    from mailflow.services.workflow import extend_deadline

    services = app(ctx).services()
    ph = phase_from_name(phase)
    tz = services.config.committee.tz
    old = svc.show_round(services, round_id).deadlines[ph]
    new = svc.parse_when(when, services)
    now = services.clock.now()
    report = extend_deadline(services, round_id, ph, new, why)
    click.echo(
        f"{round_id} {PHASE_LABELS[ph]}: "
        f"{deadline_text(old, tz, now)} → {deadline_text(new, tz, now)}"
    )
    if report.mails:
        click.echo(f"  {report.mails} notice(s) of the new date queued")
