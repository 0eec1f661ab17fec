"""The search: Hypothesis explores rosters through one adapter and shrinks what fails.

`explore(adapter, sink, ...)` works in two passes, both seeded with `@seed(search_seed)` so a
seed replays the whole search:

1. Exploring: Hypothesis draws `examples` (roster, campaign) pairs and one metamorphic
   relation each; every pair is run through the adapter into one sink (cleared per example)
   and judged. Nothing is raised, so every check any example shows is seen, whatever order.
2. Shrinking, one check at a time: the same seeded draw again (every example it meets is in
   the cache of verdicts, so the adapter runs only for new rosters), failing only on that
   check, so Hypothesis stops at its first failing example and shrinks it as one bug; then a
   roster-aware pass (`harness.shrink`) drops students, contacts and links from the result.
   Both count adapter runs against the check's `shrink_budget`.

Nothing here depends on anything but the seed. No constant that Hypothesis would read from
the source of the modules loaded (`harness.seed_only`), and no clock: no deadline, no health
check, no budget in seconds, and Hypothesis is never left to decide by time when to stop
generating (it stops after ten seconds when a test raises several bugs in one run, so raising
only in pass 2, one check per run, keeps its path the same on a loaded machine). An adapter
or sink error is not a pipeline behaviour to shrink: it aborts the search at once and is
re-raised as the HarnessError it was.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings, target
from hypothesis import strategies as st

from harness.adapters.base import Adapter
from harness.errors import AdapterError, HarnessError
from harness.metamorphic import RELATIONS, compare, mapped, variants
from harness.oracle.checks import SEVERITY, Violation
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.roster.strategies import roster_campaigns
from harness.roster.targets import targets
from harness.runner import RunResult, run_once
from harness.search_progress import NullSearchProgress, SearchProgress
from harness.seed_only import seed_only
from harness.shrink import roster_size, shrink_roster
from harness.sink.server import CaptureSink

__all__ = ["Failure", "Found", "SearchResult", "explore", "failure_type", "search_settings"]

SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}
# Adapter runs each check's shrinking may spend (Hypothesis' shrinker, then the roster pass).
# Runs, not seconds: the same seed then gives the same result on a loaded machine.
SHRINK_BUDGET = 600
# The share of the budget the roster-aware pass keeps for itself after Hypothesis' shrinker.
ROSTER_PASS_SHARE = 4
# New adapter runs per Hypothesis shrink run (see _shrink_check).
SHRINK_CHUNK = 100
# Batch sizes the search reaches for (a 500-student example costs seconds, so the search
# leaves that size to `rosters(batch_sizes=BATCH_SIZES)` in a user's own tests).
SEARCH_BATCH_SIZES = (25, 50, 100)
# How many students an example usually holds; rosters around batch sizes come on top.
MAX_STUDENTS = 5

Example = tuple[tuple[Roster, Campaign], str | None, int]  # (pair, relation, relation seed)


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
    drawn: tuple[Roster, Campaign] | None = None  # the example as drawn (before a relation)
    relation_seed: int = 0

    @property
    def checks(self) -> frozenset[str]:
        return frozenset(v.check for v in self.violations)


class Failure(AssertionError):
    """A pipeline behaviour the oracle rejects; `failure_type(check)` gives its class."""

    check = ""

    def __init__(self, found: Found) -> None:
        self.found = found
        first = found.violations[0]
        super().__init__(f"{found.check}: {first.recipient} {', '.join(first.students[:5])}")


@cache
def failure_type(check: str) -> type[Failure]:
    """One Failure subclass per check id: a shrink run catches only its own check's."""
    return type(f"Failure[{check}]", (Failure,), {"check": check})


class _Enough(BaseException):
    """Ends a shrink run once its budget is spent (Hypothesis does not catch it)."""


