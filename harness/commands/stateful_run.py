"""`mailharness run --stateful N`: the campaign machine against any adapter, from the command
line. N sequences of campaigns and roster changes (`harness.stateful.CampaignMachine`), one
fresh adapter per sequence, seeded by `--seed` like `--examples`; a failure is shrunk by
Hypothesis to the fewest steps within a budget of campaigns sent, and written as `run` writes
its reports (report.json, report.html, junit.xml, summary.md) plus the shrunk steps and the
roster as it was at the failing campaign (counterexample.json).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.commands.options import EXIT_PASS, EXIT_VIOLATIONS
from harness.errors import HarnessError
from harness.pipeline_check import PipelineFailure
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.runner import RunResult
from harness.seed_only import seed_only
from harness.stateful import CampaignMachine

# Campaigns the shrinking may send after the first failure (a count, never seconds).
STATEFUL_SHRINK_BUDGET = 300
STEPS = 10  # rule calls per sequence at most


class _Enough(BaseException):
    """Ends the run once the shrink budget is spent (Hypothesis does not catch it)."""


@dataclass
class Failing:
    result: RunResult
    roster: Roster
    campaign: Campaign
    steps: list[str]


@dataclass
class StatefulOutcome:
    seed: int
    campaigns: int = 0  # campaigns sent, shrinking included
    best: Failing | None = None
    shrink_campaigns: int = 0
    failing_since: int | None = field(default=None, repr=False)


def explore_stateful(
    spec: str,
    sequences: int,
    *,
    search_seed: int,
    sink: Any,
    shrink_budget: int = STATEFUL_SHRINK_BUDGET,
) -> StatefulOutcome:
    """Run `sequences` campaign sequences through `spec`; keep the smallest failure."""
    outcome = StatefulOutcome(seed=search_seed)

    class Machine(CampaignMachine):
        def before_campaign(self) -> None:
            spent = outcome.campaigns - (outcome.failing_since or 0)
            if outcome.failing_since is not None and spent >= shrink_budget:
                raise _Enough
            outcome.campaigns += 1

        def failed(self, failure: PipelineFailure, campaign: Campaign) -> None:
            if outcome.failing_since is None:
                outcome.failing_since = outcome.campaigns
            candidate = Failing(failure.result, self.roster, campaign, list(self.steps))
            if outcome.best is None or _size(candidate) < _size(outcome.best):
                outcome.best = candidate

    Machine.adapter = spec
    Machine.grace = 0.0  # the adapter has returned: every session it opened has been seen
    Machine.sink = sink
    rules = settings(
        max_examples=sequences,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    with contextlib.suppress(_Enough, PipelineFailure), seed_only():
        run_state_machine_as_test(seed(search_seed)(Machine), settings=rules)
    if outcome.failing_since is not None:
        outcome.shrink_campaigns = outcome.campaigns - outcome.failing_since
    return outcome


def _size(failing: Failing) -> tuple[int, int]:
    return len(failing.steps), len(failing.roster.students)


def execute_stateful(args: argparse.Namespace) -> int:
    from harness.commands.serving import serving
    from harness.report.json_report import build_report, error_report, passing_report
    from harness.report.render import report_pointer, write_reports
    from harness.roster.io import save_roster
    from harness.sink.faults import FaultPlan

    report_dir: Path = args.report_dir
    search_seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"search seed: {search_seed} (replay the search with --seed {search_seed})")
    run_info: dict[str, Any] = {
        "adapter": args.adapter,
        "stateful": args.stateful,
        "seed": search_seed,
        "reproduce_search": shlex.join(
            [
                "mailharness",
                "run",
                "--adapter",
                args.adapter,
                "--stateful",
                str(args.stateful),
                "--seed",
                str(search_seed),
            ]
        ),
    }
    faults = FaultPlan.parse(args.fault, args.fault_seed)
    try:
        with serving(args, faults, None) as sink:
            budget = args.shrink_budget
            outcome = explore_stateful(
                args.adapter,
                args.stateful,
                search_seed=search_seed,
                sink=sink,
                shrink_budget=STATEFUL_SHRINK_BUDGET if budget is None else budget,
            )
    except HarnessError as exc:
        write_reports(error_report(exc, run_info), report_dir)
        raise
    run_info["campaigns_sent"] = outcome.campaigns
    run_info["shrink_campaigns"] = outcome.shrink_campaigns
    best = outcome.best
    if best is None:
        write_reports(passing_report(run_info), report_dir)
        print(f"{args.stateful} campaign sequences through {args.adapter}: no violation")
        print(report_pointer(report_dir))
        return EXIT_PASS
    report_dir.mkdir(parents=True, exist_ok=True)
    roster_path = report_dir / "counterexample.json"
    save_roster(best.roster, roster_path)
    steps_path = report_dir / "counterexample-steps.txt"
    steps_path.write_text("\n".join(best.steps) + "\n", encoding="utf-8")
    check = best.result.violations[0].check
    entry = {"check": check, "roster": str(roster_path), "students": len(best.roster.students),
             "steps": best.steps, "reproduce": run_info["reproduce_search"]}  # fmt: skip
    report = build_report(best.result, run={**run_info, "roster": str(roster_path)})
    report["counterexample"] = entry
    report["counterexamples"] = [entry]
    write_reports(report, report_dir)
    print(f"{outcome.campaigns} campaigns through {args.adapter}: {check} after "
          f"{len(best.steps)} steps on a roster of {entry['students']} student(s):")  # fmt: skip
    for step in best.steps:
        print(f"  {step}")
    print(json.dumps({"steps": str(steps_path), "roster": str(roster_path)}))
    print(report_pointer(report_dir))
    return EXIT_VIOLATIONS
