"""The acceptance workflow from a clean folder, as its README tells district staff to do it:
init, roster, sink, (the vendor sends), check."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.adapters.base import SmtpTarget
from harness.adapters.mutants import MUTANTS
from harness.adapters.reference import ReferenceAdapter
from harness.cli import main
from harness.commands.options import ProtocolOptions
from harness.roster.campaign_io import load_campaign
from harness.roster.oneroster import read_bundle
from harness.sink.store import CaptureStore


def mailharness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the sink never listened")


@pytest.mark.parametrize(
    ("vendor", "expected_code", "check"),
    [("reference", 0, None), ("to-all", 1, "exposed-recipients")],
)
def test_walk_through_from_a_clean_folder(
    tmp_path: Path, vendor: str, expected_code: int, check: str | None
) -> None:
    assert (
        mailharness("acceptance", "init", "suite", "--students", "60", cwd=tmp_path).returncode == 0
    )
    suite = tmp_path / "suite"
    assert {p.name for p in suite.iterdir()} == {"mailharness.toml", "tox.ini", "README.md"}

    step = mailharness("acceptance", "roster", "suite", cwd=tmp_path)
    assert step.returncode == 0, step.stderr
    assert (suite / "roster" / "users.csv").exists()
    assert (suite / "campaigns" / "vaccine.json").exists()

    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "harness", "acceptance", "sink", "suite", "--campaign", "vaccine",
         "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_listening(port, sink)
        # The vendor's system: it loaded the bundle and the campaign file, and sends.
        roster = read_bundle(suite / "roster")
        campaign = load_campaign(suite / "campaigns" / "vaccine.json", roster)
        adapter = ReferenceAdapter() if vendor == "reference" else MUTANTS[vendor]()
        adapter.send(roster, campaign, SmtpTarget("127.0.0.1", port))
    finally:
        sink.send_signal(signal.SIGINT)
        out, err = sink.communicate(timeout=30)
    assert sink.returncode == 0, err
    assert out.strip(), "the sink prints a line per message"

    step = mailharness("acceptance", "check", "suite", cwd=tmp_path)
    assert step.returncode == expected_code, step.stdout + step.stderr
    report = json.loads((suite / "reports" / "vaccine" / "report.json").read_text())
    if check:
        assert report["summary"]["violations_by_check"][check] > 0
    else:
        assert report["verdict"] == "pass"
    assert not (suite / "reports" / "covid-test").exists()  # nothing recorded for it


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["acceptance", "init", str(tmp_path)]) == 0
    assert main(["acceptance", "init", str(tmp_path)]) == 2
    assert "already here" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("port = 2525", "port = 'x'"), "port: expected int"),
        (lambda text: text.replace('"covid-test"]', '"lottery"]'), "unknown kind 'lottery'"),
        (lambda text: text + "[[oops", "not valid TOML"),
        (lambda text: text.replace("students = 300", "students = 0"), "students: must be at"),
        (lambda text: text.replace('format = "oneroster1.1"', 'format = "csv"'), "format: expect"),
    ],
)
def test_config_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object, message: str
) -> None:
    main(["acceptance", "init", str(tmp_path)])
    config = tmp_path / "mailharness.toml"
    config.write_text(edit(config.read_text()))  # type: ignore[operator]
    capsys.readouterr()
    assert main(["acceptance", "roster", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "mailharness.toml" in err and len(err.splitlines()) == 1


def test_check_before_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["acceptance", "init", str(tmp_path), "--students", "20"])
    assert main(["acceptance", "check", str(tmp_path)]) == 2
    assert "run the sink step first" in capsys.readouterr().err


def test_check_judges_the_other_campaigns_past_one_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["acceptance", "init", str(tmp_path), "--students", "20"])
    assert main(["acceptance", "roster", str(tmp_path)]) == 0
    (tmp_path / "capture").mkdir()
    (tmp_path / "capture" / "vaccine.sqlite").write_text("not a store")
    with CaptureStore(tmp_path / "capture" / "covid-test.sqlite"):
        pass  # recorded, and nothing came: every notice is missing
    capsys.readouterr()

    assert main(["acceptance", "check", str(tmp_path)]) == 2  # the worst of error and fail
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"mailharness: error: store {tmp_path / 'capture' / 'vaccine.sqlite'}: "
        "not a mailharness capture store (file is not a database)"
    ]
    judged = json.loads((tmp_path / "reports" / "covid-test" / "report.json").read_text())
    assert judged["summary"]["violations_by_check"]["missing-notice"] > 0


def test_sink_step_serves_the_configured_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["acceptance", "init", str(tmp_path), "--port", "2600"])
    config = tmp_path / "mailharness.toml"
    text = config.read_text().replace("tls = false", "tls = true")
    config.write_text(text.replace('auth = ""', 'auth = "vendor:secret"'))
    calls = []
    monkeypatch.setattr(
        "harness.commands.sink.record", lambda *args, **kwargs: calls.append((args, kwargs)) or 0
    )

    assert main(["acceptance", "sink", str(tmp_path), "--campaign", "covid-test"]) == 0
    assert main(["acceptance", "sink", str(tmp_path), "--campaign", "vaccine", "--port", "7"]) == 0
    store = tmp_path / "capture" / "covid-test.sqlite"
    protocol = ProtocolOptions(tls=True, auth="vendor:secret")
    assert calls[0] == (("127.0.0.1", 2600, store), {"protocol": protocol})
    assert calls[1][0][1] == 7
