"""Round documents come only from the round file's own folder, as regular files of bounded size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailflow.errors import InputError
from mailflow.services.round_documents import read_documents


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    committee = tmp_path / "committee"
    (committee / "documents").mkdir(parents=True)
    (committee / "documents" / "諮問書.pdf").write_bytes(b"%PDF-1.4 consultation")
    (committee / "round.toml").write_text("", "utf-8")
    (tmp_path / "secret.txt").write_text("token secret", "utf-8")
    return committee


def refused(folder: Path, *docs: str, limit: int = 1024) -> str:
    with pytest.raises(InputError) as caught:
        read_documents([Path(d) for d in docs], folder / "round.toml", limit)
    return "\n".join(caught.value.problems)


def test_a_document_in_the_folder_is_read(folder: Path) -> None:
    [(name, kind, data)] = read_documents([Path("documents/諮問書.pdf")], folder / "round.toml")
    assert (name, kind, data) == ("諮問書.pdf", "application/pdf", b"%PDF-1.4 consultation")


def test_a_link_inside_the_folder_is_followed(folder: Path) -> None:
    (folder / "link.pdf").symlink_to(folder / "documents" / "諮問書.pdf")
    [(_, _, data)] = read_documents([Path("link.pdf")], folder / "round.toml")
    assert data.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ("../secret.txt", "documents[1]: ../secret.txt: '..' leaves the round file's folder"),
        ("documents/../../secret.txt", "'..' leaves"),
        ("/etc/passwd", "documents[1]: /etc/passwd is an absolute path"),
        ("/proc/self/environ", "documents[1]: /proc/self/environ is an absolute path"),
        ("/dev/zero", "is an absolute path"),
        ("missing.pdf", "documents[1]: cannot read missing.pdf"),
    ],
)
def test_paths_leaving_the_folder_are_refused_by_key(folder: Path, doc: str, why: str) -> None:
    assert why in refused(folder, "documents/諮問書.pdf", doc)


def test_links_leaving_the_folder_are_refused(folder: Path) -> None:
    (folder / "shadow.pdf").symlink_to(folder.parent / "secret.txt")
    (folder / "env.pdf").symlink_to("/proc/self/environ")
    (folder / "zero.pdf").symlink_to("/dev/zero")
    problems = refused(folder, "shadow.pdf", "env.pdf", "zero.pdf")
    assert "documents[0]: shadow.pdf leads outside the round file's folder" in problems
    assert "documents[1]: env.pdf leads outside" in problems
    assert "documents[2]: zero.pdf leads outside" in problems
    assert "token secret" not in problems


def test_special_files_in_the_folder_are_refused_without_reading(folder: Path) -> None:
    os.mkfifo(folder / "pipe.pdf")  # opening it for reading would wait for a writer
    (folder / "sub").mkdir()
    problems = refused(folder, "pipe.pdf", "sub")
    assert "documents[0]: pipe.pdf is not a regular file" in problems
    assert "documents[1]: sub is not a regular file" in problems


def test_size_is_checked_before_reading(folder: Path) -> None:
    (folder / "big.pdf").write_bytes(b"x" * 2048)
    assert "documents[0]: big.pdf is over" in refused(folder, "big.pdf", limit=1024)
