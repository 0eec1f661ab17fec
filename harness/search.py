"""The search: Hypothesis explores rosters through one adapter and shrinks what fails.

`explore(adapter, sink, ...)` draws (roster, campaign) pairs and one metamorphic relation per
example, runs the adapter into one sink started once (`run_once` clears it per example), and
judges every example with the oracle; the variants of the relation must deliver the same
matrix. A failing example raises a `Failure` whose *type* is made per check id: Hypothesis
tells bugs apart by exception type and place, so each check shrinks on its own and
`report_multiple_bugs` hands back one minimal example per check. An adapter or sink error is
not a pipeline behaviour to shrink: it aborts the search at once (a BaseException Hypothesis
does not catch) and is re-raised as the HarnessError it was.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from harness.adapters.base import Adapter
from harness.errors import AdapterError, HarnessError
from harness.metamorphic import RELATIONS, compare, mapped, variants
from harness.oracle.checks import SEVERITY, Violation
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.roster.strategies import roster_campaigns
from harness.runner import RunResult, run_once
from harness.sink.server import CaptureSink

if sys.version_info < (3, 11):  # pragma: no cover - hypothesis installs the backport there
    from exceptiongroup import BaseExceptionGroup

__all__ = ["Failure", "Found", "SearchResult", "explore", "failure_type", "search_settings"]

SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}
# Adapter runs allowed once a failure is found (and optionally seconds). Past the budget the
# search stops and reports, for each check, the smallest failing example it reached. A run
# budget, not a time one, by default: the same seed then gives the same result on a loaded
# machine as on an idle one.
SHRINK_BUDGET = 600
# Batch sizes the search reaches for (a 500-student example costs seconds, so the search
# leaves that size to `rosters(batch_sizes=BATCH_SIZES)` in a user's own tests).
SEARCH_BATCH_SIZES = (25, 50, 100)
# How many students an example usually holds; rosters around batch sizes come on top.
MAX_STUDENTS = 5


@dataclass
class Found:
    """One failing example: what to report, and the roster and campaign that reproduce it."""

    check: str
    violations: list[Violation]
    result: RunResult
    roster: Roster
    campaign: Campaign
    relation: str | None = None  # the metamorphic relation that showed it, if one did
    original: Roster | None = None  # the roster before the relation, when one did


class Failure(AssertionError):
    """A pipeline behaviour the oracle rejects; `failure_type(check)` gives its class."""

    check = ""

    def __init__(self, found: Found) -> None:
        self.found = found
        first = found.violations[0]
        super().__init__(f"{found.check}: {first.recipient} {', '.join(first.students[:5])}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Failure) and other.check == self.check

    def __hash__(self) -> int:
        return hash(self.check)


@cache
def failure_type(check: str) -> type[Failure]:
    """One Failure subclass per check id, so Hypothesis shrinks each bug apart."""
    return type(f"Failure[{check}]", (Failure,), {"check": check})


class _Enough(BaseException):
    """Ends the search once the shrink budget is spent (Hypothesis does not catch it)."""


class _Abort(BaseException):
    """Carries an adapter or sink error through Hypothesis without shrinking it."""

    def __init__(self, error: HarnessError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class SearchResult:
    examples: int  # examples run, shrinking included
    seed: int
    found: list[Found] = field(default_factory=list)  # most severe first

    @property
    def passed(self) -> bool:
        return not self.found


def search_settings(examples: int, report_dir: Path) -> settings:
    """Every Hypothesis setting of the search, in one place."""
    return settings(
        max_examples=examples,
        deadline=None,  # an example is SMTP traffic: its time says nothing about the pipeline
        derandomize=False,  # the seed is drawn, printed, and accepted back with --seed
        database=DirectoryBasedExampleDatabase(report_dir / ".hypothesis"),
        report_multiple_bugs=True,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


def judge_example(
    roster: Roster,
    campaign: Campaign,
    relation: str | None,
    relation_seed: int,
    run: Callable[[Roster, Campaign], RunResult],
) -> Found | None:
    """Run the example; when it passes, run the relation's variants and compare matrices."""
    base = run(roster, campaign)
    if base.violations:
        return _found(base.violations, base, roster, campaign)
    if relation is None:
        return None
    total = None
    failing: tuple[RunResult, Roster, Campaign] | None = None
    for variant in variants(relation, roster, campaign, relation_seed):
        result = run(variant.roster, variant.campaign)
        matrix = mapped(result.matrix, variant.original_id)
        total = matrix if total is None else total + matrix
        if result.violations and failing is None:
            failing = (result, variant.roster, variant.campaign)
    differences = compare(relation, base.matrix, total) if total is not None else []
    if not differences:
        return None
    # Reproduce with the variant the oracle rejects on its own, if there is one.
    result, shown_roster, shown_campaign = failing or (base, roster, campaign)
    found = _found(differences, result, shown_roster, shown_campaign)
    found.relation, found.original = relation, roster
    return found


