"""The campaign input a pipeline receives: campaign.json, notices.csv, contacts.csv and
roster.json (docs/contract.md, the `cmd:` contract). `cmd:` writes it as files, `http:` posts it as
one JSON document; both build it here. campaign.json is the campaign file's own format
(`roster.campaign_io.campaign_document`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from harness.errors import CampaignError
from harness.roster.campaign import Campaign
from harness.roster.campaign_io import campaign_document
from harness.roster.io import roster_to_dict, save_roster
from harness.roster.model import Roster

NOTICES_HEADER = ("student_id", "first_name", "last_name", "grade", "school", "detail")
CONTACTS_HEADER = (
    "student_id",
    "contact_id",
    "first_name",
    "last_name",
    "email",
    "relationship",
    "receives_mail",
    "contact_restricted",
    "language",
)


def notice_rows(roster: Roster, campaign: Campaign) -> list[dict[str, str]]:
    """notices.csv: one row per selected student."""
    rows = []
    for student_id in campaign.selected:
        student = roster.student_by_id.get(student_id)
        if student is None:
            raise CampaignError(
                f"campaign {campaign.id} selects {student_id}, who is not on the roster"
            )
        values = (
            student.id,
            student.first_name,
            student.last_name,
            str(student.grade),
            student.school,
            campaign.details.get(student.id, ""),
        )
        rows.append(dict(zip(NOTICES_HEADER, values, strict=True)))
    return rows


def contact_rows(roster: Roster) -> list[dict[str, str]]:
    """contacts.csv: one row per student-contact link, for every student on the roster."""
    rows = []
    for student in roster.students:
        for link in roster.links_by_student.get(student.id, ()):
            contact = roster.contact_by_id[link.contact_id]
            values = (
                link.student_id,
                contact.id,
                contact.first_name,
                contact.last_name,
                contact.email or "",
                link.relationship,
                _bool(link.receives_mail),
                _bool(link.contact_restricted),
                contact.language,
            )
            rows.append(dict(zip(CONTACTS_HEADER, values, strict=True)))
    return rows


def input_document(roster: Roster, campaign: Campaign) -> dict[str, Any]:
    """The whole input as one JSON document: what `http:` posts."""
    return {
        "campaign": campaign_document(campaign),
        "notices": notice_rows(roster, campaign),
        "contacts": contact_rows(roster),
        "roster": roster_to_dict(roster),
    }


def write_input_dir(directory: Path, roster: Roster, campaign: Campaign) -> None:
    """campaign.json, notices.csv, contacts.csv and roster.json, as the contract says."""
    (directory / "campaign.json").write_text(
        json.dumps(campaign_document(campaign), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    _write_csv(directory / "notices.csv", NOTICES_HEADER, notice_rows(roster, campaign))
    _write_csv(directory / "contacts.csv", CONTACTS_HEADER, contact_rows(roster))
    save_roster(roster, directory / "roster.json")


def _write_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _bool(value: bool) -> str:
    return "true" if value else "false"
