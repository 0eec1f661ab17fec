"""harness.check_pipeline: a pass returns the result; a failure is an AssertionError a person
can read, with a command that reproduces it."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

import harness
from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.compose import per_recipient_notices, send_all
from harness.adapters.mutants import JoinShift
from harness.adapters.recipients import Mailing
from harness.cli import main
from harness.errors import AdapterError
from harness.pipeline_check import PipelineFailure, as_adapter, check_pipeline
from harness.roster.campaign import Campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster

ROSTER = generate_roster(30, 9)


def correct_sender(roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> None:
    send_all(smtp, per_recipient_notices(Mailing(roster, campaign)))


def copies_everything_to_one_parent(roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> None:
    outgoing = per_recipient_notices(Mailing(roster, campaign))
    first = outgoing[0].rcpt_tos
    send_all(smtp, [type(item)(item.mail_from, first, item.message) for item in outgoing])


def test_public_name() -> None:
    assert harness.check_pipeline is check_pipeline
    assert issubclass(harness.PipelineFailure, AssertionError)


@pytest.mark.parametrize("adapter", ["reference", correct_sender])
def test_a_correct_pipeline_passes(adapter: object) -> None:
    result = check_pipeline(adapter, ROSTER, "covid-test")  # type: ignore[arg-type]
    assert result.passed
    assert result.copies == result.plan.expected_copies > 0


def test_a_failure_lists_check_severity_recipient_students_and_evidence(tmp_path: Path) -> None:
    with pytest.raises(AssertionError) as caught:
        check_pipeline("mutant:join-shift", ROSTER, reproduce_dir=tmp_path)
    failure = caught.value
    assert isinstance(failure, PipelineFailure)
    text = str(failure)
    first = next(v for v in failure.violations if v.check == "foreign-student-data")
    student = ROSTER.student_by_id[first.students[0]]
    line = f"critical foreign-student-data to {first.recipient}: {student.id} ({student.full_name})"
    assert line in text
    assert f"{first.evidence[0].location}: " in text
    assert text.splitlines()[0].startswith("pipeline mutant:join-shift broke ")


def test_the_reproduce_command_reproduces(tmp_path: Path) -> None:
    with pytest.raises(PipelineFailure) as caught:
        check_pipeline("mutant:join-shift", ROSTER, "attendance", reproduce_dir=tmp_path / "r")
    command = caught.value.reproduce
    assert command is not None
    assert str(caught.value).splitlines()[-1] == f"Reproduce with: {command}"
    args = shlex.split(command)
    assert args[:4] == ["mailharness", "run", "--adapter", "mutant:join-shift"]
    code = main([*args[1:], "--report-dir", str(tmp_path / "out"), "--grace", "0"])
    assert code == 1


def test_a_custom_campaign_is_written_for_the_reproduction(tmp_path: Path) -> None:
    from harness.roster.campaign import build_campaign

    campaign = build_campaign(ROSTER.students, "vaccine", campaign_id="custom-7")
    with pytest.raises(PipelineFailure) as caught:
        check_pipeline("mutant:restricted", ROSTER, campaign, reproduce_dir=tmp_path)
    command = caught.value.reproduce or ""
    campaign_file = shlex.split(command)[-1]
    assert campaign_file.endswith(".json") and Path(campaign_file).is_file()
    code = main([*shlex.split(command)[1:], "--report-dir", str(tmp_path / "out")])
    assert code == 1


def test_a_plain_function_that_leaks_is_named_and_reproducible(tmp_path: Path) -> None:
    with pytest.raises(PipelineFailure) as caught:
        check_pipeline(copies_everything_to_one_parent, ROSTER, reproduce_dir=tmp_path)
    spec = f"python:{__name__}:copies_everything_to_one_parent"
    assert str(caught.value).startswith(f"pipeline {spec} broke")
    assert f"--adapter {spec}" in (caught.value.reproduce or "")


def test_a_local_function_has_no_reproduce_line(tmp_path: Path) -> None:
    def leaks(roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> None:
        copies_everything_to_one_parent(roster, campaign, smtp)

    with pytest.raises(PipelineFailure) as caught:
        check_pipeline(leaks, ROSTER, reproduce_dir=tmp_path)
    assert caught.value.reproduce is None
    assert "Reproduce with" not in str(caught.value)


def test_an_adapter_object_keeps_its_state() -> None:
    adapter = JoinShift()
    assert as_adapter(adapter) is adapter
    with pytest.raises(PipelineFailure):
        check_pipeline(adapter, ROSTER)


def test_a_crashing_function_is_an_adapter_error_not_a_pass() -> None:
    def crashes(roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        raise RuntimeError("template missing")

    with pytest.raises(AdapterError, match="raised RuntimeError: template missing"):
        check_pipeline(crashes, ROSTER)


def test_not_an_adapter() -> None:
    with pytest.raises(TypeError, match="spec string, an Adapter or a function"):
        as_adapter(42)  # type: ignore[arg-type]


def test_many_violations_are_counted_not_all_listed() -> None:
    with pytest.raises(PipelineFailure) as caught:
        check_pipeline("mutant:to-all", ROSTER)
    severities = ("  critical ", "  major ", "  minor ")
    listed = [line for line in str(caught.value).splitlines() if line.startswith(severities)]
    assert len(listed) == 10
    assert f"... and {len(caught.value.violations) - 10} more" in str(caught.value)
