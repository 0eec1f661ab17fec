"""The searches from the command line: `--fault` under `--examples`, and `--stateful N` (the
campaign machine against any adapter), each writing the reports `run` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

REPORTS = ("report.json", "report.html", "junit.xml", "summary.md")


def run(report_dir: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", *argv, "--report-dir", str(report_dir), "--quiet"])
    return code, json.loads((report_dir / "report.json").read_text())


def test_faults_apply_to_every_example_of_a_search(tmp_path: Path) -> None:
    # mutant:retry-duplicate resends what a slow server accepted: only faults show it.
    search = ["--adapter", "mutant:retry-duplicate", "--examples", "5", "--seed", "2",
              "--shrink-budget", "4"]  # fmt: skip
    assert run(tmp_path / "plain", *search)[0] == 0
    code, report = run(tmp_path / "slow", *search, "--fault", "data:slow:0.5:1.2")
    assert code == 1
    entry = report["counterexample"]
    assert entry["check"] == "duplicate-notice"
    assert "--fault data:slow:0.5:1.2 --fault-seed 0" in entry["reproduce"]
    assert report["run"]["faults"].startswith("data:slow:0.5")
    # The counterexample's own command reproduces it, faults included.
    argv = [*entry["reproduce"].split()[1:], "--report-dir", str(tmp_path / "again"), "--quiet"]
    assert main(argv) == 1


def test_stateful_catches_a_stale_cache_from_the_command_line(tmp_path: Path) -> None:
    code, report = run(tmp_path, "--adapter", "mutant:stale-cache", "--stateful", "30",
                       "--seed", "1")  # fmt: skip
    assert code == 1
    entry = report["counterexample"]
    assert entry["check"] in {"restricted-recipient", "unintended-recipient",
                              "foreign-student-data"}  # fmt: skip
    steps = entry["steps"]
    # Shrunk: the roster, one campaign, one change, the campaign that shows the stale cache.
    assert len(steps) == 4, steps
    assert steps[1].startswith("send the ") and steps[-1].startswith("send the ")
    assert (tmp_path / "counterexample-steps.txt").read_text().splitlines() == steps
    assert entry["reproduce"] == (
        "mailharness run --adapter mutant:stale-cache --stateful 30 --seed 1"
    )
    for name in REPORTS:
        assert (tmp_path / name).is_file()


def test_stateful_reference_passes(tmp_path: Path) -> None:
    code, report = run(tmp_path, "--adapter", "reference", "--stateful", "5", "--seed", "1")
    assert (code, report["verdict"]) == (0, "pass")
    assert report["run"]["campaigns_sent"] > 0
    for name in REPORTS:
        assert (tmp_path / name).is_file()


def test_stateful_shrinking_keeps_its_budget(tmp_path: Path) -> None:
    code, report = run(tmp_path, "--adapter", "mutant:stale-cache", "--stateful", "30",
                       "--seed", "1", "--shrink-budget", "3")  # fmt: skip
    assert code == 1
    assert report["run"]["shrink_campaigns"] <= 3


@pytest.mark.parametrize("other", [["--examples", "3"], ["--roster", "x.json"]])
def test_stateful_refuses_a_second_search_or_a_roster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], other: list[str]
) -> None:
    argv = ["run", "--adapter", "reference", "--stateful", "3", *other]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--stateful" in err and "Traceback" not in err
