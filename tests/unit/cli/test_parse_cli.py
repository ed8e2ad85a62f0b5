"""`mailflow parse`: JSON for each role, --text-only, round files, and refusals of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailflow.cli import _register
from mailflow.cli.app import cli

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "fixtures" / "mail" / "corpus"
ROUND_FILE = ROOT / "examples" / "round-r2-5.toml"
MEMBER = CORPUS / "gmail-utf8-104-both-14first-0.eml"
DEPARTMENT = CORPUS / "thunderbird-utf8-164-dept-markers-q13-01to06.eml"
CHAIR = CORPUS / "outlook-iso2022jp-193-chair-seed-both-conditions.eml"
XLSX = CORPUS / "owa-utf8-167-dept-xlsx-q13-01to06.eml"

_register()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["parse", *args], catch_exceptions=False)


def as_json(*args: str) -> dict[str, Any]:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout_bytes.decode("utf-8"))
    return data


def test_member_mail_with_round_file_gives_items_per_consultation() -> None:
    data = as_json(str(MEMBER), "--round-file", str(ROUND_FILE))
    assert set(data) == {
        "role",
        "charset",
        "subject",
        "from",
        "attachments",
        "new_text",
        "empty_reply",
        "items",
        "documents",
    }
    assert data["documents"] == []
    assert data["role"] == "member"
    assert data["charset"].lower() == "utf-8"
    assert data["subject"].startswith("Re: [R2-5]")
    assert data["from"].endswith("@gmail.com")
    assert data["empty_reply"] is False
    assert "ここにご質問・ご意見をお書きください" not in data["new_text"]
    keys = {item["consultation"] for item in data["items"]}
    assert keys == {"13", "14"}
    for item in data["items"]:
        assert item["kind"] in ("question", "opinion", "request")
        assert 0.0 <= item["confidence"] <= 1.0


def test_without_json_prints_only_the_new_text() -> None:
    result = invoke(str(MEMBER))
    assert result.exit_code == 0
    out = result.stdout_bytes.decode("utf-8")
    assert "ICT活用による病児保育予約システム" in out
    assert "返信用フォーム" not in out
    assert not out.lstrip().startswith("{")


def test_department_answers_and_unanswered() -> None:
    ids = "Q13-01,Q13-02,Q13-03,Q13-04,Q13-05,Q13-06,Q13-99"
    data = as_json(str(DEPARTMENT), "--as", "department", "--expect", ids)
    assert {"answers", "unanswered", "answer_method"} <= set(data)
    assert "items" not in data
    answered = [a["item"] for a in data["answers"]]
    assert answered == ["Q13-01", "Q13-02", "Q13-03", "Q13-04", "Q13-05", "Q13-06"]
    assert data["unanswered"] == ["Q13-99"]
    assert "事業者が任意で選択することを想定している" in data["answers"][0]["text"]


def test_xlsx_attachment_is_listed_with_its_size() -> None:
    data = as_json(str(XLSX), "--as", "department", "--expect", "Q13-01")
    (sheet,) = data["attachments"]
    assert sheet["filename"] == "回答_諮問第13号.xlsx"
    assert sheet["content_type"].endswith("spreadsheetml.sheet")
    assert sheet["size"] > 1000


def test_chair_decisions_per_consultation() -> None:
    data = as_json(str(CHAIR), "--as", "chair", "--round-file", str(ROUND_FILE))
    verdicts = {d["consultation"]: d["verdict"] for d in data["decisions"]}
    assert verdicts == {"13": "approve_with_conditions", "14": "approve_with_conditions"}
    assert "仕様書への追記等指摘事項の実施をお願いし" in data["decisions"][0]["conditions"]


def test_text_only_reads_a_plain_body(tmp_path: Path) -> None:
    body = tmp_path / "reply.txt"
    body.write_text(
        "特になし\n\n"
        "2021年1月5日(火) 9:00 東村山市 情報公開係 <shingikai@city.example.lg.jp>:\n\n"
        "> 下記の諮問案件について、質疑及び意見をお送りください。\n",
        encoding="utf-8",
    )
    result = invoke("--text-only", str(body))
    assert result.exit_code == 0
    assert result.stdout_bytes.decode("utf-8").strip() == "特になし"


def test_signer_names_keep_a_signed_name_out_of_the_last_answer(tmp_path: Path) -> None:
    mail = tmp_path / "answer.eml"
    mail.write_bytes(
        "From: kodomo@city.example.jp\nSubject: Re: [R2-5] 回答のお願い\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        "[Q13-01]\n回答：事業者が任意で選択する。\n子ども保健・給付課　山田\n".encode()
    )
    args = (str(mail), "--as", "department", "--expect", "Q13-01")
    plain = as_json(*args)
    assert plain["answers"][0]["text"] == "事業者が任意で選択する。\n子ども保健・給付課　山田"
    signed = as_json(*args, "--signer", "保育幼稚園課", "--signer", "子ども保健・給付課")
    assert signed["answers"][0]["text"] == "事業者が任意で選択する。"


def test_text_only_takes_signer_names_too(tmp_path: Path) -> None:
    body = tmp_path / "reply.txt"
    body.write_text("・配布数の根拠を示されたい。\n委員：石田直樹\n", encoding="utf-8")
    assert invoke("--text-only", str(body)).stdout_bytes.decode().strip().endswith("石田直樹")
    result = invoke("--text-only", "--signer", "石田 直樹", str(body))
    assert result.stdout_bytes.decode("utf-8").strip() == "・配布数の根拠を示されたい。"


def test_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.eml"
    result = CliRunner().invoke(cli, ["parse", str(missing), "--json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0]


@pytest.mark.parametrize(
    "content",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ただのテキストです。\n".encode()],
    ids=["empty", "png", "plain-text"],
)
def test_non_mail_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-mail.eml"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr and "not a mail" in result.stderr


def test_round_and_round_file_together_are_refused() -> None:
    result = CliRunner().invoke(
        cli, ["parse", str(MEMBER), "--round", "R2-5", "--round-file", str(ROUND_FILE)]
    )
    assert result.exit_code == 2


def test_real_process_prints_utf8_json() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mailflow", "parse", str(CHAIR), "--json", "--as", "chair"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    data = json.loads(proc.stdout.decode("utf-8"))
    assert data["role"] == "chair"
    assert "諮問第13号" in data["new_text"]


def test_real_process_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "gone.eml"
    proc = subprocess.run(
        [sys.executable, "-m", "mailflow", "parse", str(missing)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert str(missing) in proc.stderr.decode("utf-8")
