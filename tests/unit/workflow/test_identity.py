"""The identity rule: what a claimed sender may change, and what a reply to a request does."""

from __future__ import annotations

import pytest

from mailflow.routing.outcome import Proof
from mailflow.workflow.identity import (
    Change,
    Disposition,
    Reply,
    RequestKind,
    Resolution,
    dispose,
    read_reply,
    resolve,
)


def test_every_change_and_proof_has_a_row() -> None:
    for change in Change:
        for proof in Proof:
            assert dispose(change, proof) in Disposition
        assert dispose(change, Proof.PROVEN) is Disposition.APPLY


@pytest.mark.parametrize("change", [Change.CORRECTIONS, Change.ANSWERS, Change.DECISIONS])
def test_a_claimed_sender_cannot_change_the_record_unconfirmed(change: Change) -> None:
    assert dispose(change, Proof.CLAIMED) is Disposition.CONFIRM


def test_a_claimed_member_may_still_add_items() -> None:
    assert dispose(Change.ITEMS, Proof.CLAIMED) is Disposition.APPLY


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("", Reply.ASSENT),
        ("確認しました。", Reply.ASSENT),
        ("はい、確定してください。\n石田", Reply.ASSENT),
        ("ＯＫです", Reply.ASSENT),
        ("Yes, confirmed.", Reply.ASSENT),
        ("このようなメールは送っていません。", Reply.DISSENT),
        ("身に覚えがありません", Reply.DISSENT),
        ("確認しましたが、私ではありません。", Reply.DISSENT),
        ("I did not send this.", Reply.DISSENT),
        ("配布予測数はいくつか。", Reply.OTHER),
        ("内容を確認します。", Reply.OTHER),  # "I will check" is not yet a yes
        ("確認しました。" + "追記します。" * 60, Reply.OTHER),
    ],
)
def test_what_a_reply_says(text: str, reply: Reply) -> None:
    assert read_reply(text) is reply


def test_a_reply_with_changes_of_its_own_is_never_a_bare_assent() -> None:
    assert read_reply("諮問第13号：否\n確認しました", content=True) is Reply.OTHER
    assert read_reply("送っていません", content=True) is Reply.DISSENT


def test_resolutions() -> None:
    assert resolve(RequestKind.CHANGE, Reply.ASSENT) is Resolution.APPLY
    assert resolve(RequestKind.CHANGE, Reply.DISSENT) is Resolution.REFUSE
    assert resolve(RequestKind.CHANGE, Reply.OTHER) is Resolution.READ
    assert resolve(RequestKind.DECISION_ECHO, Reply.ASSENT) is Resolution.CONFIRM
    assert resolve(RequestKind.DECISION_ECHO, Reply.OTHER) is Resolution.READ
    for kind in RequestKind:
        for reply in Reply:
            assert resolve(kind, reply) in Resolution
