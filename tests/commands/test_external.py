"""`run --adapter external`: serve, wait for a pipeline configured by hand, judge when idle."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from harness.adapters.base import SmtpTarget
from harness.adapters.mutants import MUTANTS
from harness.adapters.reference import ReferenceAdapter
from harness.cli import main
from harness.roster.campaign_io import resolve_campaign
from harness.roster.io import load_roster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def send_when_listening(port: int, input_dir: Path, adapter_name: str) -> threading.Thread:
    """A 'vendor' that reads the input the harness left and sends, once the sink is up."""

    def vendor() -> None:
        deadline = time.monotonic() + 30
        while not (input_dir / "roster.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        roster = load_roster(input_dir / "roster.json")
        campaign = resolve_campaign(roster, "vaccine")
        adapter = ReferenceAdapter() if adapter_name == "reference" else MUTANTS[adapter_name]()
        adapter.send(roster, campaign, SmtpTarget("127.0.0.1", port))

    thread = threading.Thread(target=vendor, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(("vendor", "code"), [("reference", 0), ("to-all", 1)])
def test_judges_what_a_pipeline_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], vendor: str, code: int
) -> None:
    port = free_port()
    report_dir = tmp_path / "ext"
    thread = send_when_listening(port, report_dir / "input", vendor)
    args = ["run", "--adapter", "external", "--students", "40", "--seed", "9", "--port", str(port)]
    args += ["--idle", "0.5", "--first-timeout", "30", "--report-dir", str(report_dir)]
    assert main(args) == code
    thread.join(10)
    out = capsys.readouterr().out
    assert f"point the pipeline's outgoing SMTP relay at 127.0.0.1:{port}" in out
    summary = json.loads((report_dir / "report.json").read_text())["summary"]
    assert summary["messages"] > 0


def test_no_mail_at_all_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "--adapter", "external", "--students", "10", "--seed", "1"]
    args += ["--first-timeout", "0.3", "--report-dir", str(tmp_path / "r")]
    assert main(args) == 2
    assert "no message reached the sink" in capsys.readouterr().err
    assert json.loads((tmp_path / "r" / "report.json").read_text())["verdict"] == "error"
