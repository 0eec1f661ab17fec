"""`mailharness diff`: run two adapters on the same rosters and compare what they delivered."""

from __future__ import annotations

import argparse
import json
import shlex
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.oracle.matrix import DeliveryMatrix, Difference
    from harness.roster.model import Roster
    from harness.sink.server import CaptureSink

SCHEMA = "mailharness.diff/1"
SHOWN = 12  # differences printed per roster; diff.json has them all


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "diff",
        help="run two adapters on the same rosters and compare their deliveries",
        description="Exit 0 when both deliver the same students to the same recipients with "
        "the same address headers, 1 listing the differences, 2 on an error.",
    )
    parser.add_argument("--baseline", default="reference", help="adapter spec (default reference)")
    parser.add_argument("--candidate", required=True, help="adapter spec to compare")
    add_roster_options(parser)
    parser.add_argument(
        "--campaign", default="vaccine", help="a campaign kind or a campaign .json file"
    )
    parser.add_argument(
        "--examples",
        type=positive_int,
        default=1,
        help="rosters to compare (seeds S, S+1, ...; stops at the first that differs)",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports/diff"))
    add_sink_options(parser)
    parser.set_defaults(execute=execute)


class DiffUsageError(HarnessError):
    """Options that cannot go together."""


@dataclass(frozen=True)
class Side:
    spec: str
    matrix: DeliveryMatrix
    messages: int
    violations: dict[str, int]


def execute(args: argparse.Namespace) -> int:
    from harness.sink.server import CaptureSink

    if args.roster is not None and args.examples > 1:
        raise DiffUsageError("--examples N needs generated rosters; it cannot go with --roster")
    examples: list[dict[str, Any]] = []
    report = {
        "schema": SCHEMA,
        "baseline": args.baseline,
        "candidate": args.candidate,
        "campaign": args.campaign,
        "examples": examples,
    }
    first = load_or_generate(args)
    try:
        with CaptureSink(args.host, args.port) as sink:
            for number in range(args.examples):
                choice = _next_roster(args, first, number) if number else first
                example = compare_on(args, choice, sink)
                examples.append(example)
                _print_example(example)
                if example["differences"]:
                    break
    except HarnessError as exc:
        # Never a verdict from a run that could not look: the error is the report.
        _write({**report, "verdict": "error", "error": str(exc)}, args.report_dir)
        raise
    differs = any(e["differences"] for e in examples)
    report["verdict"] = "different" if differs else "equivalent"
    path = _write(report, args.report_dir)
    what = "DIFFERENT" if differs else "EQUIVALENT"
    print(f"{what}: {args.baseline} vs {args.candidate} on {len(examples)} roster(s)")
    print(f"diff: {path}")
    return EXIT_VIOLATIONS if differs else EXIT_PASS


def _next_roster(args: argparse.Namespace, first: RosterChoice, number: int) -> RosterChoice:
    seed = int(first.options[first.options.index("--seed") + 1]) + number
    return load_or_generate(argparse.Namespace(roster=None, students=args.students, seed=seed))


def compare_on(args: argparse.Namespace, choice: RosterChoice, sink: CaptureSink) -> dict[str, Any]:
    """Both adapters on one roster; the example's entry of diff.json."""
    from harness.oracle.matrix import compare
    from harness.oracle.tokens import TokenIndex
    from harness.roster.campaign_io import resolve_campaign

    roster = choice.roster
    campaign = resolve_campaign(roster, args.campaign)
    index = TokenIndex.build(roster)
    baseline = _deliver(args, args.baseline, roster, campaign, index, sink)
    candidate = _deliver(args, args.candidate, roster, campaign, index, sink)
    differences = compare(baseline.matrix, candidate.matrix)
    return {
        "roster": choice.label,
        "students": len(roster.students),
        "selected": len(campaign.selected),
        "reproduce": _reproduce(args, choice),
        "baseline": _side_summary(baseline),
        "candidate": _side_summary(candidate),
        "differences": [d.as_dict(roster) for d in differences],
        "summary": dict(Counter(d.kind for d in differences)),
        "described": [d.describe(roster) for d in differences],
        "students_involved": _students_involved(differences),
    }


def _deliver(
    args: argparse.Namespace,
    spec: str,
    roster: Roster,
    campaign: Any,
    index: Any,
    sink: CaptureSink,
) -> Side:
    from harness.adapters.registry import resolve
    from harness.runner import run_once

    # A fresh adapter per roster: each comparison stands alone. The matrix is the judge's:
    # every message is decoded and scanned once, by run_once.
    adapter = resolve(spec, timeout=args.timeout)
    grace = args.grace if args.grace is not None else DEFAULT_GRACE
    result = run_once(roster, campaign, adapter, sink, grace=grace, index=index)
    violations = dict(Counter(v.check for v in result.violations))
    return Side(spec, result.matrix, result.messages, violations)


def _side_summary(side: Side) -> dict[str, Any]:
    return {
        "adapter": side.spec,
        "messages": side.messages,
        "copies": side.matrix.copies,
        "recipients": len(side.matrix.shapes),
        "violations_by_check": side.violations,
    }


def _students_involved(differences: list[Difference]) -> list[str]:
    involved = {d.student for d in differences if d.student}
    return sorted(involved)


def _reproduce(args: argparse.Namespace, choice: RosterChoice) -> str:
    return shlex.join(
        [
            "mailharness",
            "diff",
            "--baseline",
            args.baseline,
            "--candidate",
            args.candidate,
            *choice.options,
            "--campaign",
            args.campaign,
        ]
    )


def _print_example(example: dict[str, Any]) -> None:
    differences = example["described"]
    base, cand = example["baseline"], example["candidate"]
    print(
        f"roster {example['roster']} ({example['selected']} selected): "
        f"baseline {base['copies']} copies, candidate {cand['copies']} copies, "
        f"{len(differences)} difference(s)"
    )
    for line in differences[:SHOWN]:
        print(f"  {line}")
    if len(differences) > SHOWN:
        print(f"  ... and {len(differences) - SHOWN} more in diff.json")
    if differences:
        print(f"reproduce with: {example['reproduce']}")


def _write(report: dict[str, Any], report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "diff.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