class _Abort(BaseException):
    """Carries an adapter or sink error through Hypothesis without shrinking it."""

    def __init__(self, error: HarnessError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class SearchResult:
    examples: int  # adapter runs, shrinking included
    seed: int
    found: list[Found] = field(default_factory=list)  # most severe first
    explored: int = 0  # examples of the exploring pass
    first_failure_at: int | None = None  # the exploring example that failed first (from 1)
    shrink_runs: dict[str, int] = field(default_factory=dict)  # check -> adapter runs spent
    shrink_steps: dict[str, int] = field(default_factory=dict)  # check -> smaller rosters kept

    @property
    def passed(self) -> bool:
        return not self.found


def search_settings(examples: int, *, shrinking: bool = False) -> settings:
    """Every Hypothesis setting of the search, in one place: nothing timed, nothing stored
    (`@seed` turns the example database off; the counterexample files replay instead)."""
    phases = [Phase.explicit, Phase.generate, Phase.target] + ([Phase.shrink] if shrinking else [])
    return settings(
        max_examples=examples,
        deadline=None,  # an example is SMTP traffic: its time says nothing about the pipeline
        database=None,
        report_multiple_bugs=False,  # one check per shrink run (see the module docstring)
        phases=phases,
        suppress_health_check=list(HealthCheck),  # too_slow and the like measure the machine
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
    drawn = (roster, campaign)
    if base.violations:
        return _found(base.violations, base, roster, campaign, drawn, relation, relation_seed)
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
    found = _found(
        differences, result, shown_roster, shown_campaign, drawn, relation, relation_seed
    )
    found.relation, found.original = relation, roster
    return found


def _found(
    violations: list[Violation],
    result: RunResult,
    roster: Roster,
    campaign: Campaign,
    drawn: tuple[Roster, Campaign],
    relation: str | None,
    relation_seed: int,
) -> Found:
    ordered = sorted(violations, key=lambda v: SEVERITY_ORDER[SEVERITY[v.check]])
    return Found(
        ordered[0].check, ordered, result, roster, campaign, None, None, drawn, relation_seed
    )


def as_check(found: Found, check: str) -> Found:
    """`found` reported as `check` (one of its checks): that check's violations first."""
    ordered = sorted(found.violations, key=lambda v: v.check != check)
    return replace(found, check=check, violations=ordered)


class Verdicts:
    """Runs examples through the adapter and remembers each verdict, so an example drawn
    again (the shrink passes draw the exploring pass's examples again) costs nothing and
    is judged the same (a nondeterministic pipeline cannot make Hypothesis' replay flaky)."""

    def __init__(
        self, adapter: Adapter, sink: CaptureSink, grace: float, progress: SearchProgress
    ) -> None:
        self.adapter, self.sink, self.grace, self.progress = adapter, sink, grace, progress
        self.runs = 0  # adapter runs (variants of a relation included)
        self._seen: dict[str, Found | None] = {}

    def __call__(
        self, pair: tuple[Roster, Campaign], relation: str | None, relation_seed: int
    ) -> Found | None:
        key = repr((pair, relation, relation_seed if relation is not None else 0))
        if key not in self._seen:
            self._seen[key] = judge_example(*pair, relation, relation_seed, self._run)
        return self._seen[key]

    def _run(self, roster: Roster, campaign: Campaign) -> RunResult:
        self.runs += 1
        self.progress.ran()
        try:
            return run_once(roster, campaign, self.adapter, self.sink, grace=self.grace)
        except HarnessError as exc:
            raise _Abort(exc) from exc
        except Exception as exc:  # an in-process adapter that crashed
            raise _Abort(AdapterError(f"adapter {self.adapter.spec} crashed: {exc!r}")) from exc


def explore(
    adapter: Adapter,
    sink: CaptureSink,
    *,
    examples: int,
    report_dir: Path | None = None,  # unused: kept for callers; replays come via `replay`
    search_seed: int | None = None,
    grace: float = 0.0,
    max_students: int = MAX_STUDENTS,
    relations: tuple[str, ...] = tuple(RELATIONS),
    on_seed: Callable[[int], None] = lambda s: None,
    shrink_budget: int = SHRINK_BUDGET,
    replay: Sequence[tuple[Roster, Campaign]] = (),
    progress: SearchProgress | None = None,
    batch_sizes: Sequence[int] = SEARCH_BATCH_SIZES,
    targeting: bool = False,
    stop_at_first_failure: bool = False,
) -> SearchResult:
    """Explore `examples` rosters through `adapter`; shrink every failing check apart.
    `replay` (the last search's counterexamples) runs first, before anything is drawn.
    `stop_at_first_failure`: end at the first failing example, unshrunk (a benchmark's count).
    `targeting`: steer the search with `hypothesis.target` towards `harness.roster.targets`.
    Off by default: measured over 10 seeds (benchmarks/search.py), it found batch-boundary
    in fewer seeds than the plain draw, since the scores change what Hypothesis generates.
    `batch_sizes`: about a quarter of the rosters are drawn around one of these sizes.
    `grace`: idle seconds the sink waits after the last session closed (0: none; the
    adapter has returned, so every session it opened has been seen).

    Raises the HarnessError of an adapter or sink failure (never shrunk, never a pass).
    """
    chosen_seed = search_seed if search_seed is not None else random.randrange(2**32)
    on_seed(chosen_seed)
    show = progress or NullSearchProgress()
    outcome = SearchResult(examples=0, seed=chosen_seed)
    verdicts = Verdicts(adapter, sink, grace, show)
    pairs = roster_campaigns(max_students=max_students, batch_sizes=batch_sizes, batch_rate=0.25)
    # None first: a failure that shows without a relation shrinks without running variants.
    relation_choice = st.sampled_from((None, *relations)) if relations else st.none()
    strategies = {
        "pair": pairs, "relation": relation_choice, "relation_seed": st.integers(0, 2**16)
    }  # fmt: skip

    def seeded(test: Callable[..., None], *, shrinking: bool) -> Callable[[], None]:
        wrapped = given(**strategies)(search_settings(examples, shrinking=shrinking)(test))
        for pair in replay:
            wrapped = example(pair=pair, relation=None, relation_seed=0)(wrapped)
        return seed(chosen_seed)(wrapped)

    firsts: dict[str, Found] = {}  # check -> the first exploring example that showed it

    def steer(pair: tuple[Roster, Campaign]) -> None:
        # Both passes observe the same scores, so the shrink runs draw what exploring drew.
        if targeting:
            for label, score in targets(*pair).items():
                target(score, label=label)

    def explore_example(
        pair: tuple[Roster, Campaign], relation: str | None, relation_seed: int
    ) -> None:
        outcome.explored += 1
        show.explored(outcome.explored)
        steer(pair)
        found = verdicts(pair, relation, relation_seed)
        if found is None:
            return
        if outcome.first_failure_at is None:
            outcome.first_failure_at = outcome.explored
            if stop_at_first_failure:
                raise _Enough
        for check in sorted(found.checks, key=lambda c: SEVERITY_ORDER[SEVERITY[c]]):
            if check not in firsts:
                firsts[check] = as_check(found, check)
                show.failures(len(firsts))

    show.start(examples)
    try:
        with contextlib.suppress(_Enough):
            _run_quietly(seeded(explore_example, shrinking=False))
        for check in list(firsts) if not stop_at_first_failure else []:
            best = _shrink_check(check, firsts[check], verdicts, shrink_budget, outcome, show,
                                 lambda test: seeded(test, shrinking=True), steer)  # fmt: skip
            outcome.found.append(best)
    except _Abort as abort:
        raise abort.error from None
    finally:
        show.close()
    outcome.examples = verdicts.runs
    outcome.found.sort(key=lambda f: (SEVERITY_ORDER[SEVERITY[f.check]], roster_size(f.roster)))
    return outcome


def _shrink_check(
    check: str,
    first: Found,
    verdicts: Verdicts,
    budget: int,
    outcome: SearchResult,
    show: SearchProgress,
    seeded: Callable[[Callable[..., None]], Callable[[], None]],
    steer: Callable[[tuple[Roster, Campaign]], None],
) -> Found:
    """Hypothesis' shrinker on the examples failing `check`, then the roster-aware pass."""
    best = first
    steps = 0
    spent = 0  # adapter runs Hypothesis' shrinker has spent on this check
    hypothesis_budget = budget - budget // ROSTER_PASS_SHARE
    fails = failure_type(check)
    show.shrinking(check, budget)

    def shrink_example(
        pair: tuple[Roster, Campaign], relation: str | None, relation_seed: int
    ) -> None:
        nonlocal best, steps
        steer(pair)
        if verdicts.runs - started >= allowed:
            raise _Enough
        found = verdicts(pair, relation, relation_seed)
        if found is None or check not in found.checks:
            return
        candidate = as_check(found, check)
        if _drawn_size(candidate) < _drawn_size(best):
            best, steps = candidate, steps + 1
            show.shrunk(check, steps, spent + verdicts.runs - started)
        raise fails(candidate)

    # Hypothesis stops shrinking after five minutes of one run (a clock we cannot turn off),
    # so its share of the budget is spent in runs of SHRINK_CHUNK new adapter runs each: every
    # run replays the last one's path from the cache of verdicts, at no adapter cost, and
    # goes on from where it stopped, well within those minutes even for a slow pipeline.
    while spent < hypothesis_budget:
        started, allowed = verdicts.runs, min(SHRINK_CHUNK, hypothesis_budget - spent)

        def shrink_run(  # a new function per run: Hypothesis decorates a function once
            pair: tuple[Roster, Campaign], relation: str | None, relation_seed: int
        ) -> None:
            shrink_example(pair, relation, relation_seed)

        try:
            _run_quietly(seeded(shrink_run), catch=fails)
            stopped = False
        except _Enough:
            stopped = True
        spent += verdicts.runs - started
        if not stopped:
            break

    def still_fails(pair: tuple[Roster, Campaign]) -> Found | None:
        found = verdicts(pair, best.relation, best.relation_seed)
        return as_check(found, check) if found is not None and check in found.checks else None

    before = verdicts.runs
    best, roster_steps = shrink_roster(best, still_fails, budget_left=lambda: budget - spent
                                       - (verdicts.runs - before))  # fmt: skip
    steps += roster_steps
    outcome.shrink_runs[check] = spent + verdicts.runs - before
    outcome.shrink_steps[check] = steps
    show.shrunk(check, steps, outcome.shrink_runs[check])
    return best


def _drawn_size(found: Found) -> tuple[int, int, int]:
    return roster_size(found.drawn[0] if found.drawn is not None else found.roster)


def _run_quietly(test: Callable[[], None], catch: type[BaseException] | None = None) -> None:
    """Run a Hypothesis test; a `catch` failure (the shrunk example, already kept) ends it."""
    try:
        with seed_only():
            test()
    except Failure as failure:
        if catch is None or not isinstance(failure, catch):
            raise
