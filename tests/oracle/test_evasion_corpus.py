"""The evasion corpus (fixtures/evasion/): every file hides one stranger's data in one way and
is caught, naming exactly that stranger, by the real Judge; no clean twin fires anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.oracle.checks import Judge, Violation
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.io import load_roster
from harness.sink.capture import CapturedMessage

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "evasion"
MANIFEST: dict[str, dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())
ROSTER = load_roster(CORPUS / "roster.json")
CAMPAIGN = Campaign(
    id="tdap-2024",
    kind="vaccine",
    sender="nurse@district.example.org",
    subject="Immunization records for {student_first_name} {student_last_name}",
    text="Dear {contact_first_name} {contact_last_name},\n{student_first_name} "
    "{student_last_name} ({student_id}) is missing: {detail}.\n",
    html=None,
    selected=tuple(s.id for s in ROSTER.students),
    details={s.id: "Tdap" for s in ROSTER.students},
)
PLAN = Plan(ROSTER, CAMPAIGN)
INDEX = TokenIndex.build(ROSTER)

DIRTY = sorted(name for name, entry in MANIFEST.items() if entry["check"])
CLEAN = sorted(name for name, entry in MANIFEST.items() if not entry["check"])


def cases(names: list[str]) -> list[Any]:
    """The files as parameters, those of tens of megabytes decompressed marked slow."""
    return [
        pytest.param(name, marks=pytest.mark.slow) if MANIFEST[name].get("slow") else name
        for name in names
    ]


def judged(name: str) -> list[Violation]:
    """The violations of one file judged as the only copy, to its recipient."""
    message = CapturedMessage(
        seq=1,
        mail_from=CAMPAIGN.sender,
        rcpt_tos=(MANIFEST[name]["recipient"],),
        raw=(CORPUS / name).read_bytes(),
        peer="127.0.0.1:40000",
        session=1,
        received_at=0.0,
    )
    judge = Judge(PLAN, INDEX)
    judge.judge_message(message)
    return judge.violations


def test_the_corpus_is_complete_and_every_file_is_in_the_manifest() -> None:
    on_disk = {path.name for path in CORPUS.glob("*.eml")}
    assert on_disk == set(MANIFEST)
    assert len(DIRTY) >= 25
    assert {name.removesuffix(".clean.eml") for name in CLEAN} == {
        name.removesuffix(".eml") for name in DIRTY
    }


@pytest.mark.parametrize("name", cases(DIRTY))
def test_each_hidden_leak_is_caught_naming_the_right_student(name: str) -> None:
    expected = MANIFEST[name]
    (violation,) = judged(name)
    assert violation.check == expected["check"]
    assert violation.recipient == expected["recipient"]
    assert list(violation.students) == expected["students"]
    assert list(violation.contacts) == expected["contacts"]
    assert violation.evidence


@pytest.mark.parametrize("name", cases(CLEAN))
def test_no_clean_twin_fires(name: str) -> None:
    assert judged(name) == []


@pytest.mark.parametrize("name", cases(sorted(MANIFEST)))
def test_every_file_is_a_real_notice_about_the_recipients_own_child(name: str) -> None:
    # Each file is a correct notice to Helen about her son Lucas, plus (or not) the leak.
    judge = Judge(PLAN, INDEX)
    judge.judge_message(
        CapturedMessage(
            1,
            CAMPAIGN.sender,
            (MANIFEST[name]["recipient"],),
            (CORPUS / name).read_bytes(),
            "",
            1,
            0.0,
        )
    )
    assert judge.delivered == {(MANIFEST[name]["recipient"], "S-PK4L8C2S"): 1}
