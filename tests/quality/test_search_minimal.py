"""The search, proved the way Hypothesis proves its own shrinker: the exact minimal
counterexample for several mutants, and the properties that make the search worth running
(each check shrunk apart, the budget kept, the last counterexamples replayed first, the same
seed giving the same files).

These run the exploring pass on a handful of small rosters (no batch-size rosters, no
metamorphic relations) so they stay fast; tests/quality/test_search.py runs the full search
from the command line. The expected rosters hold for the pinned Hypothesis range
(pyproject.toml); a new release that changes them is a change to review, not a flake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness.search
from harness.adapters.base import Adapter, AdapterOutcome, SmtpTarget
from harness.adapters.registry import resolve
from harness.cli import main
from harness.roster.campaign import Campaign
from harness.roster.io import save_roster
from harness.roster.model import Roster
from harness.search import SearchResult, explore, failure_type
from harness.sink.server import CaptureSink

EXAMPLES = 8
SEED = 1
BUDGET = 150


@dataclass
class Counting:
    """An adapter that counts the runs it is asked for (the search's cost, seen from outside)."""

    inner: Adapter
    sends: int = 0

    @property
    def spec(self) -> str:
        return self.inner.spec

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        self.sends += 1
        return self.inner.send(roster, campaign, smtp)


def search(
    adapter: Adapter | str, *, budget: int = BUDGET, examples: int = EXAMPLES, seed: int = SEED
) -> SearchResult:
    with CaptureSink() as sink:
        return explore(
            resolve(adapter) if isinstance(adapter, str) else adapter,
            sink,
            examples=examples,
            search_seed=seed,
            shrink_budget=budget,
            batch_sizes=(),
            relations=(),
        )


def shape(roster: Roster) -> tuple[int, int, int]:
    return len(roster.students), len(roster.contacts), len(roster.links)


def by_check(result: SearchResult) -> dict[str, tuple[int, int, int]]:
    return {found.check: shape(found.roster) for found in result.found}


def test_restricted_shrinks_to_one_student_and_the_restricted_contact() -> None:
    unshrunk = search("mutant:restricted", budget=0)
    assert by_check(unshrunk) == {"restricted-recipient": (2, 4, 4)}
    result = search("mutant:restricted")
    assert by_check(result) == {"restricted-recipient": (1, 1, 1)}
    (link,) = result.found[0].roster.links
    assert link.contact_restricted and link.receives_mail


def test_each_check_shrinks_apart_to_its_own_minimum() -> None:
    # mutant:to-all puts every recipient in To: two families show each other's addresses,
    # and a student whose only contact is someone else's gets no notice. Shrunk together,
    # the exposure would be lost in the one-student roster that still misses a notice.
    unshrunk = search("mutant:to-all", budget=0)
    assert by_check(unshrunk) == {"exposed-recipients": (5, 8, 13), "missing-notice": (5, 4, 11)}
    result = search("mutant:to-all")
    assert by_check(result) == {"exposed-recipients": (2, 2, 2), "missing-notice": (1, 1, 1)}
    for found in result.found:
        assert found.violations[0].check == found.check
        assert found.check in found.checks
    assert failure_type("exposed-recipients") is failure_type("exposed-recipients")
    assert failure_type("exposed-recipients") is not failure_type("missing-notice")


def test_shrinking_spends_no_more_adapter_runs_than_its_budget() -> None:
    exploring = Counting(resolve("mutant:restricted"))
    search(exploring, budget=0)
    unbounded = Counting(resolve("mutant:restricted"))
    search(unbounded)
    assert unbounded.sends > exploring.sends + 20  # shrinking this example needs many runs
    bounded = Counting(resolve("mutant:restricted"))
    result = search(bounded, budget=8)
    assert bounded.sends <= exploring.sends + 8
    assert result.shrink_runs == {"restricted-recipient": bounded.sends - exploring.sends}
    assert result.examples == bounded.sends


def test_the_same_seed_writes_the_same_counterexample(tmp_path: Path) -> None:
    files = []
    for attempt in range(2):
        found = search("mutant:to-all", seed=4).found[0]
        save_roster(found.roster, tmp_path / f"{attempt}.json")
        files.append((tmp_path / f"{attempt}.json").read_bytes())
    assert files[0] == files[1]


def test_the_last_counterexamples_run_first(tmp_path: Path) -> None:
    def run(report_dir: Path, examples: int) -> tuple[int, dict[str, object]]:
        argv = ["run", "--adapter", "mutant:restricted", "--examples", str(examples),
                "--seed", "1", "--report-dir", str(report_dir), "--quiet"]  # fmt: skip
        code = main(argv)
        return code, json.loads((report_dir / "report.json").read_text())

    # One example, drawn fresh, is the simplest roster: nothing restricted in it.
    assert run(tmp_path / "fresh", 1)[0] == 0
    assert run(tmp_path / "dir", 8)[0] == 1
    written = (tmp_path / "dir" / "counterexample.json").read_bytes()
    code, report = run(tmp_path / "dir", 1)
    assert code == 1
    assert report["counterexample"]["students"] == 1  # type: ignore[index]
    assert (tmp_path / "dir" / "counterexample.json").read_bytes() == written
    for name in ("report.html", "junit.xml", "summary.md"):
        assert (tmp_path / "dir" / name).is_file()


@pytest.mark.slow
def test_join_shift_shrinks_to_two_students() -> None:
    result = search("mutant:join-shift")
    assert by_check(result)["foreign-student-data"] == (2, 1, 1)


def test_shrinking_in_short_runs_reaches_what_one_long_run_reaches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each Hypothesis shrink run spends at most SHRINK_CHUNK new adapter runs and the next one
    # replays its path from the cache of verdicts: the result must not depend on the chunk.
    whole = search("mutant:restricted")
    monkeypatch.setattr(harness.search, "SHRINK_CHUNK", 7)
    chunked = search("mutant:restricted")
    assert by_check(chunked) == by_check(whole) == {"restricted-recipient": (1, 1, 1)}
    assert chunked.shrink_runs == whole.shrink_runs
    assert chunked.found[0].roster == whole.found[0].roster
