"""Tests for reading the chair's decision strictly, one verdict per consultation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailflow.domain import ConsultationRef, Verdict
from mailflow.parsing.decisions import parse_decisions

GIFT = ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託")
SICK = ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託")
BOTH = (GIFT, SICK)
SEED_CONDITIONS = "仕様書への追記等指摘事項の実施をお願いし"


def verdicts(
    text: str, refs: tuple[ConsultationRef, ...] = BOTH
) -> list[tuple[str | None, Verdict]]:
    return [(d.consultation, d.verdict) for d in parse_decisions(text, refs)]


def test_the_seed_decisions_as_the_chair_would_mail_them() -> None:
    text = (
        "お世話になっております。青木です。\n\n"
        "○「子育て応援ギフトセット配布業務委託」について、諮問どおり行うことを「可」とする。\n"
        "仕様書への追記等指摘事項の実施をお願いし、本件を可とする。\n\n"
        "○「病児保育予約システム使用委託」について、諮問どおり行うことを「可」とする。\n"
        "仕様書への追記等指摘事項の実施をお願いし、本件を可とする。\n\n"
        "以上、よろしくお願いいたします。\n"
    )
    decisions = parse_decisions(text, BOTH)
    assert [(d.consultation, d.verdict, d.conditions) for d in decisions] == [
        ("13", Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
        ("14", Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
    ]
    assert decisions[0].text.startswith("○「子育て応援ギフトセット配布業務委託」について")
    assert "本件を可とする。" in decisions[0].text


def test_the_decision_form_one_line_per_consultation() -> None:
    text = "諮問第１３号：条件付き可（条件：仕様書への追記等指摘事項の実施）\n諮問第１４号：可\n"
    decisions = parse_decisions(text, BOTH)
    assert [(d.verdict, d.conditions) for d in decisions] == [
        (Verdict.APPROVE_WITH_CONDITIONS, "仕様書への追記等指摘事項の実施"),
        (Verdict.APPROVE, None),
    ]
    assert decisions[1].text == "諮問第１４号：可"


def test_conditions_on_the_line_below() -> None:
    text = "【13】条件付き可\n条件：別記様式の名称を整えること。\n【14】可\n"
    decisions = parse_decisions(text, BOTH)
    assert decisions[0].verdict is Verdict.APPROVE_WITH_CONDITIONS
    assert decisions[0].conditions == "別記様式の名称を整えること"


@pytest.mark.parametrize(
    "bare", ["同意します。", "了解です。", "賛成です。", "可とします。", "承知しました。"]
)
def test_a_bare_agreement_over_two_consultations_is_not_a_decision(bare: str) -> None:
    assert verdicts(f"お世話になっております。\n{bare}\n青木\n") == [
        ("13", Verdict.UNCLEAR),
        ("14", Verdict.UNCLEAR),
    ]


def test_with_one_consultation_a_bare_approval_is_enough_but_agreement_is_not() -> None:
    assert verdicts("可とします。", (GIFT,)) == [("13", Verdict.APPROVE)]
    assert verdicts("同意します。", (GIFT,)) == [("13", Verdict.UNCLEAR)]


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("第13号は可とはできない。", Verdict.REJECT),
        ("第13号は否とする。", Verdict.REJECT),
        ("13号：否", Verdict.REJECT),
        ("13号：不可", Verdict.REJECT),
        ("13号は承認できません。", Verdict.REJECT),
        ("13号：承認", Verdict.APPROVE),
        ("13号は了承します。", Verdict.APPROVE),
        ("13号は異議なし。", Verdict.APPROVE),
        ("13号：原案どおり", Verdict.APPROVE),
        ("【13】諮問どおり可とする", Verdict.APPROVE),
        ("13号：可", Verdict.APPROVE),
        ("13号は可能な限り早く", Verdict.UNCLEAR),
        ("13号：条件付き可", Verdict.UNCLEAR),  # conditions are required
    ],
)
def test_fixed_words(line: str, verdict: Verdict) -> None:
    assert verdicts(f"{line}\n14号：可\n")[0] == ("13", verdict)


def test_a_condition_that_mentions_impossibility_is_not_a_rejection() -> None:
    text = (
        "13号について、復元不可能な状態での廃棄を仕様書に明記することを条件に、本件を可とする。\n"
    )
    decision = parse_decisions(text, BOTH)[0]
    assert decision.verdict is Verdict.APPROVE_WITH_CONDITIONS
    assert decision.conditions == "復元不可能な状態での廃棄を仕様書に明記することを条件に"


def test_both_named_on_one_line() -> None:
    assert verdicts("13号、14号ともに可とします。") == [
        ("13", Verdict.APPROVE),
        ("14", Verdict.APPROVE),
    ]
    assert verdicts("両件とも諮問どおり可とします。") == [
        ("13", Verdict.APPROVE),
        ("14", Verdict.APPROVE),
    ]


def test_contradicting_verdicts_for_one_consultation_are_unclear() -> None:
    decisions = parse_decisions("13号：可\n13号：否\n14号：可\n", BOTH)
    assert decisions[0].verdict is Verdict.UNCLEAR
    assert decisions[0].text == "13号：可\n13号：否"
    assert decisions[1].verdict is Verdict.APPROVE


def test_a_missing_consultation_is_unclear() -> None:
    assert verdicts("諮問第13号：可\n") == [("13", Verdict.APPROVE), ("14", Verdict.UNCLEAR)]


def test_a_heading_for_a_consultation_not_in_the_round_decides_nothing() -> None:
    assert verdicts("第15号：可\n", (GIFT,)) == [("13", Verdict.UNCLEAR)]


def test_title_names_the_consultation() -> None:
    assert verdicts("病児保育について：可\n子育て応援ギフトについて：否とする\n") == [
        ("13", Verdict.REJECT),
        ("14", Verdict.APPROVE),
    ]


def test_a_decision_sentence_hard_wrapped_by_the_client() -> None:
    text = (
        "○「子育て応援ギフトセット配布業務委託」について、仕様書への追記等指摘事項\n"
        "の実施をお願いし、本件を可とする。\n"
        "○「病児保育予約システム使用委託」について、仕様書への追記等指摘事項の実施\n"
        "をお願いし、本件を可とする。\n"
    )
    decisions = parse_decisions(text, BOTH)
    assert [(d.verdict, d.conditions) for d in decisions] == [
        (Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
        (Verdict.APPROVE_WITH_CONDITIONS, SEED_CONDITIONS),
    ]


@given(
    st.text(
        alphabet=st.sampled_from(list("13号第【】：可否条件付き（）承認異議なし。、\n ○")),
        max_size=200,
    )
)
def test_any_text_gives_one_decision_per_consultation(text: str) -> None:
    decisions = parse_decisions(text, BOTH)
    assert [d.consultation for d in decisions] == ["13", "14"]
    for d in decisions:
        assert (d.conditions is not None) == (d.verdict is Verdict.APPROVE_WITH_CONDITIONS)
