"""One run: push a roster through an adapter into the sink, then judge every copy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from harness.adapters.base import Adapter, AdapterOutcome, SmtpTarget
from harness.errors import SinkError
from harness.oracle.checks import Judge, Violation
from harness.oracle.parallel import judge_messages
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.progress import NullProgress, Progress
from harness.result import RunResult
from harness.roster.campaign import Campaign
from harness.roster.model import Roster

if TYPE_CHECKING:
    # Only the sink's surface is used here: the server (and aiosmtpd) stays unloaded for
    # `mailharness check`, which judges a store through `judge_run`.
    from harness.sink.capture import CapturedMessage, MessageSource, Refusal
    from harness.sink.server import CaptureSink

# RunResult lives in harness.result (below the sink and the reports); it stays importable
# from here for the callers that run and judge.
__all__ = ["RunResult", "judge_capture", "judge_run", "run_once", "sink_target"]


def sink_target(sink: CaptureSink) -> SmtpTarget:
    """Where and how a pipeline reaches `sink`: its credentials and STARTTLS when it has them."""
    protocol = sink.protocol
    credentials, tls = protocol.credentials, protocol.tls
    return SmtpTarget(
        host=sink.host,
        port=sink.port,
        user=credentials.user if credentials else None,
        password=credentials.password if credentials else None,
        tls="starttls" if tls else "none",
        cafile=str(tls.cert_file) if tls else None,
        api=tuple(sorted(sink.api_urls.items())),
    )


def run_once(
    roster: Roster,
    campaign: Campaign,
    adapter: Adapter,
    sink: CaptureSink,
    *,
    grace: float = 0.2,
    idle_timeout: float = 60.0,
    index: TokenIndex | None = None,
    first_message_timeout: float | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> RunResult:
    """Send through `adapter` into `sink` (cleared first) and judge what it captured.

    With `first_message_timeout` (a pipeline outside our control, `--adapter external`), wait
    that long for a first message after the adapter returned, then until idle for `grace`.
    Raises AdapterError when the pipeline failed and SinkError when the sink could not see
    the whole run: neither is ever reported as a pass. `progress` shows the stages;
    `workers` is how many processes judge (default: the usable cores).
    """
    progress = progress or NullProgress()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    progress.start("index")
    plan = Plan(roster, campaign).prepare()
    expected = plan.expected_copies
    index = index or TokenIndex.build(roster)
    progress.finish("index")
    timings["index"] = time.perf_counter() - started

    sink.clear()
    started = time.perf_counter()
    progress.start("sending", total=expected)
    with _following(sink, progress):
        outcome = adapter.send(roster, campaign, sink_target(sink))
        timings["send"] = time.perf_counter() - started
        progress.start("capture")
        if first_message_timeout is not None and not sink.wait_for_message(first_message_timeout):
            raise SinkError(
                f"no message reached the sink at {sink.host}:{sink.port} within "
                f"{first_message_timeout:g} s: nothing to judge"
            )
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
    progress.start("judging", total=sink.copies_captured)
    result = judge_run(
        plan,
        index,
        sink.message_source(),
        count=sink.message_count,
        refusals=sink.refusals(),
        outcome=outcome,
        connections=sink.connections_seen,
        workers=workers,
        on_judged=lambda copies: progress.advance("judging", copies),
    )
    progress.finish("judging")
    timings["judge"] = time.perf_counter() - started
    result.timings = timings
    return result


def judge_run(
    plan: Plan,
    index: TokenIndex,
    source: MessageSource,
    *,
    count: int,
    refusals: Sequence[Refusal],
    outcome: AdapterOutcome,
    connections: int,
    workers: int | None = None,
    on_judged: Callable[[int], None] | None = None,
) -> RunResult:
    """The judging tail of `run_once` and `mailharness check`: judge the `count` messages of
    `source` and the sink's `refusals`, and return what the run found."""
    judge = judge_messages(plan, index, source, count=count, workers=workers, on_judged=on_judged)
    violations = judge_capture(judge, (), refusals)
    return RunResult(
        plan=plan,
        outcome=outcome,
        violations=violations,
        messages=judge.messages,
        copies=judge.copies,
        recipients=len(judge.recipients),
        connections=connections,
        refusals=len(refusals),
        headers=judge.headers,
        matrix=judge.matrix,
    )


def judge_capture(
    judge: Judge, messages: Iterable[CapturedMessage], refusals: Iterable[Refusal] = ()
) -> list[Violation]:
    """Judge a stream of captured messages (one at a time) and the sink's refusals."""
    for message in messages:
        judge.judge_message(message)
    for refusal in refusals:
        judge.note_refusal(refusal)
    return judge.finish()


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
