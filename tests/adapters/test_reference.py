"""The reference sender sends the same notices from threads and from forked processes."""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter

import pytest

from harness.adapters import reference
from harness.adapters.base import SmtpTarget
from harness.adapters.reference import ReferenceAdapter
from harness.errors import AdapterError
from harness.oracle.plan import Plan
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster
from harness.sink.server import CaptureSink

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)


# Boundaries and Message-IDs are made of the process id and a counter: masked.
_BOUNDARY = re.compile(rb"=_mailharness_\d+_\d+|<\d+\.\d+@")


def captured(processes: bool, monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, bytes]]:
    roster = generate_roster(300, 11)
    campaign = build_campaign(roster.students)
    threshold = 0 if processes else 10**9
    monkeypatch.setattr(reference, "PROCESS_MIN_COPIES", threshold)
    monkeypatch.setattr(reference, "_RANGE", 7)  # many ranges, handed out unordered
    with CaptureSink() as sink:
        ReferenceAdapter().send(roster, campaign, SmtpTarget(sink.host, sink.port))
        sink.wait_idle(grace=0.1, timeout=30)
        copies = Counter(
            (r, _BOUNDARY.sub(b"B", m.raw)) for m in sink.messages() for r in m.rcpt_tos
        )
    assert sum(copies.values()) == Plan(roster, campaign).expected_copies
    return copies


def test_processes_send_exactly_what_threads_send(monkeypatch: pytest.MonkeyPatch) -> None:
    assert captured(True, monkeypatch) == captured(False, monkeypatch)


def test_a_sender_process_failure_is_an_adapter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    roster = generate_roster(40, 3)
    campaign = build_campaign(roster.students)
    monkeypatch.setattr(reference, "PROCESS_MIN_COPIES", 0)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("composer exploded")

    monkeypatch.setattr(reference, "send_all", broken)
    with pytest.raises(AdapterError, match="reference sender process failed: composer exploded"):
        ReferenceAdapter().send(roster, campaign, SmtpTarget("127.0.0.1", 9))
