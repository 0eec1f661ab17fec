"""Runs whose reports the renderers are tested on: made once per session, in-process."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.roster.campaign import CAMPAIGN_KINDS
from harness.roster.generate import generate_roster
from harness.roster.io import save_roster

# A name that would run as code if the HTML report did not escape it, and one that would
# break an attribute or a Markdown table.
SCRIPT_NAME = '<script>alert("x")</script>'
AWKWARD_NAME = 'O\'Brien & "Sons" | <b>'


def run(report_dir: Path, *args: str) -> int:
    return main(["run", *args, "--report-dir", str(report_dir), "--grace", "0.05"])


def load(report_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    return report


@pytest.fixture(scope="session")
def script_roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 students; the first one selected for the vaccine notice is named `<script>...`,
    and a contact of another family has an awkward name."""
    roster = generate_roster(60, 5)
    selects_on = CAMPAIGN_KINDS["vaccine"].selects_on
    target = next(s for s in roster.students if s.sensitive.get(selects_on))
    students = tuple(
        dataclasses.replace(s, first_name=SCRIPT_NAME) if s is target else s
        for s in roster.students
    )
    contacts = list(roster.contacts)
    contacts[-1] = dataclasses.replace(contacts[-1], first_name=AWKWARD_NAME)
    path = tmp_path_factory.mktemp("roster") / "roster.json"
    save_roster(dataclasses.replace(roster, students=students, contacts=tuple(contacts)), path)
    return path


@pytest.fixture(scope="session")
def failed_run(tmp_path_factory: pytest.TempPathFactory, script_roster: Path) -> Path:
    """LAUSD: notices joined to the wrong families, on the roster with the `<script>` name."""
    report_dir = tmp_path_factory.mktemp("join-shift")
    assert run(report_dir, "--adapter", "mutant:join-shift", "--roster", str(script_roster)) == 1
    return report_dir


@pytest.fixture(scope="session")
def passed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report_dir = tmp_path_factory.mktemp("reference")
    assert run(report_dir, "--adapter", "reference", "--students", "40", "--seed", "2") == 0
    return report_dir


@pytest.fixture(scope="session")
def errored_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pipeline that crashes: the run is an error, never a pass."""
    report_dir = tmp_path_factory.mktemp("crash")
    sender = Path(__file__).parent.parent / "senders" / "crash_sender.py"
    code = run(report_dir, "--adapter", f"cmd:{sys.executable} {sender}", "--students", "10")
    assert code == 2
    return report_dir
