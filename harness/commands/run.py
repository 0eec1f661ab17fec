"""`mailharness run`: push one roster through one adapter and judge it."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from harness.commands.options import (
    DEFAULT_GRACE,
    EXIT_PASS,
    EXIT_VIOLATIONS,
    RosterChoice,
    Verbs,
    add_roster_options,
    add_sink_options,
    load_or_generate,
    positive_int,
)
from harness.errors import CampaignError, HarnessError, UsageError


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("run", help="push one roster through one adapter and judge it")
    parser.add_argument("--adapter", required=True, help="reference, mutant:NAME, cmd:COMMAND, ...")
    add_roster_options(parser)
    parser.add_argument(
        "--campaign", default=None, help="a campaign kind or a campaign .json file (vaccine)"
    )
    parser.add_argument(
        "--examples",
        type=positive_int,
        help="search N rosters drawn by Hypothesis and shrink what fails (--seed: the search's)",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports/run"))
    add_sink_options(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    from harness.report.terminal import summary_lines

    if args.examples is not None:
        from harness.commands.examples import execute_examples

        if args.roster is not None or args.campaign is not None:
            raise UsageError("--examples draws the rosters and campaigns: drop --roster/--campaign")
        return execute_examples(args)
    choice = load_or_generate(args)
    kind = args.campaign or "vaccine"
    report = run_and_report(args, choice, args.adapter, kind, args.report_dir)
    for line in summary_lines(report):
        print(line)
    print(f"report: {args.report_dir / 'report.json'}")
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_VIOLATIONS


def reproduce_command(spec: str, choice: RosterChoice, campaign: str) -> str:
    return shlex.join(
        ["mailharness", "run", "--adapter", spec, *choice.options, "--campaign", campaign]
    )


def run_and_report(
    args: argparse.Namespace, choice: RosterChoice, spec: str, kind: str, report_dir: Path
) -> dict[str, Any]:
    """One run in a fresh sink; report.json written (also when the run failed to look)."""
    from harness.adapters.command import CommandError
    from harness.adapters.registry import resolve
    from harness.report.json_report import SCHEMA, build_report, write_report
    from harness.roster.campaign_io import resolve_campaign
    from harness.runner import run_once
    from harness.sink.server import CaptureSink

    campaign = resolve_campaign(choice.roster, kind)
    if not campaign.selected:
        raise CampaignError(
            f"campaign {campaign.id} selects no student of roster {choice.label} "
            f"({len(choice.roster.students)} students): nothing to judge"
        )
    adapter = resolve(spec, timeout=args.timeout)
    run_info = {
        "adapter": spec,
        "roster": choice.label,
        "campaign": campaign.id,
        "reproduce": reproduce_command(spec, choice, kind),
    }
    try:
        with CaptureSink(args.host, args.port) as sink:
            grace = args.grace if args.grace is not None else DEFAULT_GRACE
            result = run_once(choice.roster, campaign, adapter, sink, grace=grace)
    except HarnessError as exc:
        failed: dict[str, Any] = {"verdict": "error", "error": str(exc), "run": run_info}
        if isinstance(exc, CommandError):
            failed["adapter"] = {
                "spec": spec,
                "exit_code": exc.outcome.exit_code,
                "stdout": exc.outcome.stdout,
                "stderr": exc.outcome.stderr,
            }
        write_report({"schema": SCHEMA, **failed}, report_dir)
        raise
    report = build_report(result, run=run_info)
    write_report(report, report_dir)
    return report
