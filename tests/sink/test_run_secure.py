"""`run` with a sink that asks for STARTTLS and AUTH: the target reaches every adapter form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.adapters.reference import ReferenceAdapter
from harness.cli import main
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster
from harness.runner import run_once, sink_target
from harness.sink.protocol import Credentials, SinkProtocol
from harness.sink.server import CaptureSink
from harness.sink.tls import TlsIdentity

SENDERS = Path(__file__).parent.parent / "senders"


def test_sink_target_carries_credentials_tls_and_cafile(tls_identity: TlsIdentity) -> None:
    protocol = SinkProtocol(tls=tls_identity, credentials=Credentials("u", "p"))
    sink = CaptureSink(port=2525, protocol=protocol)
    target = sink_target(sink)
    assert (target.host, target.port, target.user, target.password) == ("127.0.0.1", 2525, "u", "p")
    assert (target.tls, target.cafile) == ("starttls", str(tls_identity.cert_file))
    plain = sink_target(CaptureSink(port=2525))
    assert (plain.user, plain.password, plain.tls, plain.cafile) == (None, None, "none", None)


def test_reference_sender_over_verified_starttls_and_auth(tls_identity: TlsIdentity) -> None:
    roster = generate_roster(40, 3)
    campaign = build_campaign(roster.students, "vaccine")
    protocol = SinkProtocol(
        tls=tls_identity,
        require_tls=True,
        credentials=Credentials("district", "pw"),
        auth_required=True,
    )
    with CaptureSink(protocol=protocol) as sink:
        result = run_once(roster, campaign, ReferenceAdapter(), sink, grace=0.05)
        captured = sink.messages()
    assert result.passed
    assert result.messages == len(captured) > 0
    assert {(m.tls, m.auth_user) for m in captured} == {(True, "district")}


@pytest.mark.parametrize(
    "options",
    [["--sink-tls"], ["--sink-auth", "vendor:pw"], ["--sink-tls", "--sink-auth", "vendor:pw"]],
)
def test_cmd_pipeline_gets_tls_and_auth_from_the_contract(
    tmp_path: Path, options: list[str]
) -> None:
    command = f"cmd:{sys.executable} {SENDERS / 'smtplib_sender.py'}"
    args = ["run", "--adapter", command, "--students", "40", "--seed", "4"]
    code = main([*args, *options, "--report-dir", str(tmp_path)])
    assert code == 0
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == "pass"


def test_a_pipeline_that_ignores_the_contract_is_refused(tmp_path: Path) -> None:
    # Sends in the clear and without logging in: the sink answers 530, the run is an error.
    command = f"cmd:env -u MAILHARNESS_SMTP_TLS -u MAILHARNESS_SMTP_USER {sys.executable} " + str(
        SENDERS / "smtplib_sender.py"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            "--adapter",
            command,
            "--students",
            "20",
            "--seed",
            "4",
            "--sink-tls",
            "--sink-auth",
            "vendor:pw",
            "--report-dir",
            "out",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "530" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr.split("mailharness: error")[-1]


@pytest.mark.parametrize(
    "options, needle",
    [
        (["--sink-auth", "nocolon"], "expected USER:PASS"),
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "cert.pem", "--tls-key", "key.pem"], "cannot load the TLS certificate"),
        (["--sink-auth-optional"], "needs --sink-auth"),
    ],
)
def test_bad_protocol_options_are_one_line(tmp_path: Path, options: list[str], needle: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            "--adapter",
            "reference",
            "--students",
            "5",
            "--seed",
            "1",
            *options,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("mailharness: error")]
    assert needle in line
