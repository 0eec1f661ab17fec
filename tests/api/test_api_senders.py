"""Pipelines that send through an email API, tested like SMTP ones: the providers' SDK senders
in examples/senders/ pass, and each provider's classic mistake is caught, in-process (the bug
zoo's API mutants) and through `cmd:` (the example senders' --bug)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.adapters.base import SmtpTarget
from harness.adapters.command import command_env
from harness.adapters.http_adapter import smtp_document
from harness.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "senders"
CORRECT = {
    "sendgrid": f"cmd:{sys.executable} {EXAMPLES / 'sendgrid_sender.py'}",
    "postmark": f"cmd:{sys.executable} {EXAMPLES / 'postmark_sender.py'}",
    "mailgun": f"cmd:{sys.executable} {EXAMPLES / 'mailgun_sender.py'}",
    "ses": f"cmd:{sys.executable} {EXAMPLES / 'ses_sender.py'}",
}
# The same mistake twice: in-process (mutant:) and through cmd: (the SDK sender's --bug).
CAUGHT = {
    "mutant:sendgrid-shared-personalization": "exposed-recipients",
    "mutant:postmark-batch-resend": "duplicate-notice",
    CORRECT["sendgrid"] + " --bug shared-personalization": "exposed-recipients",
    CORRECT["postmark"] + " --bug resend-batch": "duplicate-notice",
    "mutant:mailgun-no-recipient-variables": "exposed-recipients",
    "mutant:ses-raw-bcc-header": "exposed-recipients",
    "mutant:ses-bulk-shift": "foreign-student-data",
    CORRECT["mailgun"] + " --bug no-recipient-variables": "exposed-recipients",
    CORRECT["ses"] + " --bug raw-bcc-header": "exposed-recipients",
    CORRECT["ses"] + " --bug bulk-shift": "foreign-student-data",
}


def run(tmp_path: Path, adapter: str, seed: int, students: int = 60) -> tuple[int, dict[str, Any]]:
    report_dir = tmp_path / f"seed-{seed}"
    code = main(
        ["run", "--adapter", adapter, "--students", str(students), "--seed", str(seed),
         "--report-dir", str(report_dir), "--grace", "0.05", "--quiet"]
    )  # fmt: skip
    return code, json.loads((report_dir / "report.json").read_text())


@pytest.mark.parametrize("provider", sorted(CORRECT))
@pytest.mark.parametrize("seed", [1, 2])
def test_correct_sdk_sender_passes(tmp_path: Path, provider: str, seed: int) -> None:
    code, report = run(tmp_path, CORRECT[provider], seed, students=120)
    assert code == 0, report["violations"][:3]
    assert report["summary"]["copies"] == report["summary"]["expected_copies"] > 0


@pytest.mark.parametrize("adapter", sorted(CAUGHT))
def test_the_providers_classic_mistake_is_caught(tmp_path: Path, adapter: str) -> None:
    code, report = run(tmp_path, adapter, seed=1, students=120)
    assert code == 1
    assert report["summary"]["violations_by_check"].get(CAUGHT[adapter], 0) > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(300, 320))
@pytest.mark.parametrize("provider", sorted(CORRECT))
def test_correct_sdk_sender_passes_on_20_seeds(tmp_path: Path, provider: str, seed: int) -> None:
    code, report = run(tmp_path, CORRECT[provider], seed)
    assert code == 0, report["violations"][:3]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(300, 320))
@pytest.mark.parametrize("adapter", sorted(CAUGHT))
def test_the_classic_mistake_is_caught_on_20_seeds(tmp_path: Path, adapter: str, seed: int) -> None:
    code, report = run(tmp_path, adapter, seed)
    assert code == 1
    assert report["summary"]["violations_by_check"].get(CAUGHT[adapter], 0) > 0


TARGET = SmtpTarget(
    "127.0.0.1", 2525, api=(("postmark", "http://127.0.0.1:3"), ("sendgrid", "http://127.0.0.1:4"))
)


def test_cmd_pipelines_get_each_front_doors_url_and_no_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILHARNESS_SENDGRID_URL", "http://stale.example:1")
    env = command_env(TARGET, tmp_path)
    assert env["MAILHARNESS_SENDGRID_URL"] == "http://127.0.0.1:4"
    assert env["MAILHARNESS_POSTMARK_URL"] == "http://127.0.0.1:3"
    assert "MAILHARNESS_SENDGRID_URL" not in command_env(SmtpTarget("127.0.0.1", 2525), tmp_path)


def test_http_and_python_pipelines_get_the_urls() -> None:
    assert smtp_document(TARGET)["api"] == {
        "postmark": "http://127.0.0.1:3",
        "sendgrid": "http://127.0.0.1:4",
    }
    assert TARGET.api_url("sendgrid") == "http://127.0.0.1:4"
    with pytest.raises(LookupError, match="no ses front door"):
        TARGET.api_url("ses")


def test_ses_pipelines_get_what_boto3_reads_and_never_a_real_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-real-token")
    env = command_env(SmtpTarget("127.0.0.1", 2525, api=(("ses", "http://127.0.0.1:5"),)), tmp_path)
    assert env["MAILHARNESS_SES_URL"] == "http://127.0.0.1:5"
    assert env["AWS_ENDPOINT_URL_SES"] == env["AWS_ENDPOINT_URL_SESV2"] == "http://127.0.0.1:5"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_DEFAULT_REGION"]) == ("mailharness", "us-east-1")
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
