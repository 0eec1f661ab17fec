"""Every command that sends a roster's mail refuses one with real-looking addresses (gmail.com)
unless --allow-real-addresses: run and check did; diff and demo now do too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.roster.generate import generate_roster
from harness.roster.io import save_roster


@pytest.fixture
def gmail_roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.json"
    save_roster(generate_roster(8, seed=2), path)
    text = path.read_text(encoding="utf-8")
    for domain in ("example.com", "example.org", "example.net"):
        text = text.replace(f"@{domain}", "@gmail.com")
    path.write_text(text, encoding="utf-8")
    assert "@gmail.com" in json.loads(text)["contacts"][0]["email"]
    return path


@pytest.mark.parametrize(
    "command",
    [["diff", "--candidate", "reference"], ["demo"], ["run", "--adapter", "reference"]],
    ids=["diff", "demo", "run"],
)
def test_a_gmail_roster_is_refused(
    tmp_path: Path, gmail_roster: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    out = tmp_path / "out"
    assert main([*command, "--roster", str(gmail_roster), "--report-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "@gmail.com" in err and "--allow-real-addresses" in err
    assert not out.exists()  # refused before any mail was sent


def test_diff_sends_to_it_when_allowed(tmp_path: Path, gmail_roster: Path) -> None:
    code = main(["diff", "--candidate", "reference", "--roster", str(gmail_roster),
                 "--report-dir", str(tmp_path / "d"), "--allow-real-addresses"])  # fmt: skip
    assert code == 0
