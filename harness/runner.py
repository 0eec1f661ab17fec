"""One run: push a roster through an adapter into the sink, then judge every copy."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from harness.adapters.base import Adapter, AdapterOutcome, SmtpTarget
from harness.errors import SinkError
from harness.oracle.checks import Judge, Violation
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.sink.server import CaptureSink


@dataclass
class RunResult:
    plan: Plan
    outcome: AdapterOutcome
    violations: list[Violation]
    messages: int
    copies: int
    recipients: int
    connections: int
    timings: dict[str, float] = field(default_factory=dict)
    # (recipient, student) -> copies that concerned the student, allowed or not.
    matrix: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def passed(self) -> bool:
        return not self.violations


def run_once(
    roster: Roster,
    campaign: Campaign,
    adapter: Adapter,
    sink: CaptureSink,
    *,
    grace: float = 0.2,
    idle_timeout: float = 60.0,
    index: TokenIndex | None = None,
) -> RunResult:
    """Send through `adapter` into `sink` (cleared first) and judge what it captured.

    Raises AdapterError when the pipeline failed and SinkError when the sink could not see
    the whole run: neither is ever reported as a pass.
    """
    plan = Plan(roster, campaign)
    sink.clear()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    outcome = adapter.send(roster, campaign, SmtpTarget(host=sink.host, port=sink.port))
    if not sink.wait_idle(grace=grace, timeout=idle_timeout):
        raise SinkError(
            f"SMTP sessions still open {idle_timeout:g} s after the adapter returned: "
            "the run is incomplete, nothing was judged"
        )
    timings["send"] = time.perf_counter() - started
    if sink.connections_seen == 0 and plan.expected_copies > 0:
        raise SinkError(
            f"adapter {outcome.spec} returned but no SMTP connection reached the sink at "
            f"{sink.host}:{sink.port}: nothing to judge"
        )

    started = time.perf_counter()
    judge = Judge(plan, index or TokenIndex.build(roster))
    captured = sink.messages()
    for message in captured:
        judge.judge_message(message)
    violations = judge.finish()
    timings["judge"] = time.perf_counter() - started
    return RunResult(
        plan=plan,
        outcome=outcome,
        violations=violations,
        messages=len(captured),
        copies=judge.copies,
        recipients=len(judge.recipients),
        connections=sink.connections_seen,
        timings=timings,
        matrix=judge.matrix,
    )
