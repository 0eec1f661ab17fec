"""`mailharness sink`: serves until SIGINT/SIGTERM, prints arrivals, leaves a sound store."""

from __future__ import annotations

import json
import re
import signal
import smtplib
import socket
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from harness.cli import main
from harness.sink.store import CaptureStore

from .sinkproc import SinkProcess

SENDER = "nurse@district.example.org"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_prints_and_stops_cleanly(tmp_path: Path, signum: int) -> None:
    store = tmp_path / "sink.sqlite"
    sink = SinkProcess(store, cwd=tmp_path)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        for i in range(3):
            rcpts = [f"g{i}@example.com", "office@school.example.org"]
            client.sendmail(SENDER, rcpts, f"Subject: Notice {i}\r\n\r\nbody\r\n")
    assert sink.stop(signum) == 0
    out = sink.output()
    lines = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [line[:5] for line in lines] == [
        [str(i + 1), "from", SENDER, "rcpt", "2"] for i in range(3)
    ]
    assert "'Notice 2'" in out
    assert "stopped: 3 messages" in out
    assert "Traceback" not in out
    with CaptureStore(store, create=False) as again:
        assert [m.raw for m in again.iter_messages()][-1] == b"Subject: Notice 2\r\n\r\nbody\r\n"
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_restarted_sink_keeps_what_the_store_held(tmp_path: Path) -> None:
    store = tmp_path / "sink.sqlite"
    for round_ in range(2):
        sink = SinkProcess(store, "--quiet", cwd=tmp_path)
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            client.sendmail(SENDER, ["a@example.com"], f"Subject: {round_}\r\n\r\nx\r\n")
        assert sink.stop() == 0
        assert f"({round_} messages already)" in sink.output()
    with CaptureStore(store, create=False) as again:
        assert [m.seq for m in again.iter_messages()] == [1, 2]


def test_faults_are_printed_and_stored(tmp_path: Path) -> None:
    store = tmp_path / "sink.sqlite"
    sink = SinkProcess(store, "--fault", "rcpt:550:1", cwd=tmp_path)
    with (
        smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert sink.stop() == 0
    assert "refused rcpt from nurse@district.example.org to a@example.com: 550" in sink.output()
    with CaptureStore(store, create=False) as again:
        assert [r.rcpt_tos for r in again.refusals()] == [("a@example.com",)]


def test_refuses_a_non_loopback_address_without_allow_remote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sink", "--host", "0.0.0.0", "--port", "0", "--store", str(tmp_path / "s")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "refusing to listen on 0.0.0.0" in err[0]
    assert not (tmp_path / "s").exists()


def test_a_bad_fault_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sink", "--port", "0", "--fault", "rcpt:250:0.1"])
    assert code == 2
    assert "fault 'rcpt:250:0.1'" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_api_door_listens_on_the_port_given(tmp_path: Path) -> None:
    port = free_port()
    store = tmp_path / "sink.sqlite"
    sink = SinkProcess(store, "--api-port", f"postmark={port}", cwd=tmp_path)
    try:
        assert f"postmark API at http://127.0.0.1:{port}\n" in sink.output()
        others = re.findall(r"(\w+) API at http://127\.0\.0\.1:(\d+)", sink.output())
        assert {name for name, _ in others} == {"sendgrid", "postmark", "mailgun", "ses"}
        message = {"From": SENDER, "To": "a@example.com", "Subject": "Hi", "TextBody": "hello"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/email",
            data=json.dumps(message).encode(),
            headers={"Content-Type": "application/json", "X-Postmark-Server-Token": "t"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200
    finally:
        assert sink.stop() == 0
    assert "via postmark postmark-1" in sink.output()
    with CaptureStore(store, create=False) as again:
        assert [m.front_door for m in again.iter_messages()] == ["postmark"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("mandrill=2600", "NAME one of sendgrid, postmark, mailgun, ses, got 'mandrill=2600'"),
        ("ses", "expected NAME=PORT"),
        ("ses=0", "ses: expected a port 1-65535, got '0'"),
        ("ses=x", "ses: expected a port 1-65535, got 'x'"),
    ],
)
def test_a_bad_api_port_is_one_line(
    capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["sink", "--port", "0", "--api-port", option])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


def test_run_serves_an_api_door_on_the_port_given() -> None:
    """`run --adapter external --api-port`: a pipeline configured by hand finds the door."""
    from harness.cli import build_parser
    from harness.commands.serving import serving

    port = free_port()
    args = build_parser().parse_args(["run", "--adapter", "external", "--api-port", f"ses={port}"])
    with serving(args, None, None) as sink:
        assert sink.api_urls["ses"] == f"http://127.0.0.1:{port}"
        assert sink.api_urls["sendgrid"] != f"http://127.0.0.1:{port}"
