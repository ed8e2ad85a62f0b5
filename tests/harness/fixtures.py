"""Pytest fixtures that start real mail servers on loopback for one test and stop them after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.pymap_server import PymapServer
from tests.harness.samples import BECKY_ISO2022JP_QUESTION, sample_mail
from tests.harness.smtp_server import SmtpServer


@pytest.fixture
def pymap_server() -> Iterator[PymapServer]:
    """pymap (in-memory) serving the committee mailbox; `.probe()` gives a stdlib client."""
    with PymapServer() as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd recording every mail in `.received`; faults via `.handler`."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def becky_question_eml() -> bytes:
    """The raw bytes of a Becky! ISO-2022-JP question on 諮問第13号 with ①②."""
    return sample_mail(BECKY_ISO2022JP_QUESTION)
