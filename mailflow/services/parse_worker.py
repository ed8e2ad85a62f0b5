"""Parsing of one mail under a time and memory budget, in a worker process kept for reuse.

The parsers are pure Python on hostile input: a pattern that backtracks or a mail that
unpacks to gigabytes would hold the interpreter lock or the memory of the whole daemon.
So the pure stages run in one child process, started once (through the forkserver, which
has the parsing modules loaded) and reused mail after mail, under RLIMIT_AS (memory) and a
per-mail RLIMIT_CPU (the soft limit moved to the CPU time used so far plus the budget:
the kernel ends the child with SIGXCPU past it), with a wall-clock timeout as the last net.
A mail over budget raises ParseOverBudget; the child is replaced for the next mail.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

from mailflow.domain import ConsultationRef
from mailflow.outbound.alerts import ParseOverrun
from mailflow.parsing.corrections import Correction, find_corrections, remainder
from mailflow.parsing.documents import document_kind
from mailflow.parsing.mime import decode_with_message
from mailflow.parsing.model import DecodedMessage, ParsedAnswers, ParsedDecision, ParsedReply
from mailflow.parsing.pipeline import AuthorRole, MailParse, parse_text, reply_text
from mailflow.routing import Classification, classify

T = TypeVar("T")


class ParseOverBudget(Exception):
    """One mail's parsing went over its CPU time or memory: the mail is failed, not retried.

    ``overrun`` and ``limit`` (seconds or MB; ``status``: a dead child's exit status) are
    what the staff alert words; the text is the record's."""

    def __init__(
        self, overrun: ParseOverrun, limit: float | None = None, status: int | None = None
    ) -> None:
        self.overrun, self.limit, self.status = overrun, limit, status
        super().__init__(_TEXT[overrun].format(limit=limit or 0, status=status))


_TEXT = {
    ParseOverrun.WALL_TIME: "parsing took over {limit:g} s and was stopped",
    ParseOverrun.CPU_TIME: "parsing went over its {limit:g} s of CPU time",
    ParseOverrun.MEMORY: "parsing went over its {limit:g} MB of memory",
    ParseOverrun.ENDED: "the parsing process ended unexpectedly (exit status {status})",
}


@dataclass(frozen=True)
class Budget:
    """The limits of one mail's parsing (config [parsing])."""

    cpu_seconds: float = 30.0
    memory_mb: int = 1024
    isolate: bool = True  # False: parse in this process, without limits (debugging)

    @property
    def wall_seconds(self) -> float:
        # CPU time is the budget; the wall clock only catches a child that stopped running.
        return self.cpu_seconds * 3 + 30


@dataclass(frozen=True)
class Parsed:
    """What the second stage gives back: the new text, the 訂正/取消 commands, the parse."""

    new_text: str
    corrections: tuple[Correction, ...]
    reply: ParsedReply | None
    answers: ParsedAnswers | None
    decisions: tuple[ParsedDecision, ...] | None

    def mail_parse(self, role: AuthorRole, decoded: DecodedMessage) -> MailParse:
        return MailParse(role, decoded, self.new_text, self.reply, self.answers, self.decisions)


def read_stage(raw: bytes, own: tuple[str, ...]) -> tuple[DecodedMessage, Classification]:
    """Decode and classify (pure)."""
    decoded, message = decode_with_message(raw)
    return decoded, classify(raw, decoded, own, message)


def parse_stage(
    decoded: DecodedMessage,
    consultations: Sequence[ConsultationRef],
    role: AuthorRole,
    expected: Sequence[str],
    signers: Sequence[str],
) -> Parsed:
    """New text, a member's commands, and the role's parse of the rest (pure)."""
    new_text = reply_text(decoded, role, signers)
    found = find_corrections(new_text) if role == "member" else ()
    text = remainder(new_text, found) if found else new_text
    parse = parse_text(
        text, decoded, consultations, role=role, expected_ids=expected, signer_names=signers
    )
    return Parsed(new_text, found, parse.reply, parse.answers, parse.decisions)


def _serve(conn: Connection, cpu_seconds: float, memory_mb: int) -> None:
    """The child: run each (function, args) received, under the limits, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C is its own
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        soft = int(spent + cpu_seconds) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        try:
            conn.send(("ok", fn(*args)))
        except MemoryError:
            conn.send(("memory", None))
            return  # a fresh child for the next mail: this one's heap may be in pieces
        except Exception as exc:  # a bug in a stage: the parent records it like before
            conn.send(("error", exc))


def _context() -> Any:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


class ParseWorker:
    """Runs the pure stages in the child under a Budget; one call at a time."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Connection | None = None

    def read(self, raw: bytes, own: tuple[str, ...]) -> tuple[DecodedMessage, Classification]:
        return self._call(read_stage, raw, own)

    def parse(
        self,
        decoded: DecodedMessage,
        consultations: Sequence[ConsultationRef],
        role: AuthorRole,
        expected: Sequence[str],
        signers: Sequence[str],
    ) -> Parsed:
        # Attachments travel only to the readers that open them: a department's answer
        # sheet, a member's document (.docx, .pdf) read as the reply.
        sent = decoded
        if role == "chair" or (
            role == "member" and not any(document_kind(a) for a in decoded.attachments)
        ):
            sent = replace(decoded, attachments=())
        return self._call(
            parse_stage, sent, tuple(consultations), role, tuple(expected), tuple(signers)
        )

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if not self.budget.isolate:
            return fn(*args)
        with self._lock:
            conn = self._start()
            try:
                conn.send((fn, args))
                if not conn.poll(self.budget.wall_seconds):
                    self._stop()
                    raise ParseOverBudget(ParseOverrun.WALL_TIME, self.budget.wall_seconds)
                status, value = conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                code = self._stop()
                raise self._over(code) from None
            if status == "ok":
                return cast(T, value)
            if status == "memory":
                self._stop()
                raise self._over(None)
            raise value

    def _over(self, code: int | None) -> ParseOverBudget:
        if code == -signal.SIGXCPU:
            return ParseOverBudget(ParseOverrun.CPU_TIME, self.budget.cpu_seconds)
        if code is None or code == -signal.SIGKILL:  # MemoryError, or the kernel's OOM killer
            return ParseOverBudget(ParseOverrun.MEMORY, self.budget.memory_mb)
        return ParseOverBudget(ParseOverrun.ENDED, status=code)

    def _start(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        self._stop()
        ctx = _context()
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_serve,
            args=(child, self.budget.cpu_seconds, self.budget.memory_mb),
            name="mailflow-parser",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        return cast(Connection, parent)

    def _stop(self) -> int | None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is None:
            return None
        proc.join(0.05)
        if proc.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.join(5)
        code: int | None = proc.exitcode
        return code
