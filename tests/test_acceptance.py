"""The acceptance workflow from a clean folder, as its README tells district staff to do it:
init, roster, sink, (the vendor sends), check."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.adapters.base import SmtpTarget
from harness.adapters.contract_input import write_input_dir
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

    step = mailharness("acceptance", "check", "suite", "--campaign", "vaccine", cwd=tmp_path)
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
        (lambda text: text.replace("mailgun = 2528", "mandrill = 2528"), "provider 'mandrill'"),
        (lambda text: text.replace("ses = 2529", "ses = 70000"), "ses: expected a port 1-65535"),
        (lambda text: text.replace("ses = 2529", "ses = 2526"), "ses: port 2526 is already send"),
        (lambda text: text.replace("ses = 2529", "ses = 2525"), "ses: port 2525 is already the s"),
        (lambda text: text.replace("ses = 2529", "ses = true"), "ses: expected int"),
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
    assert "never recorded, so not judged: vaccine, covid-test" in capsys.readouterr().err


def record_with_run(suite: Path, kind: str) -> None:
    """A recorded campaign, as `acceptance sink` leaves it: the reference sender's mail."""
    assert main(["run", "--adapter", "reference", "--roster", str(suite / "roster"),
                 "--campaign", str(suite / "campaigns" / f"{kind}.json"), "--store",
                 str(suite / "capture" / f"{kind}.sqlite"), "--report-dir",
                 str(suite / "run"), "--grace", "0.05"]) == 0  # fmt: skip


