"""Fault injection: parsed strictly, drawn reproducibly, served as real SMTP, recorded."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.sink.faults import DEFAULT_SLOW, FaultError, FaultPlan, FaultRule, parse_rule
from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore

SENDER = "office@school.example.org"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("rcpt:451:0.1", FaultRule("rcpt", "reply", 0.1, code=451)),
        ("DATA:550:1", FaultRule("data", "reply", 1.0, code=550)),
        ("mail:421:0.05", FaultRule("mail", "reply", 0.05, code=421)),
        ("data:drop:0.05", FaultRule("data", "drop", 0.05)),
        ("data:slow:0.2", FaultRule("data", "slow", 0.2, delay=DEFAULT_SLOW)),
        ("rcpt:slow:0.2:0.5", FaultRule("rcpt", "slow", 0.2, delay=0.5)),
    ],
)
def test_parse(text: str, rule: FaultRule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("rcpt:451", "expected STAGE:ACTION:RATE"),
        ("helo:451:0.1", "unknown stage 'helo'"),
        ("rcpt:250:0.1", "4xx or 5xx reply code"),
        ("rcpt:451:1.5", "between 0 and 1"),
        ("rcpt:451:often", "rate 'often' is not a number"),
        ("rcpt:451:0.1:3", "only a slow or timeout fault takes a delay"),
        ("data:slow:0.1:0", "delay must be positive"),
    ],
)
def test_bad_rules_are_one_line_naming_the_rule(text: str, complaint: str) -> None:
    with pytest.raises(FaultError) as info:
        parse_rule(text)
    assert repr(text) in str(info.value)
    assert complaint in str(info.value)


def test_rates_at_one_stage_may_not_exceed_one() -> None:
    with pytest.raises(FaultError, match=r"rates sum to 1\.2"):
        FaultPlan.parse(["rcpt:451:0.7", "rcpt:550:0.5"])


def test_draws_are_seeded_and_follow_the_rates() -> None:
    rules = ["rcpt:451:0.2", "rcpt:550:0.1"]
    first = [FaultPlan.parse(rules, seed=7).draw("rcpt")]
    plan_a, plan_b = FaultPlan.parse(rules, seed=7), FaultPlan.parse(rules, seed=7)
    a = [plan_a.draw("rcpt") for _ in range(2000)]
    b = [plan_b.draw("rcpt") for _ in range(2000)]
    assert a == b
    assert first == a[:1]
    codes = [rule.code if rule else 0 for rule in a]
    assert 300 < codes.count(451) < 500
    assert 130 < codes.count(550) < 270
    other = FaultPlan.parse(rules, seed=8)
    assert [other.draw("rcpt") for _ in range(2000)] != a
    assert plan_a.draw("mail") is None  # no rule at a stage: nothing drawn


@pytest.fixture(params=["memory", "store"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaptureStore | None]:
    if request.param == "memory":
        yield None
    else:
        with CaptureStore(tmp_path / "faults.sqlite") as store:
            yield store


def sink_with(store: CaptureStore | None, *rules: str) -> CaptureSink:
    return CaptureSink(store=store, faults=FaultPlan.parse(rules, seed=1))


def test_rcpt_refusals_reach_the_client_and_are_recorded(backend: CaptureStore | None) -> None:
    with sink_with(backend, "rcpt:451:1") as sink, smtplib.SMTP(sink.host, sink.port) as c:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
            c.sendmail(SENDER, ["a@example.com"], b"Subject: x\r\n\r\nx\r\n")
        assert info.value.recipients["a@example.com"][0] == 451
    assert sink.messages() == []
    [refused] = sink.refusals()
    assert (refused.stage, refused.rcpt_tos, refused.mail_from) == (
        "rcpt",
        ("a@example.com",),
        SENDER,
    )
    assert refused.reply.startswith("451 4.3.0 ")
    assert refused.temporary


def test_data_refusal_keeps_the_refused_bytes(backend: CaptureStore | None) -> None:
    raw = b"Subject: refused\r\n\r\nbody\r\n"
    with sink_with(backend, "data:554:1") as sink, smtplib.SMTP(sink.host, sink.port) as c:
        with pytest.raises(smtplib.SMTPDataError) as info:
            c.sendmail(SENDER, ["a@example.com", "b@example.com"], raw)
        assert info.value.smtp_code == 554
    [refused] = sink.refusals()
    assert (refused.stage, refused.raw, refused.rcpt_tos) == (
        "data",
        raw,
        ("a@example.com", "b@example.com"),
    )
    assert refused.permanent
    assert sink.messages() == []


def test_mail_refusal(backend: CaptureStore | None) -> None:
    with (
        sink_with(backend, "mail:550:1") as sink,
        smtplib.SMTP(sink.host, sink.port) as c,
        pytest.raises(smtplib.SMTPSenderRefused),
    ):
        c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert [r.stage for r in sink.refusals()] == ["mail"]


def test_drop_closes_the_connection_without_storing(
    backend: CaptureStore | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncio")
    with sink_with(backend, "data:drop:1") as sink:
        c = smtplib.SMTP(sink.host, sink.port, timeout=10)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            c.sendmail(SENDER, ["a@example.com"], b"Subject: x\r\n\r\nx\r\n")
        c.close()
        assert sink.wait_idle(grace=0.05, timeout=5)
        assert sink.messages() == []
        assert [r.reply for r in sink.refusals()] == ["drop"]
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_421_answers_then_closes(backend: CaptureStore | None) -> None:
    with sink_with(backend, "mail:421:1") as sink:
        c = smtplib.SMTP(sink.host, sink.port, timeout=10)
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
        assert info.value.smtp_code == 421
        c.close()
        assert sink.wait_idle(grace=0.05, timeout=5)


def test_slow_reply_stores_first_then_answers_late(backend: CaptureStore | None) -> None:
    with sink_with(backend, "data:slow:1:0.5") as sink:
        c = smtplib.SMTP(sink.host, sink.port, timeout=0.2)
        c.ehlo()
        c.mail(SENDER)
        c.rcpt("a@example.com")
        started = time.monotonic()
        with pytest.raises(OSError):  # the client gives up before the reply
            c.data(b"Subject: slow\r\n\r\nx\r\n")
        assert time.monotonic() - started < 0.5
        c.close()
        # ...but the sink had already stored it: a client that resends now sends it twice.
        assert [m.raw for m in sink.messages()] == [b"Subject: slow\r\n\r\nx\r\n"]
        assert sink.refusals() == []


def test_same_seed_same_faults_for_a_sequential_client(backend: CaptureStore | None) -> None:
    outcomes = []
    for _ in range(2):
        if backend is not None:
            backend.clear()
        with sink_with(backend, "rcpt:451:0.3") as sink, smtplib.SMTP(sink.host, sink.port) as c:
            for i in range(30):
                with contextlib.suppress(smtplib.SMTPRecipientsRefused):  # both refused
                    c.sendmail(SENDER, [f"a{i}@example.com", f"b{i}@example.com"], b"x\r\n")
            outcomes.append([r.rcpt_tos for r in sink.refusals()])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]
