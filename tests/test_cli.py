"""The command line: exit codes 0/1/2, report.json, and one clear line for every bad input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

SENDERS = Path(__file__).parent / "senders"


def mailharness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("mailharness: error")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_run_writes_report_with_summary_and_violations(tmp_path: Path) -> None:
    result = mailharness(
        "run",
        "--adapter",
        "mutant:to-all",
        "--students",
        "60",
        "--seed",
        "5",
        "--report-dir",
        "out",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    summary = report["summary"]
    assert summary["copies"] > 1 and summary["messages"] == 1
    assert summary["violations_by_check"]["exposed-recipients"] == summary["copies"]
    violation = report["violations"][0]
    assert set(violation) >= {"check", "severity", "recipient", "students", "evidence"}
    assert "exposed-recipients" in result.stdout and "FAIL" in result.stdout
    assert "mailharness run --adapter mutant:to-all --students 60 --seed 5" in result.stdout


def test_reference_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            "--adapter",
            "reference",
            "--students",
            "50",
            "--seed",
            "1",
            "--report-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "PASS" in capsys.readouterr().out
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == "pass"


def test_generated_roster_file_runs_the_same(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    assert (
        main(["roster", "generate", "--students", "40", "--seed", "9", "--out", str(roster)]) == 0
    )
    assert (
        main(
            [
                "run",
                "--adapter",
                "mutant:restricted",
                "--roster",
                str(roster),
                "--report-dir",
                str(tmp_path / "r"),
            ]
        )
        == 1
    )


def test_campaign_file(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    main(["roster", "generate", "--students", "30", "--seed", "2", "--out", str(roster)])
    campaign = tmp_path / "campaign.json"
    campaign.write_text(
        json.dumps(
            {
                "id": "flu-1",
                "kind": "vaccine",
                "from": "nurse@district.example.org",
                "subject": "Flu clinic for {student_first_name} {student_last_name}",
                "text": "Dear {contact_first_name}, {student_first_name} ({student_id}): {detail}",
            }
        )
    )
    assert (
        main(
            [
                "run",
                "--adapter",
                "reference",
                "--roster",
                str(roster),
                "--campaign",
                str(campaign),
                "--report-dir",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )


def test_demo_shows_a_pass_and_both_incidents(tmp_path: Path) -> None:
    result = mailharness("demo", "--students", "80", "--report-dir", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("reference") and "PASS" in line for line in lines)
    assert any(line.startswith("mutant:to-all") and "CAUGHT" in line for line in lines)
    assert any(line.startswith("mutant:join-shift") and "CAUGHT" in line for line in lines)


# --- bad input: one line, exit 2, never a traceback -------------------------------------------


def test_unknown_adapter(tmp_path: Path) -> None:
    result = mailharness("run", "--adapter", "smoke-signals", "--students", "5", cwd=tmp_path)
    assert_one_line_error(result, "smoke-signals")


def test_unknown_mutant(tmp_path: Path) -> None:
    result = mailharness("run", "--adapter", "mutant:nope", "--students", "5", cwd=tmp_path)
    assert_one_line_error(result, "nope")


def test_roster_not_json(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{students: [")
    result = mailharness("run", "--adapter", "reference", "--roster", "bad.json", cwd=tmp_path)
    assert_one_line_error(result, "bad.json")


def test_roster_breaks_schema(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    main(["roster", "generate", "--students", "5", "--seed", "1", "--out", str(roster)])
    data = json.loads(roster.read_text())
    data["students"][2]["grade"] = "ten"
    roster.write_text(json.dumps(data))
    result = mailharness("run", "--adapter", "reference", "--roster", "roster.json", cwd=tmp_path)
    assert_one_line_error(result, "roster.json", "students[2].grade")


def test_missing_roster_file(tmp_path: Path) -> None:
    result = mailharness("run", "--adapter", "reference", "--roster", "nope.json", cwd=tmp_path)
    assert_one_line_error(result, "nope.json")


def test_template_with_unknown_field(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(
        json.dumps(
            {
                "id": "c",
                "kind": "vaccine",
                "from": "nurse@district.example.org",
                "subject": "Hello {student_nickname}",
                "text": "x",
            }
        )
    )
    result = mailharness(
        "run", "--adapter", "reference", "--students", "5", "--campaign", "c.json", cwd=tmp_path
    )
    assert_one_line_error(result, "c.json", "student_nickname")


def test_unknown_campaign_kind(tmp_path: Path) -> None:
    result = mailharness(
        "run", "--adapter", "reference", "--students", "5", "--campaign", "lottery", cwd=tmp_path
    )
    assert_one_line_error(result, "lottery")


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = mailharness(
            "run", "--adapter", "reference", "--students", "5", "--port", str(port), cwd=tmp_path
        )
    assert_one_line_error(result, str(port), "in use")


def test_cmd_that_crashes(tmp_path: Path) -> None:
    command = f"cmd:{sys.executable} {SENDERS / 'crash_sender.py'}"
    result = mailharness(
        "run", "--adapter", command, "--students", "5", "--report-dir", "r", cwd=tmp_path
    )
    assert_one_line_error(result, "status 3")
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["verdict"] == "error"
    assert report["adapter"]["exit_code"] == 3
    assert report["adapter"]["stderr"]


def test_cmd_that_times_out(tmp_path: Path) -> None:
    command = f"cmd:{sys.executable} {SENDERS / 'sleep_sender.py'}"
    result = mailharness(
        "run", "--adapter", command, "--students", "5", "--timeout", "1", cwd=tmp_path
    )
    assert_one_line_error(result, "timed out")


def test_cmd_that_sends_nothing_is_not_a_pass(tmp_path: Path) -> None:
    result = mailharness(
        "run", "--adapter", "cmd:true", "--students", "20", "--seed", "1", cwd=tmp_path
    )
    assert_one_line_error(result, "no SMTP connection")


def test_bad_option_value(tmp_path: Path) -> None:
    result = mailharness("run", "--adapter", "reference", "--students", "ten", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


# --- vendor-style cmd: adapters --------------------------------------------------------------


def test_standalone_smtplib_sender_passes(tmp_path: Path) -> None:
    command = f"cmd:{sys.executable} {SENDERS / 'smtplib_sender.py'}"
    assert (
        main(
            [
                "run",
                "--adapter",
                command,
                "--students",
                "120",
                "--seed",
                "4",
                "--report-dir",
                str(tmp_path),
            ]
        )
        == 0
    )


def test_standalone_smtplib_sender_with_a_bug_is_caught(tmp_path: Path) -> None:
    command = f"cmd:{sys.executable} {SENDERS / 'smtplib_sender.py'} --bug ignore-restricted"
    assert (
        main(
            [
                "run",
                "--adapter",
                command,
                "--students",
                "120",
                "--seed",
                "4",
                "--report-dir",
                str(tmp_path),
            ]
        )
        == 1
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["violations_by_check"]["restricted-recipient"] > 0
