"""`mailharness check`: judge a capture store offline, with the oracle and report of `run`."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from harness.commands.options import (
    EXIT_PASS,
    EXIT_VIOLATIONS,
    RosterChoice,
    Verbs,
    add_real_address_option,
    add_roster_options,
    campaign_to_test,
    load_or_generate,
)
from harness.errors import HarnessError


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
    if args.roster is None and args.seed is None:
        raise HarnessError("check: give the roster the mail was sent for: --roster FILE or --seed")
    return check_store(
        args.store,
        load_or_generate(args),
        args.campaign,
        args.report_dir,
        allow_real_addresses=args.allow_real_addresses,
    )


def check_store(
    store_path: Path,
    choice: RosterChoice,
    campaign_arg: str,
    report_dir: Path,
    *,
    allow_real_addresses: bool = False,
) -> int:
    """Judge the mail in `store_path`, sent for `choice`'s roster and `campaign_arg` (a kind or
    a campaign file); write the reports into `report_dir`, print the summary; the exit code."""
    from harness.adapters.base import AdapterOutcome
    from harness.oracle.plan import Plan
    from harness.oracle.tokens import TokenIndex
    from harness.report.json_report import build_report
    from harness.report.render import report_pointer, write_reports
    from harness.report.terminal import summary_lines
    from harness.roster.reserved import require_reserved
    from harness.runner import judge_run
    from harness.sink.capture import ListSource
    from harness.sink.store import CaptureStore

    if not allow_real_addresses:
        require_reserved(choice.roster)
    campaign = campaign_to_test(choice, campaign_arg)
    with CaptureStore(store_path, create=False) as store:
        source = store.reader() or ListSource(list(store.iter_messages()))  # or ":memory:"
        result = judge_run(
            Plan(choice.roster, campaign),
            TokenIndex.build(choice.roster),
            source,
            count=store.count(),
            refusals=store.refusals(),
            outcome=AdapterOutcome(spec=f"store:{store_path}"),
            connections=store.sessions(),
        )
    words = ["mailharness", "check", "--store", str(store_path), *choice.options]
    run_info = {
        "adapter": f"store:{store_path}",
        "roster": choice.label,
        "campaign": campaign.id,
        "reproduce": shlex.join([*words, "--campaign", campaign_arg]),
    }
    report = build_report(result, run=run_info)
    write_reports(report, report_dir)
    for line in summary_lines(report):
        print(line)
    print(report_pointer(report_dir))
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_VIOLATIONS
