"""The one-screen human summary printed by `mailharness run`."""

from __future__ import annotations

from typing import Any

from harness.oracle.checks import CHECKS

FIRST_VIOLATIONS = 5


def summary_lines(report: dict[str, Any]) -> list[str]:
    summary, run = report["summary"], report["run"]
    lines = [
        f"adapter {run['adapter']}  roster {run['roster']}  campaign {run['campaign']}",
        f"{summary['students']} students, {summary['selected']} selected; "
        f"expected {summary['expected_copies']} copies, captured {summary['messages']} "
        f"messages = {summary['copies']} copies to {summary['recipients']} recipients",
    ]
    if report["verdict"] == "pass":
        lines.append("PASS: no violations")
        return lines
    lines.append(f"FAIL: {summary['violations']} violations")
    for spec in CHECKS:
        count = summary["violations_by_check"][spec.id]
        if count:
            lines.append(f"  {spec.severity:<9} {spec.id:<22} {count}")
    lines.append("first violations:")
    for violation in report["violations"][:FIRST_VIOLATIONS]:
        students = ", ".join(violation["students"][:5])
        more = violation.get("students_total", len(violation["students"])) - 5
        if more > 0:
            students += f" and {more} more"
        lines.append(
            f"  {violation['check']} ({violation['severity']}) to {violation['recipient']}"
            + (f": {students}" if students else "")
        )
        for evidence in violation["evidence"][:2]:
            lines.append(f"      {evidence['location']}: {evidence['text']!r}")
    if "reproduce" in run:
        lines.append(f"reproduce with: {run['reproduce']}")
    return lines
