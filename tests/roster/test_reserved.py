"""Only reserved domains unless told: a misconfigured run can never mail a real person."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli import main
from harness.roster.generate import generate_roster
from harness.roster.io import save_roster
from harness.roster.reserved import first_real_address, is_reserved_address


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com",
        "a@EXAMPLE.ORG",
        "a@example.net",
        "a@mail.example.com",
        "a@families.test",
        "a@inbox.example",
        "a@x.invalid",
        " a@Example.Com. ",
    ],
)
def test_reserved(address: str) -> None:
    assert is_reserved_address(address)


@pytest.mark.parametrize(
    "address",
    ["a@gmail.com", "a@example.co", "a@notexample.com", "a@example.com.evil.org", "a@test.com"],
)
def test_not_reserved(address: str) -> None:
    assert not is_reserved_address(address)


@pytest.mark.parametrize("seed", range(5))
def test_generated_rosters_use_only_reserved_domains(seed: int) -> None:
    assert first_real_address(generate_roster(200, seed)) is None


def real_roster(tmp_path: Path) -> Path:
    roster = generate_roster(20, 1)
    victim = next(c for c in roster.contacts if c.email)
    contacts = tuple(
        replace(c, email="parent.real@gmail.com") if c is victim else c for c in roster.contacts
    )
    path = tmp_path / "real.json"
    save_roster(replace(roster, contacts=contacts), path)
    return path


def test_run_refuses_a_real_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = real_roster(tmp_path)
    code = main(["run", "--adapter", "reference", "--roster", str(path),
                 "--report-dir", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "parent.real@gmail.com" in line
    assert "--allow-real-addresses" in line
    assert not (tmp_path / "r").exists()  # refused before anything ran


def test_run_with_consent(tmp_path: Path) -> None:
    path = real_roster(tmp_path)
    code = main(["run", "--adapter", "reference", "--roster", str(path), "--grace", "0.05",
                 "--report-dir", str(tmp_path / "r"), "--allow-real-addresses"])  # fmt: skip
    assert code == 0
    assert json.loads((tmp_path / "r" / "report.json").read_text())["verdict"] == "pass"


def test_check_refuses_a_real_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = real_roster(tmp_path)
    code = main(["check", "--store", str(tmp_path / "s.sqlite"), "--roster", str(path)])
    assert code == 2
    assert "parent.real@gmail.com" in capsys.readouterr().err
