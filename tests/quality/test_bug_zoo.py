"""The bug zoo: every mutant is caught by the check written for its error class, and the
reference sender is never flagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.adapters.mutants import MUTANTS, NEEDS_FAULTS
from harness.cli import main

# Mutants caught by one run; those that err only across campaigns are in test_stateful_mutants.py.
EXPECTED = {name: mutant.catches for name, mutant in MUTANTS.items() if not mutant.across_campaigns}


def run(
    tmp_path: Path, adapter: str, students: int, seed: int, faults: tuple[str, ...] = ()
) -> tuple[int, dict[str, Any]]:
    """A run; a mutant whose error needs faults to show (NEEDS_FAULTS) gets them."""
    faults = faults or NEEDS_FAULTS.get(adapter.removeprefix("mutant:"), ())
    report_dir = tmp_path / f"{adapter.replace(':', '-')}-{students}-{seed}-{len(faults)}"
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
            *(word for fault in faults for word in ("--fault", fault)),
        ]
    )
    return code, json.loads((report_dir / "report.json").read_text())


def test_every_error_class_of_the_design_has_a_mutant() -> None:
    assert set(EXPECTED.values()) >= {
        "foreign-student-data",
        "exposed-recipients",
        "restricted-recipient",
        "duplicate-notice",
        "unrendered-template",
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


# A mutant that needs its trigger placed (a batch boundary between two families) is proved by
# the search (tests/quality/test_search.py), not by every single generated roster.
ON_EVERY_ROSTER = sorted(name for name in EXPECTED if not MUTANTS[name].needs_search)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ON_EVERY_ROSTER)
def test_mutant_is_caught_on_many_seeds(tmp_path: Path, name: str, seed: int) -> None:
    code, report = run(tmp_path, f"mutant:{name}", 300, seed)
    assert code == 1
    assert report["summary"]["violations_by_check"][EXPECTED[name]] > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(EXPECTED) - set(ON_EVERY_ROSTER)))
def test_placed_trigger_mutant_is_caught_on_most_seeds(tmp_path: Path, name: str) -> None:
    caught = 0
    for seed in SEEDS:
        code, report = run(tmp_path, f"mutant:{name}", 300, seed)
        assert code in (0, 1)
        caught += report["summary"]["violations_by_check"][EXPECTED[name]] > 0
    assert caught >= len(SEEDS) // 2, f"caught on {caught} of {len(SEEDS)} rosters"


@pytest.mark.slow
def test_reference_passes_a_2000_student_roster(tmp_path: Path) -> None:
    code, report = run(tmp_path, "reference", 2000, seed=2000)
    assert code == 0, report["violations"][:3]
    assert report["summary"]["copies"] == report["summary"]["expected_copies"]
