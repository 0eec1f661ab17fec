"""The search's figures: examples per second through `reference`, and each mutant's search
and shrink time under `mailharness run --examples 200`. Prints, asserts nothing.

    python benchmarks/search.py [--mutants NAME,...] [--skip-mutants]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from harness.adapters.mutants import MUTANTS
from harness.adapters.registry import resolve
from harness.roster.campaign import build_campaign
from harness.roster.model import Roster
from harness.roster.strategies import rosters
from harness.runner import run_once
from harness.search import explore
from harness.sink.server import CaptureSink


def examples_per_second(students: int, examples: int) -> float:
    """Draw rosters of exactly `students` students and run each through reference."""
    adapter = resolve("reference")
    count = 0
    with CaptureSink() as sink:

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(rosters(min(students, 64), min(students, 64), batch_sizes=(students,),
                       batch_rate=1.0 if students > 64 else 0.0))  # fmt: skip
        def run(roster: Roster) -> None:
            nonlocal count
            run_once(roster, build_campaign(roster.students), adapter, sink, grace=0.02)
            count += 1

        started = time.perf_counter()
        run()
        return count / (time.perf_counter() - started)


def mutant_search(name: str, examples: int, seed: int) -> str:
    adapter = resolve(f"mutant:{name}")
    with tempfile.TemporaryDirectory() as tmp, CaptureSink() as sink:
        started = time.perf_counter()
        result = explore(adapter, sink, examples=examples, report_dir=Path(tmp), search_seed=seed)
        elapsed = time.perf_counter() - started
    if result.passed:
        return f"{name:16} {elapsed:6.1f} s  not found in {result.examples} runs"
    found = ", ".join(f"{f.check} ({len(f.roster.students)} students)" for f in result.found)
    return f"{name:16} {elapsed:6.1f} s  {result.examples:4} runs  {found}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mutants", default=",".join(sorted(MUTANTS)))
    parser.add_argument("--skip-mutants", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for students, examples in ((20, 40), (200, 10)):
        rate = examples_per_second(students, examples)
        label = f"{students}" if students <= 64 else f"64-{students + 2}"
        print(f"reference, {label}-student rosters: {rate:6.1f} examples/s")
    if not args.skip_mutants:
        print("mutant search (--examples 200), total time including shrinking:")
        for name in args.mutants.split(","):
            print(mutant_search(name, 200, args.seed), flush=True)


if __name__ == "__main__":
    main()
