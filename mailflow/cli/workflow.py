"""`mailflow tick`, `status`, and the staff commands that move a round: open, close, cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.table import Table

from mailflow.cli.app import app, cli, console
from mailflow.cli.rounds import PHASE_LABELS, deadline_text, round_group

if TYPE_CHECKING:
    from mailflow.services.workflow import TickReport


@cli.command("tick")
@click.pass_context
def tick(ctx: click.Context) -> None:
    """Apply everything due now (use --now to travel in time); the daemon runs this on a timer."""
    from mailflow.services.workflow import tick as run

    for r in run(app(ctx).services()):
        click.echo(f"{r.round_key}: {r.state}; {len(r.applied)} action(s), {r.mails} mail(s)")
        for line in r.described:
            click.echo(f"  {line}")


@cli.command("status")
@click.argument("round_id", required=False)
@click.pass_context
def status(ctx: click.Context, round_id: str | None) -> None:
    """Per phase, who has replied and who has not; counts; the next deadline."""
    from mailflow.services.rounds import list_rounds
    from mailflow.services.status import intake_status, round_status

    services = app(ctx).services()
    tz = services.config.committee.tz
    keys = [round_id] if round_id else [v.key for v in list_rounds(services)]
    out = console()
    waiting = intake_status(services)
    # Mail that belongs to no round yet (or failed before it was placed) is shown first,
    # whether or not any round exists: nothing that waits for staff is out of sight.
    out.print(
        f"受信メール: 隔離中 {waiting['quarantined']} 通、処理失敗 {waiting['failed']} 通"
        + ("（mailflow quarantine list）" if any(waiting.values()) else "")
    )
    for key in keys:
        st = round_status(services, key)
        out.print(f"[bold]{st.key}[/bold]  {st.title}  状態 {st.state}")
        if st.next_deadline:
            ph, at = st.next_deadline
            out.print(f"次の期限: {PHASE_LABELS[ph]} {deadline_text(at, tz, services.clock.now())}")
        table = Table("", "役職", "①", "③", "未回答/未決")
        for p in st.parties:
            table.add_row(p.name, p.role, p.questions, p.further, str(p.owed) if p.owed else "")
        out.print(table)
        out.print(
            f"質疑・意見 {st.items} 件（回答済み {st.answered}、遅延 {st.late}、保留 {st.held}）"
            f"  隔離中のメール {st.quarantined} 通  処理失敗 {st.failed} 通"
        )
        for d in st.decisions:
            out.print(f"答申 {d}")
        for w in st.awaiting_confirmation:
            out.print(f"本人確認待ち {w}")
        if st.unplaced:
            out.print(f"案件未定（事務局で整理） {len(st.unplaced)} 件: mailflow item place 番号 "
                      "--consultation 案件 --why 理由")  # fmt: skip
        for h in st.unplaced:
            mark = "①③"[0 if h.phase == 1 else 1]
            out.print(f"  {h.pk}  {h.author or '—'}  {mark}  「{h.excerpt}」", markup=False)
        if st.unread_documents:
            out.print(f"読み取れない添付（事務局で確認） {len(st.unread_documents)} 件: "
                      "mailflow item add メール番号 --consultation 案件 --text 内容 "
                      "--why 理由")  # fmt: skip
        for doc in st.unread_documents:
            line = f"  mail {doc.message}  {doc.author or '—'}  {doc.filename}  ({doc.reason})"
            out.print(line, markup=False)


def _report(r: TickReport) -> None:
    """What a staff command did, in words: the round's state, then each action applied."""
    click.echo(f"{r.round_key}: {r.state}; {r.mails} mail(s) queued")
    for line in r.described:
        click.echo(f"  {line}")


@round_group.command("open")
@click.argument("round_id")
@click.pass_context
def open_(ctx: click.Context, round_id: str) -> None:
    """Open a draft round: the call for questions goes to every present member."""
    from mailflow.services.workflow import open_round

    _report(open_round(app(ctx).services(), round_id))


@round_group.command("close-early")
@click.argument("round_id")
@click.option("--why", required=True, help="Kept in the audit log.")
@click.pass_context
def close_early(ctx: click.Context, round_id: str, why: str) -> None:
    """Close ① or ③ now, when every present member has replied."""
    from mailflow.services.workflow import close_early as run

    _report(run(app(ctx).services(), round_id, why))


@round_group.command("cancel")
@click.argument("round_id")
@click.option("--why", required=True, help="Kept in the audit log.")
@click.pass_context
def cancel(ctx: click.Context, round_id: str, why: str) -> None:
    """Cancel the round; everyone who has heard of it is told."""
    from mailflow.services.workflow import cancel as run

    _report(run(app(ctx).services(), round_id, why))


@round_group.command("delegate")
@click.argument("round_id")
@click.argument("member_id")
@click.option("--why", required=True, help="Kept in the audit log.")
@click.pass_context
def delegate(ctx: click.Context, round_id: str, member_id: str, why: str) -> None:
    """Let the deputy chair (会長職務代理) decide in the chair's place."""
    from mailflow.services.workflow import delegate as run

    _report(run(app(ctx).services(), round_id, member_id, why))
