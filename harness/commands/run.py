"""`mailharness run`: push one roster through one adapter and judge it."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

from harness.commands.options import (
    DEFAULT_GRACE,
    EXIT_PASS,
    EXIT_VIOLATIONS,
    RosterChoice,
    Verbs,
    add_protocol_options,
    add_real_address_option,
    add_roster_options,
    add_sink_options,
    campaign_to_test,
    load_or_generate,
    positive_int,
)
from harness.errors import HarnessError, UsageError
from harness.progress import Progress
from harness.sink.protocol import SinkProtocol


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
    parser.add_argument(
        "--stateful",
        type=positive_int,
        metavar="N",
        help="run N sequences of campaigns while the roster changes (one adapter each) and "
        "shrink what fails (--seed: the search's)",
    )
    parser.add_argument(
        "--shrink-budget",
        type=int,
        default=None,
        metavar="RUNS",
        help="adapter runs each failure's shrinking may spend (--examples: 600 per check; "
        "--stateful: 300 campaigns)",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports/run"))
    parser.add_argument(
        "--quiet", action="store_true", help="no progress display (it shows only on a terminal)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print report.json to stdout, not the summary"
    )
    add_sink_options(parser, examples=True)
    add_protocol_options(parser)
    parser.add_argument(
        "--store", type=Path, help="record into this new capture store (judge it again: check)"
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=10.0,
        help="--adapter external: judge after the sink was idle this many seconds",
    )
    parser.add_argument(
        "--first-timeout",
        type=float,
        default=600.0,
        help="--adapter external: give up (exit 2) if no message came within this many seconds",
    )
    add_real_address_option(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    import time

    from harness.measure import PeakMemory
    from harness.progress import progress_display
    from harness.report.render import report_pointer
    from harness.report.terminal import summary_lines
    from harness.roster.reserved import require_reserved

    if args.examples is not None or args.stateful is not None:
        search = "--examples" if args.examples is not None else "--stateful"
        if args.examples is not None and args.stateful is not None:
            raise UsageError("--examples and --stateful are two searches: choose one")
        if args.roster is not None or args.campaign is not None:
            raise UsageError(f"{search} draws the rosters and campaigns: drop --roster/--campaign")
        if args.stateful is not None:
            from harness.commands.stateful_run import execute_stateful

            return execute_stateful(args)
        from harness.commands.examples import execute_examples

        return execute_examples(args)
    progress = progress_display(quiet=args.quiet or args.json)
    with PeakMemory() as memory:
        try:
            started = time.perf_counter()
            progress.start("generation")
            choice = load_or_generate(args)
            progress.finish("generation")
            generated = time.perf_counter() - started
            if not args.allow_real_addresses:
                require_reserved(choice.roster)
            report = run_and_report(
                args,
                choice,
                args.adapter,
                args.campaign or "vaccine",
                args.report_dir,
                progress=progress,
            )
        finally:
            progress.close()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return EXIT_PASS if report["verdict"] == "pass" else EXIT_VIOLATIONS
    for line in summary_lines(report):
        print(line)
    stages = {"generation": generated, **report.get("timings", {})}
    print(
        "stages: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items())
        + f"; peak memory {memory.peak_mib:,.0f} MiB (PSS of the process tree)"
    )
    print(report_pointer(args.report_dir))
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_VIOLATIONS


def reproduce_command(
    spec: str, choice: RosterChoice, campaign: str, faults: tuple[str, ...] = (), seed: int = 0
) -> str:
    words = ["mailharness", "run", "--adapter", spec, *choice.options, "--campaign", campaign]
    for fault in faults:
        words += ["--fault", fault]
    if faults:
        words += ["--fault-seed", str(seed)]
    return shlex.join(words)


def run_and_report(
    args: argparse.Namespace,
    choice: RosterChoice,
    spec: str,
    kind: str,
    report_dir: Path,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """One run in a fresh sink; report.json written (also when the run failed to look)."""
    from harness.adapters.command import CommandError
    from harness.adapters.external import ExternalAdapter
    from harness.adapters.registry import resolve
    from harness.commands.serving import serving
    from harness.report.json_report import build_report, error_report
    from harness.report.render import write_reports
    from harness.runner import run_once
    from harness.sink.faults import FaultPlan

    campaign = campaign_to_test(choice, kind)
    adapter = resolve(spec, timeout=args.timeout)
    faults = FaultPlan.parse(args.fault, args.fault_seed)
    run_info = {
        "adapter": spec,
        "roster": choice.label,
        "campaign": campaign.id,
        "reproduce": reproduce_command(spec, choice, kind, tuple(args.fault), args.fault_seed),
    }
    if faults:
        run_info["faults"] = faults.describe()
    external = spec == "external"
    if isinstance(adapter, ExternalAdapter):
        adapter.input_dir = report_dir / "input"
    try:
        with serving(args, faults, getattr(args, "store", None)) as sink:
            if external:
                announce_external(sink.host, sink.port, args, report_dir / "input", sink.protocol)
            result = run_once(
                choice.roster,
                campaign,
                adapter,
                sink,
                grace=args.idle
                if external
                else (args.grace if args.grace is not None else DEFAULT_GRACE),
                idle_timeout=args.timeout if external else 60.0,
                first_message_timeout=args.first_timeout if external else None,
                progress=progress,
            )
    except HarnessError as exc:
        failed = error_report(exc, run_info)
        if isinstance(exc, CommandError):
            failed["adapter"] = {
                "spec": spec,
                "exit_code": exc.outcome.exit_code,
                "stdout": exc.outcome.stdout,
                "stderr": exc.outcome.stderr,
            }
        write_reports(failed, report_dir)
        raise
    report = build_report(result, run=run_info)
    write_reports(report, report_dir)
    return report


def announce_external(
    host: str,
    port: int,
    args: argparse.Namespace,
    input_dir: Path,
    protocol: SinkProtocol | None = None,
) -> None:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    print(f"sink listening on {where} ({(protocol or SinkProtocol()).describe()})", flush=True)
    print(f"point the pipeline's outgoing SMTP relay at {where} and send the campaign", flush=True)
    print(f"its input (roster, contacts, notices): {input_dir}", flush=True)
    print(
        f"waiting up to {args.first_timeout:g} s for the first message; judging once the sink "
        f"has been idle {args.idle:g} s",
        flush=True,
    )
