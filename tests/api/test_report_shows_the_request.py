"""A violation in a message that came through an email API points at the call: report.json
and report.html show its front door, its call and the part of the request it was built from."""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main


def test_the_report_shows_the_front_door_and_the_request(tmp_path: Path) -> None:
    code = main(
        ["run", "--adapter", "mutant:sendgrid-shared-personalization", "--students", "20",
         "--seed", "1", "--report-dir", str(tmp_path), "--quiet"]
    )  # fmt: skip
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    flagged = report["messages"][str(report["violations"][0]["message"])]
    assert flagged["Front door"].startswith("sendgrid (call sendgrid-")
    request = json.loads(flagged["Request"])
    assert request["request"] == "POST /v3/mail/send"
    assert request["to"]  # the personalization's own `to`: the leak's cause
    page = (tmp_path / "report.html").read_text()
    assert "Front door" in page and "POST /v3/mail/send" in page


def test_smtp_messages_show_no_front_door(tmp_path: Path) -> None:
    code = main(
        ["run", "--adapter", "mutant:to-all", "--students", "20", "--seed", "1",
         "--report-dir", str(tmp_path), "--quiet"]
    )  # fmt: skip
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert all("Front door" not in headers for headers in report["messages"].values())
