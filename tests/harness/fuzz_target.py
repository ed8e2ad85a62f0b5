"""One mail through every pure stage of intake, as the daemon runs them: the fuzz target.

decode → classify → Authentication-Results, tokens, subject tag → route → new text →
corrections → parse as a member, a department (answer sheets included) and the chair.
Any exception escaping is a bug: intake must turn every input into a result.
"""

from __future__ import annotations

import time

from mailflow.domain import ConsultationRef, Role
from mailflow.parsing.corrections import find_corrections, remainder
from mailflow.parsing.mime import decode
from mailflow.parsing.pipeline import ROLES, parse_text
from mailflow.parsing.quote import extract_new_text
from mailflow.parsing.signature import department_name_forms
from mailflow.routing import (
    AuthPolicy,
    RoutingInput,
    classify,
    evaluate,
    extract_tokens,
    find_round_tag,
    read_token,
    route,
    token_from_message_id,
)
from mailflow.routing.model import (
    CommitteeEntry,
    DepartmentEntry,
    Directory,
    MemberEntry,
    OpenRound,
)

COMMITTEE = "shingikai@city.example.jp"
SECRET = b"fuzz-secret-fuzz-secret-fuzz-secret!"
CONSULTATIONS = (
    ConsultationRef("13", "13", "子育て応援ギフトセット配布業務委託"),
    ConsultationRef("14", "14", "病児保育予約システム使用委託"),
)
DIRECTORY = Directory(
    (
        CommitteeEntry(
            id="1",
            members=(
                MemberEntry("1", Role.CHAIR, ("kaicho@example.jp",)),
                MemberEntry("2", Role.MEMBER, ("iin@example.jp",)),
            ),
            departments=(DepartmentEntry("3", ("kodomo@city.example.jp",)),),
            open_rounds=(OpenRound("7", "R2-5"),),
        ),
    )
)
SIGNERS = {
    "member": ("青木 和子", "青木"),
    "department": department_name_forms("健康福祉部子ども保健・給付課"),
    "chair": ("石田 正",),
}
EXPECTED = ("Q13-01", "Q13-02", "Q14-01")


def run_one(raw: bytes) -> float:
    """Every stage on ``raw``; raises only if a stage does (a bug).

    Returns the CPU seconds intake would spend on this mail: the common stages plus the
    slowest role (a mail is parsed as one role only). CPU time, as the parse worker's
    budget counts it: on a machine shared with other work the wall time says more
    about the neighbours than about the input.
    """
    start = time.thread_time()
    decoded = decode(raw)
    classify(raw, decoded, (COMMITTEE,))
    auth = evaluate(decoded.headers, "mx.city.example.jp", AuthPolicy("quarantine"))
    claims = []
    for token in extract_tokens([*decoded.to, *decoded.cc], COMMITTEE):
        claim = read_token(SECRET, token)
        if claim is not None:
            claims.append(claim)
    for msgid in (decoded.in_reply_to, *decoded.references):
        tok = token_from_message_id(msgid) if msgid else None
        if tok:
            read_token(SECRET, tok)
    route(
        RoutingInput(
            message=decoded,
            directory=DIRECTORY,
            token_claims=tuple(claims),
            subject_tag=find_round_tag(decoded.subject),
            auth=auth,
        )
    )
    common = time.thread_time() - start
    slowest = 0.0
    for role in ROLES:
        began = time.thread_time()
        signers = SIGNERS[role]
        new_text = extract_new_text(decoded.body, signers)
        text = new_text
        if role == "member":
            found = find_corrections(new_text)
            text = remainder(new_text, found) if found else new_text
        parse_text(
            text,
            decoded,
            CONSULTATIONS,
            role=role,
            expected_ids=EXPECTED,
            signer_names=signers,
        )
        slowest = max(slowest, time.thread_time() - began)
    return common + slowest
