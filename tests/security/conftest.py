"""A fresh committee under attack for each test: pymap in, aiosmtpd out, the example round."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer
from tests.security.world import ROOT, World, at

MakeWorld = Callable[..., World]


@pytest.fixture
def make_world(
    tmp_path: Path,
    smtp_server: SmtpServer,
    pymap_server: PymapServer,
    monkeypatch: pytest.MonkeyPatch,
) -> MakeWorld:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "security-secret-0123456789abcdef")
    monkeypatch.setenv("MAILFLOW_STAFF", "suzuki")
    probe = pymap_server.probe()
    try:
        probe.create("processed")
        probe.create("quarantine")
    finally:
        probe.close()

    def make(security: str = "") -> World:
        w = World(tmp_path, smtp_server, pymap_server, security)
        w.run(at(1, 4), "db", "upgrade")
        w.run(at(1, 4), "round", "import", str(ROOT / "examples/round-r2-5.toml"))
        return w

    return make


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    return make_world()
