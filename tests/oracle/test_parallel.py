"""Judging in worker processes gives exactly the verdicts of judging in this process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.adapters.base import SmtpTarget
from harness.adapters.mutants import MUTANTS, NEEDS_FAULTS
from harness.adapters.registry import resolve
from harness.oracle import parallel
from harness.oracle.parallel import judge_messages
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster
from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore

ROSTER = generate_roster(150, seed=3)
CAMPAIGN = build_campaign(ROSTER.students)
PLAN = Plan(ROSTER, CAMPAIGN)
INDEX = TokenIndex.build(ROSTER)


@pytest.fixture(scope="module")
def captured() -> dict[str, list[CapturedMessage]]:
    """What the reference and every mutant of the bug zoo sent, captured once."""
    runs: dict[str, list[CapturedMessage]] = {}
    with CaptureSink() as sink:
        for spec in ["reference", *(f"mutant:{name}" for name in sorted(MUTANTS))]:
            sink.clear()
            resolve(spec).send(ROSTER, CAMPAIGN, SmtpTarget(sink.host, sink.port))
            assert sink.wait_idle(grace=0.05, timeout=30)
            runs[spec] = sink.messages()
    return runs


_PID_RECORD: list[Path] = []
_JUDGE_SPAN = parallel._judge_span


def _recording_judge_span(span: tuple[int, int]) -> parallel.JudgeShare:
    with _PID_RECORD[0].open("a") as stream:
        stream.write(f"{os.getpid()}\n")
    return _JUDGE_SPAN(span)


@pytest.fixture
def forked_pids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Lower the thresholds so a small run forks and its workers are renewed, and record which
    process judged a span."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_MESSAGES", 0)
    monkeypatch.setattr(parallel, "CHUNK", 7)
    monkeypatch.setattr(parallel, "SPANS_PER_WORKER", 3)
    monkeypatch.setattr(parallel, "_judge_span", _recording_judge_span)
    _PID_RECORD[:] = [tmp_path / "pids"]
    return _PID_RECORD[0]


def test_parallel_and_serial_verdicts_are_identical(
    captured: dict[str, list[CapturedMessage]], forked_pids: Path
) -> None:
    assert len(captured) == len(MUTANTS) + 1
    for spec, messages in captured.items():
        serial = judge_messages(PLAN, INDEX, messages, count=len(messages), workers=1)
        judged: list[int] = []
        forked = judge_messages(
            PLAN, INDEX, messages, count=len(messages), workers=2, on_judged=judged.append
        )
        assert forked.finish() == serial.finish(), spec
        assert (forked.copies, forked.messages, forked.recipients) == (
            serial.copies,
            serial.messages,
            serial.recipients,
        )
        assert (forked.matrix, forked.headers) == (serial.matrix, serial.headers), spec
        assert sum(judged) == serial.copies == sum(len(m.rcpt_tos) for m in messages)
    pids = set(forked_pids.read_text().split())
    assert pids and str(os.getpid()) not in pids  # every span judged in a worker
    assert len(pids) > 2 * len(captured)  # two workers per pool, renewed within it


def test_workers_read_a_store_file_themselves(
    captured: dict[str, list[CapturedMessage]], forked_pids: Path, tmp_path: Path
) -> None:
    """The spans a store reader hands out cover every message once, in order, and forked
    workers judging them from the file agree with judging the list in this process."""
    messages = captured["mutant:join-shift"] + captured["reference"]
    with CaptureStore(tmp_path / "capture.db") as store:
        store.write_group(list(messages))
        reader = store.reader()
    assert reader is not None and len(reader) == len(messages)
    spans = list(reader.spans(7))
    assert [len(reader.read(span)) for span in spans[:-1]] == [7] * (len(spans) - 1)
    read_back = [m for span in spans for m in reader.read(span)]
    assert [(m.rcpt_tos, m.raw) for m in read_back] == [(m.rcpt_tos, m.raw) for m in messages]

    serial = judge_messages(PLAN, INDEX, messages, count=len(messages), workers=1)
    forked = judge_messages(PLAN, INDEX, reader, count=len(messages), workers=2)
    expected = [(v.check, v.recipient, v.students) for v in serial.finish()]
    assert [(v.check, v.recipient, v.students) for v in forked.finish()] == expected
    assert "foreign-student-data" in {check for check, _, _ in expected}
    assert (forked.copies, forked.matrix) == (serial.copies, serial.matrix)
    assert str(os.getpid()) not in set(forked_pids.read_text().split())


def test_a_memory_store_has_no_reader_for_other_processes() -> None:
    with CaptureStore(":memory:") as store:
        assert store.reader() is None


def test_the_bug_zoo_is_caught_in_parallel_too(
    captured: dict[str, list[CapturedMessage]], forked_pids: Path
) -> None:
    for spec, messages in captured.items():
        judge = judge_messages(PLAN, INDEX, messages, count=len(messages), workers=2)
        checks = {violation.check for violation in judge.finish()}
        mutant = MUTANTS.get(spec.split(":", 1)[-1])
        if mutant is None or mutant.across_campaigns or mutant.name in NEEDS_FAULTS:
            # The reference, and mutants that send one fault-free campaign correctly.
            assert checks == set(), spec
        else:
            assert mutant.catches in checks, spec
