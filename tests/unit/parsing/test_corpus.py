"""The parse corpus: every client-shaped mail through parse_mail, checked against its sidecar."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mailflow.domain import ConsultationRef
from mailflow.parsing.pipeline import MailParse, parse_mail
from mailflow.parsing.report import report

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "corpus"
KNOWN_FAILURES: dict[str, str] = json.loads(
    (CORPUS / "known_failures.json").read_text(encoding="utf-8")
)
REFS = {
    "13": ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託"),
    "14": ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託"),
}
# Floors measured on this corpus; raise them as the parser improves, never lower them quietly.
# Measured: items 87.2 %, answers 79.6 %, decisions 93.3 % when the corpus landed; 100 %
# of all three after the splitter, answer and decision fixes it prompted. The floors leave
# room for a few files listed in known_failures.json, not for a general slide.
MIN_MAILS = 200
MIN_ITEM_ACCURACY = 0.95
MIN_ANSWER_ACCURACY = 0.95
MIN_DECISION_ACCURACY = 0.95


def squash(text: str | None) -> str:
    """Whitespace removed: clients re-wrap lines, the characters must survive."""
    return re.sub(r"\s+", "", text or "")


def ref_key(text: str | None) -> str:
    return squash(unicodedata.normalize("NFKC", text or ""))


@dataclass(frozen=True)
class Outcome:
    name: str
    problems: tuple[str, ...]
    items_right: int
    items_total: int
    answers_right: int
    answers_total: int
    decisions_right: int
    decisions_total: int
    new_text_exact: bool
    new_text_normalized: bool


def load(eml: Path) -> dict[str, Any]:
    sidecar = eml.with_name(eml.name[: -len(".eml")] + ".expected.json")
    data: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
    return data


def run(eml: Path, side: dict[str, Any]) -> MailParse:
    refs = [REFS[k] for k in side["consultations"]]
    return parse_mail(eml.read_bytes(), refs, role=side["role"], expected_ids=side["expected_ids"])


# A leading enumerator (①, (1), （１）, 1., 問1) is the author's numbering, not content:
# a splitter may keep it in the verbatim text (the minutes print 「(1)…」) or drop it.
_ENUMERATOR = re.compile(
    r"^(?:[①-⑳]|[(（][0-9０-９]{1,2}[)）]|[0-9０-９]{1,2}[.．)）]|問[0-9０-９]{1,2})\s*"
)


def item_text_key(text: str | None) -> str:
    return squash(_ENUMERATOR.sub("", (text or "").lstrip()))


def item_problems(n: int, exp: dict[str, Any], got: dict[str, Any]) -> list[str]:
    out = []
    if got["consultation"] != exp["consultation"]:
        out.append(f"item {n}: consultation {got['consultation']!r} != {exp['consultation']!r}")
    if got["kind"] not in exp["kind"]:
        out.append(f"item {n}: kind {got['kind']!r} not in {exp['kind']}")
    if exp["reference"] is None and got["reference"] is not None:
        out.append(f"item {n}: reference {got['reference']!r}, expected none")
    if exp["reference"] is not None and not ref_key(got["reference"]).startswith(
        ref_key(exp["reference"])
    ):
        out.append(f"item {n}: reference {got['reference']!r} != {exp['reference']!r}…")
    if got["follows"] != exp["follows"]:
        out.append(f"item {n}: follows {got['follows']!r} != {exp['follows']!r}")
    if item_text_key(got["text"]) != item_text_key(exp["text"]):
        out.append(f"item {n}: text {got['text'][:40]!r}… != {exp['text'][:40]!r}…")
    return out


def pair_items(
    expected: list[dict[str, Any]], got: list[dict[str, Any]]
) -> tuple[list[tuple[int, dict[str, Any] | None]], list[dict[str, Any]]]:
    """Each expected item with the got item of the same text (else one overlapping it).

    Pairing by text, not by position, keeps one stray greeting item from making every
    later item look wrong.
    """
    left = list(range(len(got)))
    pairs: list[tuple[int, dict[str, Any] | None]] = []
    for n, exp in enumerate(expected):
        key = item_text_key(exp["text"])
        same = [i for i in left if item_text_key(got[i]["text"]) == key]
        near = [
            i
            for i in left
            if key[:20] in item_text_key(got[i]["text"])
            or (item_text_key(got[i]["text"])[:20] or "\0") in key
        ]
        pick = (same or near or [None])[0]
        if pick is not None:
            left.remove(pick)
        pairs.append((n, None if pick is None else got[pick]))
    return pairs, [got[i] for i in left]


def check_items(side: dict[str, Any], rep: dict[str, Any]) -> tuple[list[str], int, int]:
    problems: list[str] = []
    if rep["empty_reply"] != side["empty_reply"]:
        problems.append(f"empty_reply {rep['empty_reply']} != {side['empty_reply']}")
    pairs, extra = pair_items(side["items"], rep["items"])
    right = 0
    for n, got in pairs:
        exp = side["items"][n]
        if got is None:
            problems.append(f"item {n}: missing ({exp['text'][:30]!r}…)")
            continue
        found = item_problems(n, exp, got)
        problems += found
        right += not found
    problems += [f"unexpected item {g['text'][:40]!r}" for g in extra]
    return problems, right, len(pairs) + len(extra)


def check_answers(side: dict[str, Any], rep: dict[str, Any]) -> tuple[list[str], int, int]:
    problems: list[str] = []
    got = {a["item"]: a["text"] for a in rep["answers"]}
    right = 0
    for exp in side["answers"]:
        text = got.get(exp["item"])
        if text is None:
            problems.append(f"answer {exp['item']}: missing")
            continue
        bad = [x for x in side["answer_excludes"] if squash(x) in squash(text)]
        if squash(exp["text"]) not in squash(text):
            problems.append(f"answer {exp['item']}: {text[:40]!r}… lacks {exp['text'][:30]!r}…")
        elif bad:
            problems.append(f"answer {exp['item']}: also holds {bad}")
        else:
            right += 1
    extra = sorted(set(got) - {a["item"] for a in side["answers"]})
    if extra:
        problems.append(f"answers for {extra}, not expected")
    if sorted(rep["unanswered"]) != sorted(side["unanswered"]):
        problems.append(f"unanswered {rep['unanswered']} != {side['unanswered']}")
    return problems, right, max(len(side["answers"]), len(got))


def check_decisions(side: dict[str, Any], rep: dict[str, Any]) -> tuple[list[str], int, int]:
    problems: list[str] = []
    got = {d["consultation"]: d for d in rep["decisions"]}
    right = 0
    for exp in side["decisions"]:
        key = exp["consultation"]
        dec = got.get(key)
        if dec is None:
            problems.append(f"decision {key}: missing")
            continue
        wrong = []
        if dec["verdict"] != exp["verdict"]:
            wrong.append(f"verdict {dec['verdict']!r} != {exp['verdict']!r}")
        if exp["conditions"] is None and dec["conditions"]:
            wrong.append(f"conditions {dec['conditions']!r}, expected none")
        if exp["conditions"] is not None and squash(exp["conditions"]) not in squash(
            dec["conditions"]
        ):
            wrong.append(f"conditions {dec['conditions']!r} lack {exp['conditions']!r}")
        problems += [f"decision {key}: {w}" for w in wrong]
        right += not wrong
    return problems, right, max(len(side["decisions"]), len(got))


def check(eml: Path) -> Outcome:
    side = load(eml)
    rep = report(run(eml, side))
    new = squash(rep["new_text"])
    problems = [f"new_text lacks {c!r}" for c in side["new_text_contains"] if squash(c) not in new]
    problems += [f"new_text holds {x!r}" for x in side["new_text_excludes"] if squash(x) in new]
    counts = {"items": (0, 0), "answers": (0, 0), "decisions": (0, 0)}
    if side["role"] == "member":
        found, *nums = check_items(side, rep)
        counts["items"] = (nums[0], nums[1])
    elif side["role"] == "department":
        found, *nums = check_answers(side, rep)
        counts["answers"] = (nums[0], nums[1])
    else:
        found, *nums = check_decisions(side, rep)
        counts["decisions"] = (nums[0], nums[1])
    problems += found
    return Outcome(
        eml.name,
        tuple(problems),
        *counts["items"],
        *counts["answers"],
        *counts["decisions"],
        rep["new_text"].strip() == side["new_text"].strip(),
        squash(rep["new_text"]) == squash(side["new_text"]),
    )


def mails() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


def cases() -> list[Any]:
    out = []
    for eml in mails():
        name = eml.name[: -len(".eml")]
        marks = []
        if name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
        out.append(pytest.param(eml, id=name, marks=marks))
    return out


@pytest.mark.parametrize("eml", cases())
def test_mail_parses_as_its_sidecar_says(eml: Path) -> None:
    outcome = check(eml)
    assert not outcome.problems, f"{eml.name}:\n  " + "\n  ".join(outcome.problems)


def test_known_failures_name_real_fixtures() -> None:
    names = {eml.name[: -len(".eml")] for eml in mails()}
    assert not set(KNOWN_FAILURES) - names


def test_corpus_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = [check(eml) for eml in mails()]
    total = len(outcomes)
    passed = sum(not o.problems for o in outcomes)

    def ratio(right: int, of: int) -> str:
        return f"{right}/{of} = {right / of:.1%}" if of else "n/a"

    items = sum(o.items_right for o in outcomes), sum(o.items_total for o in outcomes)
    answers = sum(o.answers_right for o in outcomes), sum(o.answers_total for o in outcomes)
    decisions = sum(o.decisions_right for o in outcomes), sum(o.decisions_total for o in outcomes)
    with capsys.disabled():
        print(
            f"\nparse corpus: {total} mails, {passed} fully right; "
            f"items {ratio(*items)}; answers {ratio(*answers)}; decisions {ratio(*decisions)}; "
            f"new_text exact {sum(o.new_text_exact for o in outcomes)}/{total}, "
            f"normalised {sum(o.new_text_normalized for o in outcomes)}/{total}"
        )
    assert total >= MIN_MAILS
    assert items[0] / items[1] >= MIN_ITEM_ACCURACY
    assert answers[0] / answers[1] >= MIN_ANSWER_ACCURACY
    assert decisions[0] / decisions[1] >= MIN_DECISION_ACCURACY
