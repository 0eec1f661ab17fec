"""`mailharness acceptance`: a district's acceptance suite (init, roster, sink, check)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.options import EXIT_ERROR, EXIT_PASS, Verbs, positive_int


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("acceptance", help="a district's acceptance suite for a vendor")
    steps = parser.add_subparsers(dest="acceptance_step", required=True)

    init = steps.add_parser("init", help="write a ready suite into DIR")
    init.add_argument("dir", type=Path)
    init.add_argument("--vendor", default="Our notification vendor")
    init.add_argument("--students", type=positive_int, default=300)
    init.add_argument("--seed", type=int, default=1)
    init.add_argument("--port", type=int, default=2525)
    init.set_defaults(execute=execute_init)

    roster = steps.add_parser("roster", help="write the OneRoster bundle and campaign files")
    roster.add_argument("dir", type=Path)
    roster.set_defaults(execute=execute_roster)

    sink = steps.add_parser("sink", help="record one campaign's mail until Ctrl-C")
    sink.add_argument("dir", type=Path)
    sink.add_argument("--campaign", required=True)
    sink.add_argument(
        "--port", type=int, help="override the SMTP port of mailharness.toml (not the [api] ones)"
    )
    sink.add_argument(
        "--append", action="store_true", help="add to this campaign's capture (default: start anew)"
    )
    sink.add_argument(
        "--allow-remote", action="store_true", help="let the sink listen on a non-loopback host"
    )
    sink.set_defaults(execute=execute_sink)

    check = steps.add_parser("check", help="judge what was recorded; write the reports")
    check.add_argument("dir", type=Path)
    check.add_argument("--campaign", help="one campaign (default: every recorded one)")
    check.set_defaults(execute=execute_check)


def execute_init(args: argparse.Namespace) -> int:
    from harness.acceptance import write_suite

    write_suite(args.dir, vendor=args.vendor, students=args.students, seed=args.seed,
                port=args.port)  # fmt: skip
    print(f"wrote an acceptance suite in {args.dir}: read {args.dir / 'README.md'}")
    return EXIT_PASS


def execute_roster(args: argparse.Namespace) -> int:
    from harness.acceptance import load_suite, write_campaign_files
    from harness.commands.roster import write_roster
    from harness.roster.oneroster import read_bundle

    suite = load_suite(args.dir)
    write_roster(suite.students, suite.seed, suite.roster_format, suite.bundle)
    for path in write_campaign_files(suite, read_bundle(suite.bundle)):
        print(f"wrote {path}")
    return EXIT_PASS


def execute_sink(args: argparse.Namespace) -> int:
    from harness.acceptance import load_suite, start_recording
    from harness.commands.options import ProtocolOptions
    from harness.commands.sink import record

    suite = load_suite(args.dir)
    store = start_recording(suite, args.campaign, append=args.append)
    protocol = ProtocolOptions(tls=suite.tls, auth=suite.auth or None)
    return record(
        suite.host,
        args.port or suite.port,
        store,
        protocol=protocol,
        allow_remote=args.allow_remote,
        api_ports=suite.api_ports,
    )


def execute_check(args: argparse.Namespace) -> int:
    from harness.acceptance import load_suite, recorded_campaigns, require_recorded
    from harness.commands.check import check_store
    from harness.commands.options import print_error, roster_file
    from harness.errors import HarnessError

    suite = load_suite(args.dir)
    recorded, missing = recorded_campaigns(suite, args.campaign)
    worst = EXIT_PASS
    for kind in recorded:
        # One campaign that cannot be judged (say, a damaged store) is reported on its own
        # line; the others are still judged, and the exit code says the worst.
        try:
            code = check_store(
                suite.store(kind),
                roster_file(suite.bundle),
                str(suite.campaign_file(kind)),
                suite.report_dir(kind),
            )
        except HarnessError as exc:
            print_error(exc)
            code = EXIT_ERROR
        worst = max(worst, code)
    require_recorded(suite, missing)
    return worst
