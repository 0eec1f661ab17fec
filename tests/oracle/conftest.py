"""A small hand-built roster whose every flag is known, and a way to fake captured messages."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from itertools import count

import pytest

from harness.roster.campaign import Campaign
from harness.roster.model import Contact, Link, Roster, Student
from harness.sink.capture import CapturedMessage


def student(sid: str, first: str, last: str, grade: int = 5) -> Student:
    return Student(sid, first, last, grade, "Maple Grove Elementary", "2015-04-01", {})


def link(sid: str, cid: str, *, mail: bool = True, restricted: bool = False) -> Link:
    return Link(sid, cid, "guardian", receives_mail=mail, contact_restricted=restricted)


@pytest.fixture
def roster() -> Roster:
    """Family A: siblings Ann and Ben Lee; mother Mia gets mail for both; father Tom is
    restricted for Ann only. Family B: Cara Diaz; Rosa gets mail, Luis has no email, Ana does
    not receive mail. Family C: Dan Roe, not selected. Family D: Fay Kim, two contacts on one
    family mailbox (written in two cases)."""
    return Roster(
        students=(
            student("S-AAAAAAA1", "Ann", "Lee"),
            student("S-AAAAAAA2", "Ben", "Lee", grade=3),
            student("S-BBBBBBB1", "Cara", "Diaz"),
            student("S-CCCCCCC1", "Dan", "Roe"),
            student("S-DDDDDDD1", "Fay", "Kim"),
        ),
        contacts=(
            Contact("C-MIA", "Mia", "Lee", "mia@example.com"),
            Contact("C-TOM", "Tom", "Lee", "tom@example.com"),
            Contact("C-ROSA", "Rosa", "Diaz", "rosa@example.org"),
            Contact("C-LUIS", "Luis", "Diaz", None),
            Contact("C-ANA", "Ana", "Diaz", "ana@example.org"),
            Contact("C-EVE", "Eve", "Roe", "eve@example.net"),
            Contact("C-GUS", "Gus", "Kim", "kims@example.com"),
            Contact("C-HANA", "Hana", "Kim", " KIMS@Example.com "),
        ),
        links=(
            link("S-AAAAAAA1", "C-MIA"),
            link("S-AAAAAAA2", "C-MIA"),
            link("S-AAAAAAA1", "C-TOM", restricted=True),
            link("S-AAAAAAA2", "C-TOM"),
            link("S-BBBBBBB1", "C-ROSA"),
            link("S-BBBBBBB1", "C-LUIS"),
            link("S-BBBBBBB1", "C-ANA", mail=False),
            link("S-CCCCCCC1", "C-EVE"),
            link("S-DDDDDDD1", "C-GUS"),
            link("S-DDDDDDD1", "C-HANA"),
        ),
    )


@pytest.fixture
def campaign() -> Campaign:
    selected = ("S-AAAAAAA1", "S-AAAAAAA2", "S-BBBBBBB1", "S-DDDDDDD1")
    return Campaign(
        id="vaccine-1",
        kind="vaccine",
        sender="nurse@district.example.org",
        subject="Records for {student_first_name} {student_last_name}",
        text="Dear {contact_first_name},\n{student_first_name} {student_last_name} "
        "({student_id}) is missing: {detail}\n",
        html=None,
        selected=selected,
        details=dict.fromkeys(selected, "Tdap"),
    )


MakeMessage = Callable[..., CapturedMessage]


@pytest.fixture
def message() -> MakeMessage:
    """message(rcpts, body, to=..., **headers) -> a captured message as the sink records it."""
    seq = count(1)

    def make(
        rcpts: list[str], body: str, *, to: str | None = None, **headers: str
    ) -> CapturedMessage:
        email = EmailMessage()
        email["From"] = "nurse@district.example.org"
        email["To"] = to if to is not None else ", ".join(rcpts)
        email["Subject"] = headers.pop("subject", "Immunization records")
        for name, value in headers.items():
            email[name.replace("_", "-")] = value
        email.set_content(body)
        return CapturedMessage(
            seq=next(seq),
            mail_from="nurse@district.example.org",
            rcpt_tos=tuple(rcpts),
            raw=email.as_bytes(),
            peer="127.0.0.1:40000",
            session=1,
            received_at=0.0,
        )

    return make
