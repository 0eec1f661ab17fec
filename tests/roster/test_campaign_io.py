"""Campaign files: built-in kinds by name, files by path, one-line errors, a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import CampaignError
from harness.roster.campaign import build_campaign, render
from harness.roster.campaign_io import campaign_to_dict, load_campaign, resolve_campaign
from harness.roster.generate import generate_roster

ROSTER = generate_roster(40, seed=5)


def test_round_trip(tmp_path: Path) -> None:
    campaign = build_campaign(ROSTER.students, "covid-test")
    path = tmp_path / "c.json"
    path.write_text(json.dumps(campaign_to_dict(campaign)))
    again = load_campaign(path, ROSTER)
    assert (again.id, again.kind, again.sender, again.subject, again.text) == (
        campaign.id, campaign.kind, campaign.sender, campaign.subject, campaign.text,
    )  # fmt: skip
    assert again.selected == campaign.selected
    assert again.details == campaign.details


def test_kind_by_name_and_file_by_path(tmp_path: Path) -> None:
    assert resolve_campaign(ROSTER, "attendance").kind == "attendance"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"id": "x", "kind": "vaccine", "from": "a@example.org",
                                "subject": "s", "text": "{student_id}"}))  # fmt: skip
    assert resolve_campaign(ROSTER, str(path)).id == "x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ("[]", "expected a JSON object"),
        ('{"id": "x"}', "kind: required"),
        ('{"id":"x","kind":"k","from":"f","subject":"s","text":"t","colour":1}', "unknown field"),
        ('{"id":"x","kind":"k","from":"f","subject":"s","text":"t"}', "not built in"),
        ('{"id":"x","kind":"k","from":"f","subject":"s","text":"t","students":["S-NOPE"]}',
         "students[0]: S-NOPE is not on the roster"),
        ('{"id":"x","kind":"vaccine","from":"f","subject":"{oops","text":"t"}', "malformed"),
    ],
)  # fmt: skip
def test_errors_name_the_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CampaignError) as info:
        load_campaign(path, ROSTER)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("grade {grade:d}", "text template: {grade:d}: format specs are not allowed"),
        ("{student_first_name:>999999999}", "{student_first_name:>999999999}: format specs"),
        ("{student_id!r}", "text template: {student_id!r}: conversions"),
        ("{school.upper}", "{school.upper}: attribute and index access are not allowed"),
        ("{school[0]}", "{school[0]}: attribute and index access are not allowed"),
        ("{} and {0}", "{}: a field must be named"),
    ],
)
def test_templates_take_field_names_only(tmp_path: Path, template: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "x", "kind": "vaccine", "from": "a@example.org",
                                "subject": "s", "text": template}))  # fmt: skip
    with pytest.raises(CampaignError) as info:
        load_campaign(path, ROSTER)
    assert str(info.value).startswith(f"{path}: campaign x: text template: ")
    assert message in str(info.value)


def test_render_refuses_what_validation_refuses() -> None:
    fields = {"grade": "5", "student_first_name": "Ann"}
    assert render("{{grade}} is {grade}, {student_first_name}", fields) == "{grade} is 5, Ann"
    for template in ("{grade:d}", "{grade!r}", "{student_first_name:>999999999}", "{grade.real}"):
        with pytest.raises(CampaignError):
            render(template, fields)


def test_a_campaign_file_not_in_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"id": "x", "subject": "Caf\xe9"}'.encode("latin-1"))
    with pytest.raises(
        CampaignError, match=r"latin1\.json: not UTF-8 \(invalid byte at offset 27\)"
    ):
        load_campaign(path, ROSTER)