def _found(
    violations: list[Violation], result: RunResult, roster: Roster, campaign: Campaign
) -> Found:
    ordered = sorted(violations, key=lambda v: SEVERITY_ORDER[SEVERITY[v.check]])
    return Found(ordered[0].check, ordered, result, roster, campaign)


def explore(
    adapter: Adapter,
    sink: CaptureSink,
    *,
    examples: int,
    report_dir: Path,
    search_seed: int | None = None,
    grace: float = 0.02,
    max_students: int = MAX_STUDENTS,
    relations: tuple[str, ...] = tuple(RELATIONS),
    on_seed: Callable[[int], None] = lambda s: None,
    shrink_budget: int = SHRINK_BUDGET,
    shrink_seconds: float | None = None,
    replay: tuple[Roster, Campaign] | None = None,
) -> SearchResult:
    """Explore `examples` rosters through `adapter`; shrink every failing behaviour.
    `replay` (the last counterexample) runs first, before anything is drawn.

    Raises the HarnessError of an adapter or sink failure (never shrunk, never a pass).
    """
    chosen_seed = search_seed if search_seed is not None else random.randrange(2**32)
    on_seed(chosen_seed)
    outcome = SearchResult(examples=0, seed=chosen_seed)
    pairs = roster_campaigns(
        max_students=max_students, batch_sizes=SEARCH_BATCH_SIZES, batch_rate=0.25
    )
    # None first: once a failure shows without a relation, shrinking stops running variants.
    relation_choice = st.sampled_from((None, *relations)) if relations else st.none()
    latest: dict[str, Found] = {}  # check -> the smallest failing example yet
    runs_after_failure = 0
    first_failure_at = 0.0
    judged = 0
    warmup = min(50, examples // 4)  # examples judged before a failure is raised

    def run(roster: Roster, campaign: Campaign) -> RunResult:
        nonlocal runs_after_failure
        outcome.examples += 1
        runs_after_failure += bool(latest)
        try:
            return run_once(roster, campaign, adapter, sink, grace=grace)
        except HarnessError as exc:
            raise _Abort(exc) from exc
        except Exception as exc:  # an in-process adapter that crashed
            raise _Abort(AdapterError(f"adapter {adapter.spec} crashed: {exc!r}")) from exc

    @search_settings(examples, report_dir)
    @given(pair=pairs, relation=relation_choice, relation_seed=st.integers(0, 2**16))
    def search_example(
        pair: tuple[Roster, Campaign], relation: str | None, relation_seed: int
    ) -> None:
        nonlocal first_failure_at
        if latest and (
            runs_after_failure >= shrink_budget
            or (shrink_seconds is not None and time.monotonic() - first_failure_at > shrink_seconds)
        ):
            raise _Enough
        nonlocal judged
        judged += 1
        found = judge_example(*pair, relation, relation_seed, run)
        if found is not None:
            first_failure_at = first_failure_at or time.monotonic()
            known = latest.get(found.check)
            if known is None or _size(found) <= _size(known):
                latest[found.check] = found
            # Hypothesis explores only a few more examples once a first bug is found; the
            # first examples are its simplest, where a minor check hides a critical one.
            if judged > warmup:
                raise failure_type(found.check)(found)

    # One database key per adapter: a failure replays first for the adapter that showed it.
    test = search_example
    if replay is not None:
        test = example(pair=replay, relation=None, relation_seed=0)(search_example)
    test.hypothesis.inner_test._hypothesis_internal_database_key = (  # type: ignore[attr-defined]
        b"mailharness.search:" + adapter.spec.encode()
    )
    # The seed, set as @seed would set it: the decorator itself also turns the database off,
    # and the search needs both (a printed seed and a failure replayed first).
    test._hypothesis_internal_use_seed = chosen_seed  # type: ignore[attr-defined]
    try:
        test()
    except _Abort as abort:
        raise abort.error from None
    except (_Enough, Failure):
        pass
    except BaseExceptionGroup as group:
        if not all(isinstance(e, Failure) for e in _leaves(group)):
            raise
    outcome.found = sorted(
        latest.values(),
        key=lambda f: (SEVERITY_ORDER[SEVERITY[f.check]], len(f.roster.students)),
    )
    return outcome


def _size(found: Found) -> tuple[int, int, int]:
    roster = found.roster
    return len(roster.students), len(roster.contacts), len(roster.links)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out
