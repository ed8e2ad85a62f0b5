"""Round tags in subject lines as members' clients mangle them."""

from __future__ import annotations

import pytest

from mailflow.routing.subject import find_round_tag


@pytest.mark.parametrize(
    ("subject", "tag"),
    [
        ("[R2-5] 質疑及び意見の提出について", "R2-5"),
        ("Re: [R2-5] 質疑", "R2-5"),
        ("RE: RE: Fw: [R2-5] 質疑", "R2-5"),
        ("転送: 【R2-5】質疑", "R2-5"),
        ("返信: ［Ｒ２－５］質疑", "R2-5"),
        ("Re:【Ｒ２ー５】質疑", "R2-5"),
        ("Re: [r02-05] 質疑", "R2-5"),
        ("Re: [ R3-1 ] 回答", "R3-1"),
        ("Re: [Q13-03] について [R2-5]", "R2-5"),
    ],
)
def test_tag_found(subject: str, tag: str) -> None:
    assert find_round_tag(subject) == tag


@pytest.mark.parametrize(
    "subject", ["", None, "Re: 質疑", "Re: [Q13-03] 回答", "R2-5 括弧なし", "[R2] 回"]
)
def test_no_tag(subject: str | None) -> None:
    assert find_round_tag(subject) is None
