"""The vendor's side of the `cmd:` contract, stdlib only: read the input directory and choose
recipients the way docs/contract.md says a correct pipeline must.

The example senders beside this file (Django, mailmerge) import it; copy it into your own
pipeline if you like. Choosing recipients is the pipeline's job: the harness only judges.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Send:
    """One copy to send: the notice (a notices.csv row), the address, the greeted contact."""

    notice: dict[str, str]
    address: str
    contact: dict[str, str]

    def fields(self) -> dict[str, str]:
        """The template fields of campaign.json, for this copy."""
        return {
            "student_first_name": self.notice["first_name"],
            "student_last_name": self.notice["last_name"],
            "student_id": self.notice["student_id"],
            "school": self.notice["school"],
            "grade": self.notice["grade"],
            "detail": self.notice["detail"],
            "contact_first_name": self.contact["first_name"],
            "contact_last_name": self.contact["last_name"],
        }


@dataclass(frozen=True)
class Inputs:
    campaign: dict[str, str]
    notices: list[dict[str, str]]
    contacts: list[dict[str, str]]

    @classmethod
    def from_environment(cls) -> Inputs:
        directory = Path(os.environ["MAILHARNESS_INPUT_DIR"])
        campaign = json.loads((directory / "campaign.json").read_text(encoding="utf-8"))
        return cls(campaign, _rows(directory / "notices.csv"), _rows(directory / "contacts.csv"))

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Inputs:
        """The same input as posted by the `http:` adapter (one JSON document)."""
        return cls(document["campaign"], document["notices"], document["contacts"])


def smtp_address() -> tuple[str, int]:
    return os.environ["MAILHARNESS_SMTP_HOST"], int(os.environ["MAILHARNESS_SMTP_PORT"])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def normalize(address: str) -> str:
    return address.strip().casefold()


def choose_sends(inputs: Inputs, *, every_contact: bool = False) -> list[Send]:
    """One Send per (address, selected student): contacts with an email, receives_mail and not
    restricted, less any address a restricted contact of the student also uses.

    every_contact=True is the classic bug: every contact row with an email, flags ignored.
    """
    links: dict[str, list[dict[str, str]]] = {}
    for row in inputs.contacts:
        links.setdefault(row["student_id"], []).append(row)
    sends = []
    for notice in inputs.notices:
        rows = [r for r in links.get(notice["student_id"], []) if r["email"].strip()]
        if every_contact:
            allowed = rows
        else:
            restricted = {normalize(r["email"]) for r in rows if r["contact_restricted"] == "true"}
            allowed = [
                r
                for r in rows
                if r["receives_mail"] == "true"
                and r["contact_restricted"] == "false"
                and normalize(r["email"]) not in restricted
            ]
        by_address: dict[str, dict[str, str]] = {}
        for row in sorted(allowed, key=lambda r: r["contact_id"]):
            by_address.setdefault(normalize(row["email"]), row)
        sends.extend(Send(notice, address, row) for address, row in sorted(by_address.items()))
    return sends
