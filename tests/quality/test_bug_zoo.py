"""The bug zoo: every mutant is caught by the check written for its error class, and the
reference sender is never flagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.adapters.mutants import MUTANTS
from harness.cli import main

# Mutants caught by one run; those that err only across campaigns are in test_stateful_mutants.py.
EXPECTED = {name: mutant.catches for name, mutant in MUTANTS.items() if not mutant.across_campaigns}


def run(tmp_path: Path, adapter: str, students: int, seed: int) -> tuple[int, dict[str, Any]]:
    report_dir = tmp_path / f"{adapter.replace(':', '-')}-{students}-{seed}"
    code = main(
        [
            "run",
            "--adapter",
            adapter,
            "--students",
            str(students),
            "--seed",
            str(seed),
            "--report-dir",
            str(report_dir),
            "--grace",
            "0.05",
        ]
    )
    return code, json.loads((report_dir / "report.json").read_text())


def test_every_error_class_of_the_design_has_a_mutant() -> None:
    assert set(EXPECTED.values()) >= {
        "foreign-student-data",
        "exposed-recipients",
        "restricted-recipient",
        "duplicate-notice",
    }


def test_reference_passes(tmp_path: Path) -> None:
    code, report = run(tmp_path, "reference", 300, seed=11)
    assert (code, report["verdict"]) == (0, "pass")
    assert report["summary"]["copies"] == report["summary"]["expected_copies"] > 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_mutant_is_caught(tmp_path: Path, name: str) -> None:
    code, report = run(tmp_path, f"mutant:{name}", 200, seed=3)
    assert code == 1
    assert report["summary"]["violations_by_check"][EXPECTED[name]] > 0
    first = next(v for v in report["violations"] if v["check"] == EXPECTED[name])
    assert first["recipient"]
    assert first["evidence"]


SEEDS = range(100, 120)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_reference_passes_on_many_seeds(tmp_path: Path, seed: int) -> None:
    code, report = run(tmp_path, "reference", 300, seed)
    assert code == 0, report["violations"][:3]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_mutant_is_caught_on_many_seeds(tmp_path: Path, name: str, seed: int) -> None:
    code, report = run(tmp_path, f"mutant:{name}", 300, seed)
    assert code == 1
    assert report["summary"]["violations_by_check"][EXPECTED[name]] > 0


@pytest.mark.slow
def test_reference_passes_a_2000_student_roster(tmp_path: Path) -> None:
    code, report = run(tmp_path, "reference", 2000, seed=2000)
    assert code == 0, report["violations"][:3]
    assert report["summary"]["copies"] == report["summary"]["expected_copies"]
