"""`mailharness demo`: the reference sender beside the two seed incidents."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.options import (
    EXIT_PASS,
    EXIT_VIOLATIONS,
    Verbs,
    add_real_address_option,
    add_roster_options,
    add_sink_options,
    load_or_generate,
)
from harness.commands.run import run_and_report

# (adapter, what it is, the check that must catch it; None: must pass)
DEMO_RUNS = (
    ("reference", "the correct sender", None),
    ("mutant:to-all", "Cedar Park: every guardian in To", "exposed-recipients"),
    ("mutant:join-shift", "LAUSD: notices joined to the wrong families", "foreign-student-data"),
)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "demo", help="the reference sender beside the two seed incidents (Cedar Park, LAUSD)"
    )
    add_roster_options(parser, default_seed=1)
    parser.add_argument("--report-dir", type=Path, default=Path("reports/demo"))
    add_sink_options(parser)
    add_real_address_option(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    choice = load_or_generate(args)
    print(f"roster: {choice.label}")
    ok = True
    for spec, what, expected in DEMO_RUNS:
        report_dir = args.report_dir / spec.replace(":", "-")
        report = run_and_report(args, choice, spec, "vaccine", report_dir)
        by_check = report["summary"]["violations_by_check"]
        found = ", ".join(f"{check} {n}" for check, n in by_check.items() if n) or "none"
        if expected is None:
            good = report["verdict"] == "pass"
            outcome = "PASS" if good else "UNEXPECTED VIOLATIONS"
        else:
            good = by_check[expected] > 0
            outcome = "CAUGHT" if good else "MISSED"
        ok = ok and good
        print(f"{spec:<20} {what:<46} {outcome:<8} violations: {found}")
        print(f"{'':<20} report: {report_dir / 'report.html'}")
    return EXIT_PASS if ok else EXIT_VIOLATIONS
