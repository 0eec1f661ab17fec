"""`mailharness check`: judge a capture store offline, with the oracle and report of `run`."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from harness.commands.options import (
    EXIT_PASS,
    EXIT_VIOLATIONS,
    Verbs,
    add_real_address_option,
    add_roster_options,
    load_or_generate,
)
from harness.errors import CampaignError, HarnessError


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("check", help="judge the mail in a capture store, offline")
    parser.add_argument("--store", type=Path, required=True, help="a store written by sink/run")
    add_roster_options(parser, seed_required=True)
    parser.add_argument(
        "--campaign", default="vaccine", help="a campaign kind or a campaign .json file"
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports/check"))
    add_real_address_option(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    from harness.adapters.base import AdapterOutcome
    from harness.oracle.parallel import judge_messages
    from harness.oracle.plan import Plan
    from harness.oracle.tokens import TokenIndex
    from harness.report.json_report import build_report, write_report
    from harness.report.render import render_all
    from harness.report.terminal import summary_lines
    from harness.roster.campaign_io import resolve_campaign
    from harness.roster.reserved import require_reserved
    from harness.runner import RunResult, judge_capture
    from harness.sink.capture import ListSource
    from harness.sink.store import CaptureStore

    if args.roster is None and args.seed is None:
        raise HarnessError("check: give the roster the mail was sent for: --roster FILE or --seed")
    choice = load_or_generate(args)
    if not args.allow_real_addresses:
        require_reserved(choice.roster)
    campaign = resolve_campaign(choice.roster, args.campaign)
    nothing = Plan(choice.roster, campaign).nothing_to_test()
    if nothing:
        raise CampaignError(f"nothing to test in roster {choice.label}: {nothing}")
    with CaptureStore(args.store, create=False) as store:
        plan = Plan(choice.roster, campaign)
        source = store.reader() or ListSource(list(store.iter_messages()))  # or ":memory:"
        judge = judge_messages(plan, TokenIndex.build(choice.roster), source, count=store.count())
        refusals = store.refusals()
        violations = judge_capture(judge, (), refusals)
        sessions = store.sessions()
    result = RunResult(
        plan=plan,
        outcome=AdapterOutcome(spec=f"store:{args.store}"),
        violations=violations,
        messages=judge.messages,
        copies=judge.copies,
        recipients=len(judge.recipients),
        connections=sessions,
        refusals=len(refusals),
        headers=judge.headers,
    )
    words = ["mailharness", "check", "--store", str(args.store), *choice.options]
    run_info = {
        "adapter": f"store:{args.store}",
        "roster": choice.label,
        "campaign": campaign.id,
        "reproduce": shlex.join([*words, "--campaign", args.campaign]),
    }
    report = build_report(result, run=run_info)
    write_report(report, args.report_dir)
    render_all(report, args.report_dir)
    for line in summary_lines(report):
        print(line)
    print(f"report: {args.report_dir / 'report.html'} (and report.json, junit.xml, summary.md)")
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_VIOLATIONS
