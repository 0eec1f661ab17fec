"""One run: push a roster through an adapter into the sink, then judge every copy."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.adapters.base import Adapter, AdapterOutcome, SmtpTarget
from harness.errors import SinkError
from harness.oracle.checks import Violation
from harness.oracle.parallel import judge_messages
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.progress import NullProgress, Progress
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
    progress: Progress | None = None,
    workers: int | None = None,
) -> RunResult:
    """Send through `adapter` into `sink` (cleared first) and judge what it captured.

    Raises AdapterError when the pipeline failed and SinkError when the sink could not see
    the whole run: neither is ever reported as a pass. `progress` shows the stages;
    `workers` is how many processes judge (default: the usable cores).
    """
    progress = progress or NullProgress()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    progress.start("index")
    plan = Plan(roster, campaign)
    expected = plan.expected_copies
    index = index or TokenIndex.build(roster)
    progress.finish("index")
    timings["index"] = time.perf_counter() - started

    sink.clear()
    started = time.perf_counter()
    progress.start("sending", total=expected)
    with _following(sink, progress):
        outcome = adapter.send(roster, campaign, SmtpTarget(host=sink.host, port=sink.port))
        timings["send"] = time.perf_counter() - started
        progress.start("capture")
        idle = sink.wait_idle(grace=grace, timeout=idle_timeout)
    progress.finish("capture")
    if not idle:
        raise SinkError(
            f"SMTP sessions still open {idle_timeout:g} s after the adapter returned: "
            "the run is incomplete, nothing was judged"
        )
    timings["capture"] = time.perf_counter() - started - timings["send"]
    if sink.connections_seen == 0 and plan.expected_copies > 0:
        raise SinkError(
            f"adapter {outcome.spec} returned but no SMTP connection reached the sink at "
            f"{sink.host}:{sink.port}: nothing to judge"
        )

    started = time.perf_counter()
    captured = sink.messages()
    progress.start("judging", total=sink.copies_captured)
    judge = judge_messages(
        plan,
        index,
        captured,
        count=len(captured),
        workers=workers,
        on_judged=lambda copies: progress.advance("judging", copies),
    )
    violations = judge.finish()
    progress.finish("judging")
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
    )


@contextmanager
def _following(sink: CaptureSink, progress: Progress, every: float = 0.25) -> Iterator[None]:
    """While the body runs, show the copies the sink has captured (a daemon thread)."""
    done = threading.Event()

    def follow() -> None:
        while not done.wait(every):
            progress.update("sending", sink.copies_captured)

    follower = threading.Thread(target=follow, name="mailharness-progress", daemon=True)
    follower.start()
    try:
        yield
    finally:
        done.set()
        follower.join()
        progress.update("sending", sink.copies_captured)
        progress.finish("sending")
