"""Judging across processes: one code path for ten copies and for a million.

`judge_messages` feeds captured messages, in chunks and in arrival order, to a pool of worker
processes forked once the plan and the token index are built (copy-on-write: nothing is
rebuilt or pickled but the messages). Each worker judges its chunk with a `Judge` of its own
and hands back what the judge found: its violations, its (recipient, student) delivery
counts, and its copy, message and recipient tallies. The parent merges them in chunk order,
so the violations come out in the order a single `Judge` gives, and calls `finish()` once.
Small runs, and platforms without fork, stay in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from harness.oracle.checks import Judge, Violation
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.sink.capture import CapturedMessage

__all__ = ["CHUNK", "PARALLEL_MIN_MESSAGES", "JudgeShare", "default_workers", "judge_messages"]

CHUNK = 500  # messages per task: big enough to amortize the pipe, small enough to stream
PARALLEL_MIN_MESSAGES = 4000  # below this, forking costs more than it saves


@dataclass(frozen=True)
class JudgeShare:
    """What one judge found in one chunk of messages."""

    violations: list[Violation]
    delivered: Counter[tuple[str, str]]
    copies: int
    messages: int
    recipients: set[str]
    matrix: Counter[tuple[str, str]]
    headers: dict[int, dict[str, str]]

    @classmethod
    def of(cls, judge: Judge) -> JudgeShare:
        return cls(
            judge.violations,
            judge.delivered,
            judge.copies,
            judge.messages,
            judge.recipients,
            judge.matrix,
            judge.headers,
        )

    def merge_into(self, judge: Judge) -> None:
        judge.violations.extend(self.violations)
        judge.delivered.update(self.delivered)
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


# The plan and index the forked workers inherit; set only around the pool's lifetime.
_INHERITED: tuple[Plan, TokenIndex] | None = None


def _judge_chunk(chunk: list[CapturedMessage]) -> JudgeShare:
    assert _INHERITED is not None, "a worker must be forked by judge_messages"
    judge = Judge(*_INHERITED)
    for message in chunk:
        judge.judge_message(message)
    return JudgeShare.of(judge)


def _chunks(messages: Iterable[CapturedMessage], size: int) -> Iterator[list[CapturedMessage]]:
    chunk: list[CapturedMessage] = []
    for message in messages:
        chunk.append(message)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prepare(plan: Plan) -> None:
    """Compute every lazily built table before the fork, so workers share one copy."""
    roster = plan.roster
    for table in (
        roster.student_by_id,
        roster.contact_by_id,
        roster.links_by_student,
        roster.links_by_contact,
        roster.links_by_address,
        roster.contacts_by_address,
        plan.recipients,
        plan.authorized,
    ):
        assert table is not None
    plan.restricted_addresses("")


def judge_messages(
    plan: Plan,
    index: TokenIndex,
    messages: Iterable[CapturedMessage],
    *,
    count: int,
    workers: int | None = None,
    on_judged: Callable[[int], None] | None = None,
) -> Judge:
    """Judge every message (`count` of them) and return the judge, not yet finished.

    `on_judged(copies)` is called as chunks complete, with the copies judged in each.
    `workers`: processes to use (default: the usable cores); 1 judges in this process.
    """
    global _INHERITED
    workers = default_workers() if workers is None else workers
    judge = Judge(plan, index)
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or count < PARALLEL_MIN_MESSAGES or not forkable:
        for chunk in _chunks(messages, CHUNK):
            for message in chunk:
                judge.judge_message(message)
            if on_judged is not None:
                on_judged(sum(len(message.rcpt_tos) for message in chunk))
        return judge

    _prepare(plan)
    _INHERITED = (plan, index)
    gc.freeze()  # the collector would otherwise write to every inherited object's page
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for share in pool.imap(_judge_chunk, _chunks(messages, CHUNK)):
                share.merge_into(judge)
                if on_judged is not None:
                    on_judged(share.copies)
    finally:
        _INHERITED = None
        gc.unfreeze()
    return judge
