"""A restricted-recipient card names the restricted link: the contact, the student it is
restricted for, and how they are related (report.json's `restricted_links`, report.html)."""

from __future__ import annotations

import html
from pathlib import Path

from harness.roster.generate import generate_roster
from harness.roster.io import save_roster
from harness.roster.model import normalize_address

from .conftest import load, run


def test_each_restricted_card_names_its_link(tmp_path: Path) -> None:
    roster = generate_roster(60, 3)
    roster_file = tmp_path / "roster.json"
    save_roster(roster, roster_file)
    out = tmp_path / "run"
    assert run(out, "--adapter", "mutant:restricted", "--roster", str(roster_file)) == 1
    report = load(out)
    cards = [v for v in report["violations"] if v["check"] == "restricted-recipient"]
    assert cards
    page = (out / "report.html").read_text(encoding="utf-8")
    for card in cards:
        expected = sorted(
            (link.contact_id, link.student_id, link.relationship)
            for link in roster.links
            if link.contact_restricted
            and link.student_id in card["students"]
            and normalize_address(roster.contact_by_id[link.contact_id].email or "")
            == card["recipient"]
        )
        named = sorted(
            (k["contact"], k["student"], k["relationship"]) for k in card["restricted_links"]
        )
        assert named == expected and expected
        for contact_id, student_id, relationship in expected:
            contact = roster.contact_by_id[contact_id]
            student = roster.student_by_id[student_id]
            sentence = (
                f"Restricted link: {contact.full_name} ({contact_id}), {relationship} of "
                f"{student.full_name} ({student_id}), is restricted for this student"
            )
            assert html.escape(sentence, quote=True) in page
