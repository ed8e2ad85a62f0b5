"""Parse benchmark: mails per second and new-text accuracy, ours against email-reply-parser.

Run from the project root: ``python bench/parse_bench.py [--rounds N] [--write]``.
Every contender runs one whole pass over the parse corpus per round; the rounds are
interleaved (the order rotates each round) so that a noisy neighbour or a CPU clock
change hits every contender alike, and each contender reports its best and its median
pass. Both extractors get the same input: either the raw bytes through the same
``decode`` (the whole pipeline), or bodies decoded once beforehand (the extractors
alone). Accuracy is measured on each mail's expected ``new_text`` (exact after
trimming, and with every run of whitespace folded). ``--write`` replaces the "Parsing"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
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
    body: str  # decoded once, for the contenders that start from text
    expected: str


@dataclass(frozen=True)
class Contender:
    label: str
    step: Callable[[Case], str]
    scored: bool = True  # decode alone extracts nothing, so it has no accuracy


@dataclass(frozen=True)
class Result:
    label: str
    rates: tuple[float, ...]  # mails per second, one per round
    exact: int | None
    normalized: int | None

    @property
    def best(self) -> float:
        return max(self.rates)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median pass: how repeatable the figure is."""
        return (max(self.rates) - min(self.rates)) / self.median


def load() -> list[Case]:
    cases = []
    for eml in sorted(CORPUS.glob("*.eml")):
        side = json.loads(eml.with_name(eml.stem + ".expected.json").read_text("utf-8"))
        raw = eml.read_bytes()
        cases.append(Case(eml.stem, raw, decode(raw).body, side["new_text"]))
    return cases


def score(outputs: list[str], cases: list[Case]) -> tuple[int, int]:
    exact = sum(o.strip() == c.expected.strip() for o, c in zip(outputs, cases, strict=True))
    norm = sum(
        WS.sub(" ", o).strip() == WS.sub(" ", c.expected).strip()
        for o, c in zip(outputs, cases, strict=True)
    )
    return exact, norm


def ours(case: Case) -> str:
    new_text = extract_new_text(decode(case.raw).body)
    split_reply(new_text, REFS)
    return new_text


def ours_decoded(case: Case) -> str:
    new_text = extract_new_text(case.body)
    split_reply(new_text, REFS)
    return new_text


def extract_decoded(case: Case) -> str:
    return extract_new_text(case.body)


def baseline(case: Case) -> str:
    out: str = EmailReplyParser.parse_reply(decode(case.raw).body)
    return out


def baseline_decoded(case: Case) -> str:
    out: str = EmailReplyParser.parse_reply(case.body)
    return out


def decode_only(case: Case) -> str:
    return decode(case.raw).body


CONTENDERS = (
    Contender("decode only (whole body kept)", decode_only, scored=False),
    Contender("decode + extract + split (mailflow)", ours),
    Contender("decode + email-reply-parser", baseline),
    Contender("extract + split (mailflow), decoded input", ours_decoded),
    Contender("extract only (mailflow), decoded input", extract_decoded),
    Contender("email-reply-parser, decoded input", baseline_decoded),
)
# (ours, theirs) label pairs whose rate ratio is the quality bar of issue 4.
PAIRS = ((1, 2), (3, 5), (4, 5))


def one_pass(contender: Contender, cases: list[Case]) -> float:
    """Seconds for one pass over the corpus; garbage from earlier passes collected first."""
    gc.collect()
    step = contender.step
    start = time.perf_counter()
    for case in cases:
        step(case)
    return time.perf_counter() - start


def run(cases: list[Case], rounds: int) -> list[Result]:
    outputs = [[c.step(case) for case in cases] for c in CONTENDERS]  # warm-up, and scoring
    seconds: list[list[float]] = [[] for _ in CONTENDERS]
    order = list(range(len(CONTENDERS)))
    for r in range(rounds):
        for k in order[r % len(order) :] + order[: r % len(order)]:
            seconds[k].append(one_pass(CONTENDERS[k], cases))
    results = []
    for contender, out, secs in zip(CONTENDERS, outputs, seconds, strict=True):
        exact, norm = score(out, cases) if contender.scored else (None, None)
        rates = tuple(len(cases) / s for s in secs)
        results.append(Result(contender.label, rates, exact, norm))
    return results


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


def _accuracy(value: int | None, cases: int) -> str:
    return "—" if value is None else f"{value}/{cases}"


def section(results: list[Result], cases: int, rounds: int) -> str:
    rows = "\n".join(
        f"| {r.label} | {r.best:,.0f} | {r.median:,.0f} | {r.spread:.0%} "
        f"| {_accuracy(r.exact, cases)} | {_accuracy(r.normalized, cases)} |"
        for r in results
    )
    ratios = "\n".join(
        f"- {results[a].label} ÷ {results[b].label}: "
        f"{results[a].best / results[b].best:.2f} (best), "
        f"{results[a].median / results[b].median:.2f} (median)"
        for a, b in PAIRS
    )
    return f"""## Parsing

Method: `python bench/parse_bench.py --rounds {rounds}` runs every mail of the parse
corpus (`tests/fixtures/mail/corpus/`, {cases} client-shaped replies: Outlook, Outlook on
the web, Gmail, Android, Thunderbird, iPhone and Apple Mail, docomo/au/SoftBank, Becky!,
Windows Live Mail; ISO-2022-JP, Shift_JIS, UTF-8, QP, base64, HTML-only, format=flowed)
through each contender, one whole pass per contender per round, {rounds} rounds after
one warm-up pass. The rounds are interleaved and their order rotates, so noise from
other processes falls on every contender alike; each contender's best and median pass
are reported (`time.perf_counter`, garbage collected before each pass), and the spread
is (slowest − fastest) ÷ median. "decode + extract + split" is `decode` →
`extract_new_text` → `split_reply`; the baseline is `EmailReplyParser.parse_reply`
(email-reply-parser) on the same decoded body, so both are timed including the same
decoding. The "decoded input" rows time the stages after decoding on bodies decoded
once beforehand; "extract only" is `extract_new_text` alone, the same job as the
baseline's. Accuracy compares each output with the sidecar's expected `new_text`:
exact after trimming, and normalised (every run of whitespace, including U+3000,
folded into one space).

Machine: {machine()}.

| pipeline | mails/s best | mails/s median | spread | new text exact | new text normalised |
|---|---:|---:|---:|---:|---:|
{rows}

Rate ratios (issue 4 asks for at least 0.5):

{ratios}
"""


INTRO = """# Benchmarks

Measured figures of mailflow's hot paths, each with the command that produced it and the
machine it ran on, so a later run can be compared like for like. Numbers are from one
run on a shared machine: treat differences under about 10 % as noise.
"""


def write(text: str) -> None:
    """Replace the generated part of "Parsing"; its hand-written ### subsections stay."""
    doc = DOC.read_text("utf-8") if DOC.exists() else INTRO
    pattern = re.compile(r"^## Parsing\n.*?(?=^###? |\Z)", re.S | re.M)
    block = text.rstrip("\n") + "\n\n"
    if pattern.search(doc):
        doc = pattern.sub(lambda _: block, doc)
    else:
        doc = doc.rstrip() + "\n\n" + block
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc.rstrip("\n") + "\n", "utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="timed passes per contender")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()
    cases = load()
    text = section(run(cases, args.rounds), len(cases), args.rounds)
    print(text)
    if args.write:
        write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
