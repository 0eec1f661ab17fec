"""A roster and campaign that expect no copy at all are an error, never a pass (issue 13,
item 3): `run` and `check` exit 2 and say why."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli import main
from harness.roster.generate import generate_roster
from harness.roster.io import save_roster


@pytest.fixture
def addressless(tmp_path: Path) -> Path:
    roster = generate_roster(12, seed=5)
    path = tmp_path / "roster.json"
    save_roster(
        replace(roster, contacts=tuple(replace(c, email=None) for c in roster.contacts)), path
    )
    return path


def test_run_that_expects_no_copy_is_an_error(
    tmp_path: Path, addressless: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--adapter", "cmd:true", "--roster", str(addressless),
                 "--report-dir", str(tmp_path / "r")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "nothing to test" in err and "have an email address" in err
    assert len(err.strip().splitlines()) == 1


def test_check_that_expects_no_copy_is_an_error(
    tmp_path: Path, addressless: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--store", ":memory:", "--roster", str(addressless),
                 "--report-dir", str(tmp_path / "c")])  # fmt: skip
    assert code == 2
    assert "nothing to test" in capsys.readouterr().err
