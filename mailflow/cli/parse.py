"""`mailflow parse`: show how one mail (or one plain-text body) is understood."""

from __future__ import annotations

import re
from pathlib import Path

import click

from mailflow.cli.app import AppContext, app, cli
from mailflow.domain import ConsultationRef
from mailflow.errors import InputError
from mailflow.parsing.pipeline import ROLES, AuthorRole, parse_mail

# A mail starts with a header field (RFC 5322 §2.2: printable ASCII name, colon) or an
# mbox "From " line; anything else (a PDF, a text file) is refused rather than guessed at.
_FIRST_LINE = re.compile(rb"^(?:From |[!-9;-~]+[ \t]*:)")


def _bad(line: str) -> InputError:
    # InputError is printed by the root group as one line, exit status 2.
    return InputError([line])


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _bad(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _bad(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise _bad(f"{path}: cannot read ({exc.strerror})") from None


def _check_is_mail(path: Path, raw: bytes) -> None:
    head = raw.lstrip(b"\r\n")
    if not head or not _FIRST_LINE.match(head) or b"\0" in head[:4096]:
        raise _bad(f"{path}: not a mail message (no header lines at the top)")


def _round_file_refs(path: Path) -> tuple[ConsultationRef, ...]:
    from mailflow.domain.roundspec import load_round_spec

    # load_round_spec reports a missing or invalid file as InputError itself.
    return tuple(load_round_spec(path).refs())


def _round_refs(ctx: AppContext, round_id: str) -> tuple[ConsultationRef, ...]:
    # Imported here: only --round needs the database and its configuration.
    from mailflow.services.rounds import consultation_refs

    return tuple(consultation_refs(ctx.services(), round_id))


def _expected(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in re.split(r"[,、，\s]+", value) if part.strip())


def _emit(text: str) -> None:
    # Bytes, not text: click writes bytes to the binary stream, so the output is UTF-8
    # whatever the locale says and scripts reading it never meet a UnicodeEncodeError.
    click.echo(text.encode("utf-8"), nl=not text.endswith("\n"))


def _text_only(path: Path, signers: tuple[str, ...]) -> str:
    from mailflow.parsing.quote import extract_new_text

    body = _read(path).decode("utf-8-sig", errors="replace")
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return extract_new_text(body, signers)


@cli.command("parse")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option(
    "--as",
    "role",
    type=click.Choice(ROLES),
    default="member",
    show_default=True,
    help="Who wrote the mail: a member, a department (answers) or the chair (decisions).",
)
@click.option(
    "--round-file",
    type=click.Path(path_type=Path),
    help="Round file (TOML) naming the consultations.",
)
@click.option("--round", "round_id", metavar="ID", help="A round in the database.")
@click.option(
    "--expect", metavar="IDS", help="Item IDs a department was asked, e.g. Q13-01,Q13-02."
)
@click.option(
    "--text-only",
    is_flag=True,
    help="FILE is a plain UTF-8 body, not a mail: print only the new text.",
)
@click.option(
    "--signer",
    "signers",
    metavar="NAME",
    multiple=True,
    help="A name the sender signs with (課名, 氏名): a closing line with it is a signature."
    " Repeatable.",
)
@click.pass_context
def parse_command(
    ctx: click.Context,
    file: Path,
    as_json: bool,
    role: AuthorRole,
    round_file: Path | None,
    round_id: str | None,
    expect: str | None,
    text_only: bool,
    signers: tuple[str, ...],
) -> None:
    """Show how FILE (an .eml) is understood: its new text, or everything with --json."""
    if round_file is not None and round_id is not None:
        raise click.UsageError("give --round-file or --round, not both")
    if text_only and as_json:
        raise click.UsageError("--text-only prints plain text; drop --json")
    if text_only:
        _emit(_text_only(file, signers))
        return
    raw = _read(file)
    _check_is_mail(file, raw)
    refs: tuple[ConsultationRef, ...] = ()
    if round_file is not None:
        refs = _round_file_refs(round_file)
    elif round_id is not None:
        refs = _round_refs(app(ctx), round_id)
    result = parse_mail(raw, refs, role=role, expected_ids=_expected(expect), signer_names=signers)
    if as_json:
        from mailflow.parsing.report import to_json

        _emit(to_json(result))
    else:
        _emit(result.new_text)
