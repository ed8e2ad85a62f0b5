"""Parse benchmark: mails per second and new-text accuracy, ours against email-reply-parser.

Run from the project root: ``python bench/parse_bench.py [--repeat N] [--write]``.
Both extractors get the same decoded bodies of the parse corpus; accuracy is measured
on each mail's expected ``new_text`` (exact after trimming, and with every run of
whitespace folded). ``--write`` replaces the "Parsing" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from email_reply_parser import EmailReplyParser

from mailflow.domain import ConsultationRef
from mailflow.parsing.items import split_reply
from mailflow.parsing.mime import decode
from mailflow.parsing.quote import extract_new_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "mail" / "corpus"
DOC = ROOT / "docs" / "benchmarks.md"
REFS = (
    ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託"),
    ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託"),
)
WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    expected: str


@dataclass(frozen=True)
class Result:
    label: str
    seconds: float
    mails: int
    exact: int
    normalized: int

    @property
    def rate(self) -> float:
        return self.mails / self.seconds


def load() -> list[Case]:
    cases = []
    for eml in sorted(CORPUS.glob("*.eml")):
        side = json.loads(eml.with_name(eml.stem + ".expected.json").read_text("utf-8"))
        cases.append(Case(eml.stem, eml.read_bytes(), side["new_text"]))
    return cases


def score(outputs: list[str], cases: list[Case]) -> tuple[int, int]:
    exact = sum(o.strip() == c.expected.strip() for o, c in zip(outputs, cases, strict=True))
    norm = sum(
        WS.sub(" ", o).strip() == WS.sub(" ", c.expected).strip()
        for o, c in zip(outputs, cases, strict=True)
    )
    return exact, norm


def timed(label: str, cases: list[Case], repeat: int, step: Callable[[bytes], str]) -> Result:
    outputs = [step(c.raw) for c in cases]  # warm-up, and the outputs to score
    start = time.perf_counter()
    for _ in range(repeat):
        for c in cases:
            step(c.raw)
    seconds = time.perf_counter() - start
    exact, norm = score(outputs, cases)
    return Result(label, seconds, len(cases) * repeat, exact, norm)


def ours(raw: bytes) -> str:
    new_text = extract_new_text(decode(raw).body)
    split_reply(new_text, REFS)
    return new_text


def decode_only(raw: bytes) -> str:
    return decode(raw).body


def baseline(raw: bytes) -> str:
    out: str = EmailReplyParser.parse_reply(decode(raw).body)
    return out


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def section(results: list[Result], cases: int, repeat: int) -> str:
    rows = "\n".join(
        f"| {r.label} | {r.rate:,.0f} | {r.exact}/{cases} | {r.normalized}/{cases} |"
        for r in results
    )
    return f"""## Parsing

Method: `python bench/parse_bench.py --repeat {repeat}` runs every mail of the parse
corpus (`tests/fixtures/mail/corpus/`, {cases} client-shaped replies: Outlook, Outlook on
the web, Gmail, Android, Thunderbird, iPhone and Apple Mail, docomo/au/SoftBank, Becky!,
Windows Live Mail; ISO-2022-JP, Shift_JIS, UTF-8, QP, base64, HTML-only, format=flowed)
{repeat} times in one process, after one warm-up pass. "decode + extract + split" is
`decode` → `extract_new_text` → `split_reply`; the baseline is
`EmailReplyParser.parse_reply` (email-reply-parser) on the same decoded body, so both
are timed including the decoding. Accuracy compares each output with the sidecar's
expected `new_text`: exact after trimming, and normalised (every run of whitespace,
including U+3000, folded into one space).

Machine: {machine()}.

| pipeline | mails/s | new text exact | new text normalised |
|---|---:|---:|---:|
{rows}
"""


INTRO = """# Benchmarks

Measured figures of mailflow's hot paths, each with the command that produced it and the
machine it ran on, so a later run can be compared like for like. Numbers are from one
run on a shared machine: treat differences under about 10 % as noise.
"""


def write(text: str) -> None:
    doc = DOC.read_text("utf-8") if DOC.exists() else INTRO
    pattern = re.compile(r"^## Parsing\n.*?(?=^## |\Z)", re.S | re.M)
    doc = pattern.sub(lambda _: text, doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + text
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc, "utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()
    cases = load()
    results = [
        timed("decode only (whole body kept)", cases, args.repeat, decode_only),
        timed("decode + extract + split (mailflow)", cases, args.repeat, ours),
        timed("decode + email-reply-parser", cases, args.repeat, baseline),
    ]
    text = section(results, len(cases), args.repeat)
    print(text)
    if args.write:
        write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
