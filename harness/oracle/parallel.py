"""Judging across processes: one code path for ten copies and for a million.

`judge_messages` splits the captured messages into spans of `CHUNK`, in arrival order, and
hands the spans to a pool of worker processes forked once the plan (`Plan.prepare`), the
token index and the message source exist (copy-on-write, with `gc.freeze` so the collector
does not touch the inherited pages: nothing is rebuilt). A worker reads its span from the
source itself (a store file, or the list it inherited), so the parent sends two integers per
span, never the messages: pickling them cost the parent ~40 us per message, a fifth of a core
at district scale. Each worker judges its span with a `Judge` of its own and hands back a
`JudgeShare`: its violations, its part of the delivery matrix, the headers of the messages it
flagged, and its copy, message and recipient tallies. The pool replaces a worker by a fresh
fork after `SPANS_PER_WORKER` spans. The parent merges the shares in span order into one
`Judge`, so the violations come out in the order a single `Judge` gives, and returns that
judge unfinished: the caller notes the refusals and calls `finish()` once. Runs of fewer
than `PARALLEL_MIN_MESSAGES` messages, one worker, and platforms without fork judge in this
process, span by span.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.oracle.checks import Judge, Violation
from harness.oracle.matrix import DeliveryMatrix
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.sink.capture import CapturedMessage, ListSource, MessageSource, Span

__all__ = ["CHUNK", "PARALLEL_MIN_MESSAGES", "JudgeShare", "default_workers", "judge_messages"]

CHUNK = 500  # messages per span: big enough to amortize the pipe, small enough to stream
PARALLEL_MIN_MESSAGES = 4000  # below this, forking costs more than it saves
# Spans a worker judges before the pool replaces it by a fresh fork of the parent. A worker's
# private memory grows as it touches inherited objects (reference counts, reused malloc pools
# write to shared pages); a fresh fork starts sharing them all again.
SPANS_PER_WORKER = 40


@dataclass(frozen=True)
class JudgeShare:
    """What one judge found in one chunk of messages."""

    violations: list[Violation]
    copies: int
    messages: int
    recipients: set[str]
    matrix: DeliveryMatrix
    headers: dict[int, dict[str, str]]

    @classmethod
    def of(cls, judge: Judge) -> JudgeShare:
        return cls(
            judge.violations,
            judge.copies,
            judge.messages,
            judge.recipients,
            judge.matrix,
            judge.headers,
        )

    def merge_into(self, judge: Judge) -> None:
        judge.violations.extend(self.violations)
        judge.matrix.update(self.matrix)
        judge.headers.update(self.headers)
        judge.copies += self.copies
        judge.messages += self.messages
        judge.recipients |= self.recipients


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# What the forked workers inherit; set only around the pool's lifetime.
_INHERITED: tuple[Plan, TokenIndex, MessageSource] | None = None


def _judge_span(span: Span) -> JudgeShare:
    assert _INHERITED is not None, "a worker must be forked by judge_messages"
    plan, index, source = _INHERITED
    judge = Judge(plan, index)
    for message in source.read(span):
        judge.judge_message(message)
    return JudgeShare.of(judge)


def judge_messages(
    plan: Plan,
    index: TokenIndex,
    messages: MessageSource | Sequence[CapturedMessage],
    *,
    count: int,
    workers: int | None = None,
    on_judged: Callable[[int], None] | None = None,
) -> Judge:
    """Judge every message (`count` of them) and return the judge, not yet finished.

    `messages`: a source forked workers read for themselves, or a list of messages.
    `on_judged(copies)` is called as spans complete, with the copies judged in each.
    `workers`: processes to use (default: the usable cores); 1 judges in this process.
    """
    global _INHERITED
    source = ListSource(messages) if isinstance(messages, Sequence) else messages
    workers = default_workers() if workers is None else workers
    judge = Judge(plan, index)
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or count < PARALLEL_MIN_MESSAGES or not forkable:
        for span in source.spans(CHUNK):
            chunk = source.read(span)
            for message in chunk:
                judge.judge_message(message)
            if on_judged is not None:
                on_judged(sum(len(message.rcpt_tos) for message in chunk))
        return judge

    plan.prepare()  # built once here, shared by every fork
    _INHERITED = (plan, index, source)
    gc.freeze()  # the collector would otherwise write to every inherited object's page
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, maxtasksperchild=SPANS_PER_WORKER) as pool:
            for share in pool.imap(_judge_span, source.spans(CHUNK)):
                share.merge_into(judge)
                if on_judged is not None:
                    on_judged(share.copies)
    finally:
        _INHERITED = None
        gc.unfreeze()
    return judge