def test_check_names_every_campaign_never_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["acceptance", "init", str(tmp_path), "--students", "20"])
    assert main(["acceptance", "roster", str(tmp_path)]) == 0
    (tmp_path / "capture").mkdir()
    record_with_run(tmp_path, "vaccine")
    capsys.readouterr()
    assert main(["acceptance", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "never recorded, so not judged: covid-test" in err and "vaccine," not in err
    assert (tmp_path / "reports" / "vaccine" / "report.json").exists()  # judged all the same
    assert main(["acceptance", "check", str(tmp_path), "--campaign", "vaccine"]) == 0


def busy_port() -> socket.socket:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


@pytest.mark.parametrize(("options", "kept"), [((), False), (("--append",), True)])
def test_recording_again_starts_afresh_unless_appending(
    tmp_path: Path, options: tuple[str, ...], kept: bool
) -> None:
    main(["acceptance", "init", str(tmp_path), "--students", "20"])
    assert main(["acceptance", "roster", str(tmp_path)]) == 0
    (tmp_path / "capture").mkdir()
    record_with_run(tmp_path, "vaccine")
    store = tmp_path / "capture" / "vaccine.sqlite"
    before = store.stat().st_size
    with busy_port() as taken:  # the sink cannot start: the step ends right after preparing
        port = str(taken.getsockname()[1])
        assert main(["acceptance", "sink", str(tmp_path), "--campaign", "vaccine",
                     "--port", port, *options]) == 2  # fmt: skip
    if kept:
        assert store.stat().st_size >= before
        assert main(["acceptance", "check", str(tmp_path), "--campaign", "vaccine"]) == 0
    else:
        # A fresh, empty capture: the old copies are gone, so every notice is missing now.
        assert main(["acceptance", "check", str(tmp_path), "--campaign", "vaccine"]) == 1


def test_generated_readme_options_are_the_sink_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["acceptance", "init", str(tmp_path), "--students", "20"])
    readme = (tmp_path / "README.md").read_text()
    command = re.findall(r"`mailharness (acceptance sink [^`]*--allow-remote[^`]*)`", readme)[0]
    config = tmp_path / "mailharness.toml"
    config.write_text(config.read_text().replace('"127.0.0.1"', '"192.0.2.1"'))  # TEST-NET-1
    words = command[command.index("acceptance") :].split()
    words[2] = str(tmp_path)
    capsys.readouterr()
    assert main(words) == 2  # this machine does not have that address
    err = capsys.readouterr().err
    assert "cannot listen on 192.0.2.1" in err, err
    assert main([w for w in words if w != "--allow-remote"]) == 2
    assert "not a loopback address" in capsys.readouterr().err


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
    api_ports = {"sendgrid": 2601, "postmark": 2602, "mailgun": 2603, "ses": 2604}
    assert calls[0] == (
        ("127.0.0.1", 2600, store),
        {"protocol": protocol, "allow_remote": False, "api_ports": api_ports},
    )
    assert calls[1][0][1] == 7 and calls[1][1]["api_ports"] == api_ports


SENDERS = Path(__file__).resolve().parents[1] / "examples" / "senders"


def readme_urls(readme: str) -> dict[str, str]:
    """Provider title -> the URL the generated README tells staff to set."""
    rows = re.findall(r"^\| ([^|]+) \| [^|]+ \| `(http://[^`]+)` \|$", readme, re.MULTILINE)
    return {title.strip(): url for title, url in rows}


@pytest.mark.parametrize(
    ("sender", "provider", "variables", "expected_code", "check"),
    [
        ("sendgrid_sender.py", "SendGrid", ("MAILHARNESS_SENDGRID_URL",), 0, None),
        # boto3 finds the sink from the variables the README names, with no code change.
        (
            "ses_sender.py",
            "Amazon SES (v1 and v2)",
            ("MAILHARNESS_SES_URL", "AWS_ENDPOINT_URL_SES", "AWS_ENDPOINT_URL_SESV2"),
            0,
            None,
        ),
        (
            "mailgun_sender.py --bug no-recipient-variables",
            "Mailgun",
            ("MAILHARNESS_MAILGUN_URL",),
            1,
            "exposed-recipients",
        ),
    ],
)
def test_walk_through_with_a_vendor_that_sends_through_an_email_api(
    tmp_path: Path,
    sender: str,
    provider: str,
    variables: tuple[str, ...],
    expected_code: int,
    check: str | None,
) -> None:
    assert (
        mailharness("acceptance", "init", "suite", "--students", "40", cwd=tmp_path).returncode == 0
    )
    suite = tmp_path / "suite"
    config = suite / "mailharness.toml"
    smtp, api = (
        free_port(),
        {name: free_port() for name in ("sendgrid", "postmark", "mailgun", "ses")},
    )
    text = re.sub(r"(?m)^port = \d+", f"port = {smtp}", config.read_text())
    for name, port in api.items():  # staff may choose the ports; the README is written at init
        text = re.sub(rf"(?m)^{name} = \d+", f"{name} = {port}", text)
    config.write_text(text)
    assert mailharness("acceptance", "roster", "suite", cwd=tmp_path).returncode == 0

    sink = subprocess.Popen(
        [sys.executable, "-m", "harness", "acceptance", "sink", "suite", "--campaign", "vaccine"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for port in (smtp, *api.values()):
            wait_listening(port, sink)
        # The vendor's system loaded the bundle and the campaign, and sends through its API.
        inputs = tmp_path / "inputs"
        inputs.mkdir()
        roster = read_bundle(suite / "roster")
        write_input_dir(inputs, roster, load_campaign(suite / "campaigns" / "vaccine.json", roster))
        # Its one setting, changed to what the README says, with the port staff configured.
        url = readme_urls((suite / "README.md").read_text())[provider]
        url = re.sub(r":\d+$", f":{api[url_provider(provider)]}", url)
        env = {**os.environ, "MAILHARNESS_INPUT_DIR": str(inputs)}
        env |= dict.fromkeys(variables, url) | {"AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_ACCESS_KEY_ID": "any", "AWS_SECRET_ACCESS_KEY": "any"}  # fmt: skip
        script, *options = sender.split()
        vendor = subprocess.run([sys.executable, str(SENDERS / script), *options], env=env,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert vendor.returncode == 0, vendor.stderr
    finally:
        sink.send_signal(signal.SIGINT)
        out, err = sink.communicate(timeout=30)
    assert sink.returncode == 0, err
    name = url_provider(provider)
    assert f"{name} API at http://127.0.0.1:{api[name]}" in out  # the sink tells staff too
    assert re.search(rf"via {name} {name}-\d+\n", out)  # a line per message, with its call

    step = mailharness("acceptance", "check", "suite", "--campaign", "vaccine", cwd=tmp_path)
    assert step.returncode == expected_code, step.stdout + step.stderr
    report = json.loads((suite / "reports" / "vaccine" / "report.json").read_text())
    assert report["summary"]["messages"] > 0
    if check:
        assert report["summary"]["violations_by_check"][check] > 0
    else:
        assert report["verdict"] == "pass"


def url_provider(title: str) -> str:
    return {"SendGrid": "sendgrid", "Amazon SES (v1 and v2)": "ses", "Mailgun": "mailgun"}[title]


def test_a_suite_without_api_ports_serves_each_door_on_a_free_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["acceptance", "init", str(tmp_path)])
    config = tmp_path / "mailharness.toml"
    config.write_text(config.read_text().partition("\n[api]")[0])  # as written before [api]
    calls = []
    monkeypatch.setattr(
        "harness.commands.sink.record", lambda *args, **kwargs: calls.append(kwargs) or 0
    )
    assert main(["acceptance", "sink", str(tmp_path), "--campaign", "vaccine"]) == 0
    assert calls[0]["api_ports"] == {}


def test_a_busy_api_port_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["acceptance", "init", str(tmp_path)])
    config = tmp_path / "mailharness.toml"
    with busy_port() as taken:
        busy = taken.getsockname()[1]
        config.write_text(re.sub(r"(?m)^postmark = \d+", f"postmark = {busy}", config.read_text()))
        capsys.readouterr()
        assert main(["acceptance", "sink", str(tmp_path), "--campaign", "vaccine",
                     "--port", str(free_port())]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{busy}" in err and len(err.splitlines()) == 1
