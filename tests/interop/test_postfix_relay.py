"""pipeline -> Postfix -> sink: a real MTA's queueing, pipelining and retries in the middle.

Postfix is started by the test on 127.0.0.1 with `relayhost` pinned to the sink (see
tests/interop/postfix.py); it relays to the sink over STARTTLS, as relays are set up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.adapters.base import Adapter, AdapterOutcome, SmtpTarget
from harness.adapters.registry import resolve
from harness.roster.campaign import Campaign, build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster
from harness.runner import RunResult, run_once
from harness.sink.faults import FaultPlan
from harness.sink.protocol import SinkProtocol
from harness.sink.server import CaptureSink
from harness.sink.tls import TlsIdentity
from tests.interop.conftest import require_binary, require_root
from tests.interop.postfix import PostfixRelay

pytestmark = pytest.mark.slow


class ThroughRelay:
    """Sends with `inner` to the Postfix relay instead of the sink; returns once Postfix's
    queue is empty, i.e. everything it accepted was handed on to the sink."""

    def __init__(self, inner: Adapter, relay: PostfixRelay) -> None:
        self.inner = inner
        self.relay = relay
        self.spec = f"{inner.spec} via postfix"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        outcome = self.inner.send(roster, campaign, SmtpTarget("127.0.0.1", self.relay.port))
        self.relay.wait_queue_empty()
        return outcome


@pytest.fixture(scope="module")
def world() -> tuple[Roster, Campaign]:
    roster = generate_roster(60, 21)
    return roster, build_campaign(roster.students, "vaccine")


def relayed_run(
    spec: str, world: tuple[Roster, Campaign], tls: TlsIdentity, faults: FaultPlan | None = None
) -> tuple[RunResult, CaptureSink]:
    require_binary("postfix")
    require_root("a throwaway Postfix instance")
    roster, campaign = world
    with (
        CaptureSink(protocol=SinkProtocol(tls=tls), faults=faults) as sink,
        PostfixRelay(sink.port, tls_to_sink=True) as relay,
    ):
        result = run_once(roster, campaign, ThroughRelay(resolve(spec), relay), sink, grace=0.5)
    return result, sink


@pytest.fixture(scope="module")
def reference_run(
    world: tuple[Roster, Campaign], tls_identity: TlsIdentity
) -> Iterator[tuple[RunResult, CaptureSink]]:
    yield relayed_run("reference", world, tls_identity)


def test_reference_campaign_through_postfix_passes(
    reference_run: tuple[RunResult, CaptureSink],
) -> None:
    result, sink = reference_run
    assert result.passed, [v.check for v in result.violations]
    assert result.messages == result.plan.expected_copies > 0
    captured = sink.messages()
    # Every copy came from Postfix (its Received: line), over STARTTLS.
    assert all(b"by relay.mailharness.test (Postfix)" in m.raw for m in captured)
    assert {m.tls for m in captured} == {True}


def test_a_mutant_through_postfix_is_caught(
    world: tuple[Roster, Campaign], tls_identity: TlsIdentity
) -> None:
    result, _ = relayed_run("mutant:to-all", world, tls_identity)
    assert {v.check for v in result.violations} >= {"exposed-recipients"}


def test_postfix_retries_temporary_refusals_and_the_run_still_passes(
    world: tuple[Roster, Campaign], tls_identity: TlsIdentity
) -> None:
    faults = FaultPlan.parse(["rcpt:451:0.2", "data:451:0.2"], seed=5)
    result, sink = relayed_run("reference", world, tls_identity, faults)
    assert sink.refusals(), "no fault was injected: the test proves nothing"
    assert result.passed, [v.check for v in result.violations]
