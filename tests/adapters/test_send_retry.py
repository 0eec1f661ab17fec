"""The reference sender's retry: temporary failures again (only what failed), permanent never."""

from __future__ import annotations

from collections import Counter
from email.message import EmailMessage

import pytest

from harness.adapters.base import SmtpTarget
from harness.adapters.compose import Outgoing, RetryPolicy, send_all
from harness.errors import AdapterError
from harness.sink.faults import FaultPlan
from harness.sink.server import CaptureSink

SENDER = "nurse@district.example.org"
FAST = RetryPolicy(attempts=10, first_delay=0.001, max_delay=0.01)


def outgoing(n: int, rcpts_each: int = 3) -> list[Outgoing]:
    items = []
    for i in range(n):
        message = EmailMessage()
        message["Subject"] = f"notice {i}"
        message.set_content(f"body {i}\n")
        rcpts = tuple(f"g{i}-{k}@example.com" for k in range(rcpts_each))
        items.append(Outgoing(SENDER, rcpts, message))
    return items


def deliveries(sink: CaptureSink) -> Counter[tuple[str, str]]:
    """(subject, recipient) -> how many accepted copies."""
    got: Counter[tuple[str, str]] = Counter()
    for m in sink.messages():
        subject = m.raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0].strip().decode()
        for r in m.rcpt_tos:
            got[(subject, r)] += 1
    return got


def test_refused_recipients_are_retried_alone_and_everyone_gets_one_copy() -> None:
    items = outgoing(20)
    faults = FaultPlan.parse(["rcpt:451:0.3", "data:451:0.1", "data:drop:0.1", "mail:421:0.05"])
    with CaptureSink(faults=faults) as sink:
        send_all(SmtpTarget(sink.host, sink.port), items, retry=FAST)
        assert sink.wait_idle(grace=0.05, timeout=10)
        got = deliveries(sink)
        refusals = sink.refusals()
    expected = {(f"notice {i}", r) for i, item in enumerate(items) for r in item.rcpt_tos}
    assert set(got) == expected
    assert set(got.values()) == {1}
    # Some messages went out to only part of their envelope: the refused part, resent.
    assert any(len(m.rcpt_tos) < 3 for m in sink.messages())
    assert {r.stage for r in refusals} == {"mail", "rcpt", "data"}


def test_permanent_refusals_are_never_retried() -> None:
    items = outgoing(5, rcpts_each=2)
    with CaptureSink(faults=FaultPlan.parse(["rcpt:550:1"])) as sink:
        send_all(SmtpTarget(sink.host, sink.port), items, retry=FAST)
        assert sink.messages() == []
        assert len(sink.refusals()) == 10  # each recipient refused once, never asked again


def test_a_temporary_failure_that_never_ends_is_given_up() -> None:
    with CaptureSink(faults=FaultPlan.parse(["data:451:1"])) as sink:
        send_all(SmtpTarget(sink.host, sink.port), outgoing(1), retry=FAST)
        assert sink.messages() == []
        assert len(sink.refusals()) == FAST.attempts


def test_a_server_that_cannot_be_reached_is_an_adapter_error() -> None:
    with CaptureSink() as sink:
        port = sink.port
    with pytest.raises(AdapterError, match=f"cannot reach the SMTP server at 127.0.0.1:{port}"):
        send_all(SmtpTarget("127.0.0.1", port), outgoing(1), retry=FAST)
