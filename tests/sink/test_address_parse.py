"""The sink's MAIL/RCPT address parse gives exactly aiosmtpd's result (it only drops its cost)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiosmtpd.smtp import SMTP

from harness.sink.handler import CaptureHandler
from harness.sink.server import _LiveSessions, _SinkSMTP

ARGUMENTS = [
    "",
    "<>",
    "<parent@example.com>",
    "<parent@example.com> SIZE=2048 BODY=8BITMIME",
    "parent@example.com",
    "parent@example.com SMTPUTF8",
    " <parent@example.com>",
    "<Jos\u00e9.N\u00fa\u00f1ez@example.org> SMTPUTF8",
    '<"quoted local"@example.com>',
    "<@relay.example:parent@example.com>",
    "<parent@[192.0.2.1]>",
    "<parent@example.com",
    "parent@",
    "@example.com",
    "<a..b@example.com>",
    "not an address",
    "<" + "x" * 70 + "@example.com>",
    "<" + "x" * 64 + "@example.com>",
]


def outcome(parse: Callable[[str], object], arg: str) -> object:
    try:
        return parse(arg)
    except Exception as err:  # aiosmtpd 1.4.6 raises IndexError on "parent@": so must we
        return type(err)


@pytest.mark.parametrize("arg", ARGUMENTS)
def test_sink_parses_addresses_as_aiosmtpd_does(arg: str) -> None:
    ours = _SinkSMTP(CaptureHandler(), _LiveSessions())
    theirs = SMTP(CaptureHandler())
    expected = outcome(theirs._getaddr, arg)
    assert outcome(ours._getaddr, arg) == expected
    assert outcome(ours._getaddr, arg) == expected  # and again, from the cache
