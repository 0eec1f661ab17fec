"""`mailharness run --examples N`: the search, its report and its counterexample files."""

from __future__ import annotations

import argparse
import json
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.commands.options import EXIT_PASS, EXIT_VIOLATIONS
from harness.errors import HarnessError

# Examples are many: wait less after each one than a single run does (see --grace).
EXAMPLE_GRACE = 0.02


def execute_examples(args: argparse.Namespace) -> int:
    from harness.adapters.registry import resolve
    from harness.report.json_report import SCHEMA, write_report
    from harness.search import explore
    from harness.sink.server import CaptureSink

    report_dir: Path = args.report_dir
    adapter = resolve(args.adapter, timeout=args.timeout)
    grace = args.grace if args.grace is not None else EXAMPLE_GRACE
    run_info: dict[str, Any] = {"adapter": args.adapter, "examples": args.examples}

    def announce(search_seed: int) -> None:
        run_info["seed"] = search_seed
        run_info["reproduce_search"] = shlex.join(
            ["mailharness", "run", "--adapter", args.adapter, "--examples", str(args.examples),
             "--seed", str(search_seed)]
        )  # fmt: skip
        print(f"search seed: {search_seed} (replay the search with --seed {search_seed})")

    try:
        replay = _last_counterexample(report_dir)
        with CaptureSink(args.host, args.port) as sink:
            result = explore(
                adapter,
                sink,
                examples=args.examples,
                report_dir=report_dir,
                search_seed=args.seed,
                grace=grace,
                on_seed=announce,
                replay=replay,
            )
    except HarnessError as exc:
        write_report({"schema": SCHEMA, "verdict": "error", "error": str(exc), "run": run_info},
                     report_dir)  # fmt: skip
        raise
    run_info["examples_run"] = result.examples
    if result.passed:
        write_report(_passing_report(run_info), report_dir)
        print(f"{result.examples} examples through {args.adapter}: no violation")
        print(f"report: {report_dir / 'report.json'}")
        return EXIT_PASS
    report = _failing_report(result.found, args.adapter, run_info, report_dir)
    write_report(report, report_dir)
    first = report["counterexample"]
    print(f"{result.examples} examples through {args.adapter}: {first['check']} "
          f"on a roster of {first['students']} student(s)")  # fmt: skip
    print(f"counterexample: {first['roster']}")
    print(f"reproduce with: {first['reproduce']}")
    print(f"report: {report_dir / 'report.json'}")
    return EXIT_VIOLATIONS


def _last_counterexample(report_dir: Path) -> tuple[Any, Any] | None:
    """The roster and campaign a previous failing search left in `report_dir`, if any."""
    from harness.roster.campaign_io import load_campaign
    from harness.roster.io import load_roster

    roster_path = report_dir / "counterexample.json"
    campaign_path = report_dir / "counterexample-replay-campaign.json"
    if not (roster_path.is_file() and campaign_path.is_file()):
        return None
    roster = load_roster(roster_path)
    return roster, load_campaign(campaign_path, roster)


def _passing_report(run_info: dict[str, Any]) -> dict[str, Any]:
    from harness.oracle.checks import CHECKS
    from harness.report.json_report import SCHEMA

    return {
        "schema": SCHEMA,
        "verdict": "pass",
        "run": run_info,
        "summary": {"violations": 0, "violations_by_check": {spec.id: 0 for spec in CHECKS}},
        "violations": [],
    }


def _failing_report(
    found: list[Any], spec: str, run_info: dict[str, Any], report_dir: Path
) -> dict[str, Any]:
    from harness.report.json_report import build_report

    entries = [
        _write_counterexample(item, spec, report_dir, "" if i == 0 else f"-{item.check}")
        for i, item in enumerate(found)
    ]
    first = found[0]
    run_info = {**run_info, "roster": entries[0]["roster"], "reproduce": entries[0]["reproduce"]}
    report = build_report(replace(first.result, violations=first.violations), run=run_info)
    report["counterexample"] = entries[0]
    report["counterexamples"] = entries
    return report


def _write_counterexample(found: Any, spec: str, report_dir: Path, suffix: str) -> dict[str, Any]:
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
            ]
        ),
    }
    if found.relation is not None and found.original is not None:
        original_path = report_dir / f"counterexample{suffix}-original.json"
        save_roster(found.original, original_path)
        entry["relation"] = found.relation
        entry["original"] = str(original_path)
    return entry
