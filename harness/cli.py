"""The mailharness command."""

from __future__ import annotations

import argparse
import os
import random
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

EXIT_PASS, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """argparse itself answers a usage error with one line and exit code 2."""
    parser = argparse.ArgumentParser(prog="mailharness", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    run = verbs.add_parser("run", help="push one roster through one adapter and judge it")
    run.add_argument("--adapter", required=True, help="reference, mutant:NAME, cmd:COMMAND, ...")
    _add_roster_options(run)
    run.add_argument(
        "--campaign", default="vaccine", help="a campaign kind or a campaign .json file"
    )
    run.add_argument("--report-dir", type=Path, default=Path("reports/run"))
    _add_sink_options(run)

    demo = verbs.add_parser(
        "demo", help="the reference sender beside the two seed incidents (Cedar Park, LAUSD)"
    )
    _add_roster_options(demo, default_seed=1)
    demo.add_argument("--report-dir", type=Path, default=Path("reports/demo"))
    _add_sink_options(demo)

    roster = verbs.add_parser("roster", help="generate rosters")
    roster_verbs = roster.add_subparsers(dest="roster_verb", required=True)
    generate = roster_verbs.add_parser("generate", help="write a synthetic roster")
    generate.add_argument("--students", type=_positive_int, default=300)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--out", type=Path, required=True)
    return parser


def _add_roster_options(parser: argparse.ArgumentParser, default_seed: int | None = None) -> None:
    parser.add_argument("--students", type=_positive_int, default=300)
    parser.add_argument(
        "--seed", type=int, default=default_seed, help="roster seed (default: a random one)"
    )
    parser.add_argument("--roster", type=Path, help="a roster file instead of a generated one")


def _add_sink_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="sink address (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="sink port (default: any free one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="adapter timeout, seconds")
    parser.add_argument(
        "--grace", type=float, default=0.2, help="idle seconds after the last session closes"
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.verb == "run":
            return _run(args)
        if args.verb == "demo":
            return _demo(args)
        return _roster(args)
    except HarnessError as exc:
        print(f"mailharness: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mailharness: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader of our output went away (`| head`): the report is written; stay quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


def _load_or_generate(args: argparse.Namespace) -> tuple[Any, str, list[str]]:
    """The roster, a label for it, and the options that reproduce it."""
    from harness.roster.generate import generate_roster
    from harness.roster.io import load_roster

    if args.roster is not None:
        return load_roster(args.roster), str(args.roster), ["--roster", str(args.roster)]
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    label = f"{args.students} students, seed {seed}"
    return (
        generate_roster(args.students, seed),
        label,
        ["--students", str(args.students), "--seed", str(seed)],
    )


def _run(args: argparse.Namespace) -> int:
    from harness.report.terminal import summary_lines

    roster, label, roster_options = _load_or_generate(args)
    reproduce = shlex.join(
        [
            "mailharness",
            "run",
            "--adapter",
            args.adapter,
            *roster_options,
            "--campaign",
            args.campaign,
        ]
    )
    report = _run_one(args, roster, label, args.adapter, args.campaign, args.report_dir, reproduce)
    for line in summary_lines(report):
        print(line)
    print(f"report: {args.report_dir / 'report.json'}")
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_VIOLATIONS


def _run_one(
    args: argparse.Namespace,
    roster: Any,
    label: str,
    spec: str,
    kind: str,
    report_dir: Path,
    reproduce: str,
) -> dict[str, Any]:
    from harness.adapters.registry import resolve
    from harness.report.json_report import build_report, write_report
    from harness.roster.campaign_io import resolve_campaign
    from harness.runner import run_once
    from harness.sink.server import CaptureSink

    campaign = resolve_campaign(roster, kind)
    adapter = resolve(spec, timeout=args.timeout)
    run_info = {"adapter": spec, "roster": label, "campaign": campaign.id, "reproduce": reproduce}
    try:
        with CaptureSink(args.host, args.port) as sink:
            result = run_once(roster, campaign, adapter, sink, grace=args.grace)
    except HarnessError as exc:
        write_report(
            {
                "schema": "mailharness.report/1",
                "verdict": "error",
                "error": str(exc),
                "run": run_info,
            },
            report_dir,
        )
        raise
    report = build_report(result, run=run_info)
    write_report(report, report_dir)
    return report


DEMO_RUNS = (
    ("reference", "the correct sender", None),
    ("mutant:to-all", "Cedar Park: every guardian in To", "exposed-recipients"),
    ("mutant:join-shift", "LAUSD: notices joined to the wrong families", "foreign-student-data"),
)


def _demo(args: argparse.Namespace) -> int:
    roster, label, roster_options = _load_or_generate(args)
    print(f"roster: {label}")
    ok = True
    for spec, what, expected in DEMO_RUNS:
        report_dir = args.report_dir / spec.replace(":", "-")
        reproduce = shlex.join(["mailharness", "run", "--adapter", spec, *roster_options])
        report = _run_one(args, roster, label, spec, "vaccine", report_dir, reproduce)
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
        print(f"{'':<20} report: {report_dir / 'report.json'}")
    return EXIT_PASS if ok else EXIT_VIOLATIONS


def _roster(args: argparse.Namespace) -> int:
    from harness.roster.generate import generate_roster
    from harness.roster.io import save_roster

    roster = generate_roster(args.students, args.seed)
    save_roster(roster, args.out)
    print(
        f"wrote {args.out}: {len(roster.students)} students, {len(roster.contacts)} contacts, "
        f"{len(roster.links)} links"
    )
    return EXIT_PASS
