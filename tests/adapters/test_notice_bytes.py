"""The reference's notices as bytes show a recipient what compose_notice's EmailMessage shows."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest

from harness.adapters.compose import compose_notice, greeted_contact
from harness.adapters.notice_bytes import notice_bytes
from harness.oracle.plan import Plan
from harness.roster.campaign import CAMPAIGN_KINDS, Attachment, build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Contact, Student


def seen(message: EmailMessage) -> dict[str, object]:
    """What a recipient reads: the headers decoded, each part's content and file name."""
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        if isinstance(content, str):  # as_bytes() writes LF line ends, SMTP wants CRLF
            content = content.replace("\r\n", "\n")
        parts.append((part.get_content_type(), part.get_filename(), content))
    return {
        "from": str(message["From"]),
        "to": [(" ".join(a.display_name.split()), a.addr_spec) for a in message["To"].addresses],
        "subject": str(message["Subject"]),
        "parts": parts,
    }


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("kind", sorted(CAMPAIGN_KINDS))
def test_every_notice_of_a_roster_reads_the_same(kind: str) -> None:
    roster = generate_roster(120, seed=5)
    plan = Plan(roster, build_campaign(roster.students, kind))
    compared = 0
    for student_id, addresses in plan.recipients.items():
        student = roster.student_by_id[student_id]
        for address in addresses:
            contact = greeted_contact(roster, student_id, address)
            built = notice_bytes(plan.campaign, student, contact)
            assert b"\n" not in built.replace(b"\r\n", b"")  # CRLF line ends only
            assert max(map(len, built.split(b"\r\n"))) <= 998
            expected = seen(parse(compose_notice(plan.campaign, student, contact).as_bytes()))
            assert seen(parse(built)) == expected
            compared += 1
    assert compared > 20


def test_non_ascii_headers_long_lines_and_an_attachment() -> None:
    student = Student("S-7Q3K9X2M", "José María", "Núñez-Gómez", 5, "Søndre Skole", "2015-01-01")
    contact = Contact("C-1", 'Zoë, "Bea"', "Đặng " * 12, "zoe@example.com")
    campaign = build_campaign((student,), "attendance", sender="École <nurse@district.example.org>")
    campaign = type(campaign)(
        **{
            **campaign.__dict__,
            "subject": "Avis d\u2019absence: {student_first_name} {student_last_name} " * 3,
            "html": "<p>{student_first_name} — {detail}</p>" + "<i>x</i>" * 200,
            "details": {student.id: "3 absences"},
            "attachment": Attachment("liste élèves.csv", "text/csv", "{student_id},{school}\n"),
        }
    )
    built = parse(notice_bytes(campaign, student, contact))
    assert seen(built) == seen(parse(compose_notice(campaign, student, contact).as_bytes()))
