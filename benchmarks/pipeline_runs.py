"""Throughput of the pytest-facing paths: check_pipeline runs per second through the reference
sender (20- and 200-student rosters, one shared sink), one `mailharness diff`, and the time
the campaign machine takes to find and shrink mutant:stale-cache. Prints figures; asserts
nothing.

    python benchmarks/pipeline_runs.py   (from the repo root)
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.cli import main
from harness.pipeline_check import check_pipeline
from harness.roster.generate import generate_roster
from harness.stateful import CampaignMachine


def runs_per_second(students: int, grace: float, runs: int) -> tuple[float, int]:
    roster = generate_roster(students, 1)
    check_pipeline("reference", roster, grace=grace)  # start the shared sink, warm caches
    started = time.perf_counter()
    for _ in range(runs):
        result = check_pipeline("reference", roster, grace=grace)
    return runs / (time.perf_counter() - started), result.copies


def diff_seconds(students: int) -> float:
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        args = ["--students", str(students), "--seed", "3", "--report-dir", out]
        main(["diff", "--candidate", "mutant:join-shift", *args])
        return time.perf_counter() - started


def stale_cache_shrink() -> tuple[float, str]:
    class Machine(CampaignMachine):
        adapter = "mutant:stale-cache"
        grace = 0.0

    search = settings(
        max_examples=100,
        stateful_step_count=10,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    )
    started = time.perf_counter()
    try:
        run_state_machine_as_test(Machine, settings=search)
    except AssertionError as failure:
        notes = getattr(failure, "__notes__", [])
        steps = [line for n in notes for line in n.splitlines() if line.startswith("state.")]
        return time.perf_counter() - started, " ; ".join(steps)
    return time.perf_counter() - started, "not found"


if __name__ == "__main__":
    for students, grace in ((20, 0.05), (20, 0.0), (200, 0.05), (200, 0.0)):
        rate, copies = runs_per_second(students, grace, runs=20 if students == 20 else 5)
        print(
            f"check_pipeline reference, {students} students ({copies} copies), grace {grace}: "
            f"{rate:.1f} runs/s"
        )
    print(
        f"mailharness diff --candidate mutant:join-shift, 300 students: {diff_seconds(300):.1f} s"
    )
    seconds, steps = stale_cache_shrink()
    print(f"CampaignMachine finds and shrinks mutant:stale-cache: {seconds:.1f} s -> {steps}")
