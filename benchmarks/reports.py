"""What this branch adds to a run's cost: the unrendered-template scan per message, beside the
decode and token scan it follows, and rendering report.json into JUnit, HTML and Markdown for a
run with thousands of violations. Prints figures; asserts nothing.

    python benchmarks/reports.py   (from the repo root; or tox -e bench)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.adapters.compose import per_recipient_notices
from harness.adapters.recipients import Mailing
from harness.oracle.decode import visible_segments
from harness.oracle.template_check import find_unrendered
from harness.oracle.tokens import TokenIndex
from harness.report.render import RENDERERS
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster


def _timed(label: str, count: int, work) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"  {label:<28} {seconds:7.3f} s  {seconds / count * 1e6:8.1f} us/message")


def scan_costs() -> None:
    roster = generate_roster(2000, 1)
    mailing = Mailing(roster, build_campaign(roster.students, "vaccine"))
    raws = [item.message.as_bytes() for item in per_recipient_notices(mailing)]
    segments = [visible_segments(raw) for raw in raws]
    index = TokenIndex.build(roster)
    print(f"{len(raws)} reference notices (text + HTML) of a 2,000-student roster:")
    _timed("decode (visible_segments)", len(raws), lambda: [visible_segments(r) for r in raws])
    _timed("token scan", len(raws), lambda: [index.scan(s) for s in segments])
    _timed("unrendered-template scan", len(raws), lambda: [find_unrendered(s) for s in segments])


def render_costs() -> None:
    # A synthetic Cedar Park report: one message to every guardian, one violation per copy.
    to = ", ".join(f"Parent {i} <parent{i}@example.org>" for i in range(3000))
    violations = [
        {
            "check": "exposed-recipients",
            "severity": "critical",
            "recipient": f"parent{i}@example.org",
            "students": [f"S-{i:08d}"],
            "contacts": [f"C-{j:06d}" for j in range(25)],
            "evidence": [
                {"location": "header:To", "text": to[i * 10 : i * 10 + 100], "match": [40, 60]}
            ]
            * 25,
            "message": 1,
        }
        for i in range(3000)
    ]
    report = {
        "schema": "mailharness.report/1",
        "verdict": "fail",
        "run": {"adapter": "mutant:to-all", "reproduce": "mailharness run --adapter x"},
        "summary": {"violations": 3000, "violations_by_check": {"exposed-recipients": 3000}},
        "violations": violations,
        "messages": {"1": {"From": "nurse@district.example.org", "To": to[:2000]}},
    }
    print("rendering a report of 3,000 violations:")
    for name, render in RENDERERS.items():
        started = time.perf_counter()
        size = len(render(report).encode())
        print(f"  {name:<12} {time.perf_counter() - started:7.3f} s  {size / 1024:8.0f} KiB")


if __name__ == "__main__":
    scan_costs()
    render_costs()
