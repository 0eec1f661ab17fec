"""`mailharness run --examples N`: the search, its report and its counterexample files."""

from __future__ import annotations

import argparse
import json
import shlex
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.commands.options import EXIT_PASS, EXIT_VIOLATIONS
from harness.errors import HarnessError

# The adapter has returned when the sink is asked to go idle: every session it opened has
# been seen, so the search waits for them to close and not a moment longer (see --grace).
EXAMPLE_GRACE = 0.0


def execute_examples(args: argparse.Namespace) -> int:
    from harness.adapters.registry import resolve
    from harness.commands.serving import serving
    from harness.progress import progress_display
    from harness.report.json_report import error_report, passing_report
    from harness.report.render import report_pointer, write_reports
    from harness.search import explore
    from harness.search_progress import SearchProgress
    from harness.sink.faults import FaultPlan

    report_dir: Path = args.report_dir
    adapter = resolve(args.adapter, timeout=args.timeout)
    grace = args.grace if args.grace is not None else EXAMPLE_GRACE
    run_info: dict[str, Any] = {"adapter": args.adapter, "examples": args.examples}
    faults = FaultPlan.parse(args.fault, args.fault_seed)
    fault_words: list[str] = []
    if faults:
        run_info["faults"] = faults.describe()
        for fault in args.fault:
            fault_words += ["--fault", fault]
        fault_words += ["--fault-seed", str(args.fault_seed)]

    def announce(search_seed: int) -> None:
        run_info["seed"] = search_seed
        run_info["reproduce_search"] = shlex.join(
            ["mailharness", "run", "--adapter", args.adapter, "--examples", str(args.examples),
             "--seed", str(search_seed), *fault_words]
        )  # fmt: skip
        print(f"search seed: {search_seed} (replay the search with --seed {search_seed})")

    display = progress_display(quiet=args.quiet)
    try:
        replay = last_counterexamples(report_dir)
        started = time.perf_counter()
        with serving(args, faults, None) as sink:
            result = explore(
                adapter,
                sink,
                examples=args.examples,
                search_seed=args.seed,
                grace=grace,
                on_seed=announce,
                replay=replay,
                progress=SearchProgress(display),
                **({"shrink_budget": args.shrink_budget} if args.shrink_budget is not None else {}),
            )
        elapsed = time.perf_counter() - started
    except HarnessError as exc:
        write_reports(error_report(exc, run_info), report_dir)
        raise
    run_info["examples_run"] = result.examples
    run_info["shrink_runs"] = result.shrink_runs
    print(f"{result.explored} examples explored, {result.examples} adapter runs in "
          f"{elapsed:.1f} s ({result.examples / max(elapsed, 1e-9):.1f} runs/s); "
          f"shrink steps: {sum(result.shrink_steps.values())}")  # fmt: skip
    _remove_counterexamples(report_dir)
    if result.passed:
        write_reports(passing_report(run_info), report_dir)
        print(f"{result.examples} examples through {args.adapter}: no violation")
        print(report_pointer(report_dir))
        return EXIT_PASS
    report = failing_report(result.found, args.adapter, run_info, report_dir, fault_words)
    write_reports(report, report_dir)
    first = report["counterexample"]
    print(f"{result.examples} examples through {args.adapter}: {first['check']} "
          f"on a roster of {first['students']} student(s)")  # fmt: skip
    print(f"counterexample: {first['roster']}")
    print(f"reproduce with: {first['reproduce']}")
    print(report_pointer(report_dir))
    return EXIT_VIOLATIONS


def last_counterexamples(report_dir: Path) -> list[tuple[Any, Any]]:
    """Every (roster, campaign) a previous failing search left in `report_dir`, in the order
    it reported them: the next search runs them first."""
    from harness.roster.campaign_io import load_campaign
    from harness.roster.io import load_roster

    found = []
    for campaign_path in sorted(report_dir.glob("counterexample*-replay-campaign.json")):
        roster_path = campaign_path.with_name(
            campaign_path.name.replace("-replay-campaign.json", ".json")
        )
        if roster_path.is_file():
            roster = load_roster(roster_path)
            found.append((roster, load_campaign(campaign_path, roster)))
    return found


def _remove_counterexamples(report_dir: Path) -> None:
    """A new search's files replace the last one's (which would otherwise replay forever)."""
    for stale in report_dir.glob("counterexample*.json"):
        stale.unlink()


def failing_report(
    found: list[Any],
    spec: str,
    run_info: dict[str, Any],
    report_dir: Path,
    extra_words: list[str] | None = None,
) -> dict[str, Any]:
    """report.json of a failing search; writes each counterexample's files beside it.
    `extra_words`: options every reproduce command needs (the faults)."""
    from harness.report.json_report import build_report

    entries = [
        _write_counterexample(
            item, spec, report_dir, "" if i == 0 else f"-{item.check}", extra_words or []
        )
        for i, item in enumerate(found)
    ]
    first = found[0]
    run_info = {**run_info, "roster": entries[0]["roster"], "reproduce": entries[0]["reproduce"]}
    report = build_report(replace(first.result, violations=first.violations), run=run_info)
    report["counterexample"] = entries[0]
    report["counterexamples"] = entries
    return report


def _write_counterexample(
    found: Any, spec: str, report_dir: Path, suffix: str, extra_words: list[str]
) -> dict[str, Any]:
    from harness.roster.campaign import CAMPAIGN_KINDS, build_campaign
    from harness.roster.campaign_io import campaign_to_dict
    from harness.roster.io import save_roster

    report_dir.mkdir(parents=True, exist_ok=True)
    roster_path = report_dir / f"counterexample{suffix}.json"
    save_roster(found.roster, roster_path)
    campaign = found.campaign
    (report_dir / f"counterexample{suffix}-replay-campaign.json").write_text(
        json.dumps(campaign_to_dict(campaign), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    campaign_arg = campaign.kind
    if campaign.kind not in CAMPAIGN_KINDS or campaign != build_campaign(
        found.roster.students, campaign.kind, campaign_id=campaign.id, sender=campaign.sender
    ):
        campaign_path = report_dir / f"counterexample{suffix}-campaign.json"
        campaign_path.write_text(
            json.dumps(campaign_to_dict(campaign), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        campaign_arg = str(campaign_path)
    entry: dict[str, Any] = {
        "check": found.check,
        "roster": str(roster_path),
        "students": len(found.roster.students),
        "reproduce": shlex.join(
            [
                "mailharness",
                "run",
                "--adapter",
                spec,
                "--roster",
                str(roster_path),
                "--campaign",
                campaign_arg,
                *extra_words,
            ]
        ),
    }
    if found.relation is not None and found.original is not None:
        original_path = report_dir / f"counterexample{suffix}-original.json"
        save_roster(found.original, original_path)
        entry["relation"] = found.relation
        entry["original"] = str(original_path)
    return entry
