"""Faults at the API front doors: seeded like the SMTP ones, every refusal recorded."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from harness.sink.faults import FaultError, FaultPlan, parse_rule
from harness.sink.server import CaptureSink
from tests.api.conftest import post
from tests.api.test_sendgrid import KEY, minimal


@pytest.mark.parametrize("code", [429, 500])
def test_a_refused_call_gets_the_providers_error_with_retry_after(code: int) -> None:
    with CaptureSink(faults=FaultPlan.parse([f"api:{code}:1"])) as sink:
        url = sink.api_urls["sendgrid"] + "/v3/mail/send"
        status, answer, headers = post(url, minimal(), KEY)
        assert status == code
        assert answer["errors"][0]["message"] == "mailharness fault injection"
        assert headers["Retry-After"] == "1"
        assert sink.messages() == []
        [refusal] = sink.refusals()
        assert (refusal.front_door, refusal.stage, refusal.reply[:3]) == (
            "sendgrid",
            "request",
            str(code),
        )


def test_a_timeout_stores_the_call_then_answers_after_the_client_gave_up() -> None:
    with CaptureSink(faults=FaultPlan.parse(["api:timeout:1:1.5"])) as sink:
        request = urllib.request.Request(
            sink.api_urls["sendgrid"] + "/v3/mail/send",
            data=b'{"personalizations": [{"to": [{"email": "a@example.com"}]}], "from": '
            b'{"email": "o@school.example.org"}, "subject": "s", "content": [{"type": '
            b'"text/plain", "value": "x"}]}',
            headers={**KEY, "Content-Type": "application/json"},
        )
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            urllib.request.urlopen(request, timeout=0.3)
        assert sink.wait_idle(grace=0.0, timeout=30)
        assert [m.rcpt_tos for m in sink.messages()] == [("a@example.com",)]
        assert sink.refusals() == []


def test_the_same_seed_gives_the_same_faults_to_a_sequential_client() -> None:
    def statuses(seed: int) -> list[int]:
        with CaptureSink(faults=FaultPlan.parse(["api:429:0.5"], seed)) as sink:
            url = sink.api_urls["postmark"] + "/email"
            token = {"X-Postmark-Server-Token": "t"}
            one = {"From": "o@school.example.org", "To": "a@example.com", "TextBody": "x"}
            return [post(url, one, token)[0] for _ in range(12)]

    first = statuses(7)
    assert first == statuses(7)
    assert set(first) == {200, 429}


def test_api_fault_rules_parse_and_bad_ones_are_one_clear_error() -> None:
    assert str(parse_rule("api:timeout:0.1:5")) == "api:timeout:0.1:5"
    assert parse_rule("api:429:0.2").code == 429
    for bad, reason in [
        ("api:slow:0.1", "at api the action must be a reply code or timeout"),
        ("api:drop:0.1", "at api the action must be a reply code or timeout"),
        ("data:timeout:0.1", "at data the action must be a reply code, drop or slow"),
        ("api:429:0.1:3", "only a slow or timeout fault takes a delay"),
    ]:
        with pytest.raises(FaultError, match=reason):
            parse_rule(bad)
