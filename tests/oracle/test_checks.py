"""Each check fires on its bug and stays quiet on the correct delivery next to it."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from harness.oracle.checks import CHECKS, Judge, Violation
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Contact, Link, Roster, Student
from harness.sink.capture import CapturedMessage

from .conftest import MakeMessage

ANN = "Ann Lee (S-AAAAAAA1) is missing Tdap"
BEN = "Ben Lee (S-AAAAAAA2) is missing Tdap"
CARA = "Cara Diaz (S-BBBBBBB1) is missing Tdap"
FAY = "Fay Kim (S-DDDDDDD1) is missing Tdap"


def judge(roster: Roster, campaign: Campaign, messages: list[CapturedMessage]) -> list[Violation]:
    judge = Judge(Plan(roster, campaign), TokenIndex.build(roster))
    for message in messages:
        judge.judge_message(message)
    return judge.finish()


def checks(violations: list[Violation]) -> Counter[str]:
    return Counter(v.check for v in violations)


def correct(message: MakeMessage) -> list[CapturedMessage]:
    return [
        message(["mia@example.com"], f"Dear Mia Lee,\n{ANN}"),
        message(["mia@example.com"], f"Dear Mia Lee,\n{BEN}"),
        message(["tom@example.com"], f"Dear Tom Lee,\n{BEN}"),
        message(["rosa@example.org"], f"Dear Rosa Diaz,\n{CARA}"),
        message(["KIMS@example.com"], f"Dear Gus Kim,\n{FAY}"),
    ]


def test_check_ids_and_severities_are_the_design_table() -> None:
    assert [(c.id, c.severity) for c in CHECKS] == [
        ("foreign-student-data", "critical"),
        ("exposed-recipients", "critical"),
        ("restricted-recipient", "critical"),
        ("wrong-detail", "critical"),
        ("unintended-recipient", "major"),
        ("unrendered-template", "major"),
        ("unreadable-content", "major"),
        ("missing-notice", "minor"),
        ("duplicate-notice", "minor"),
        ("delivery-failure", "minor"),
        ("metamorphic-difference", "major"),  # judged by `run --examples`, not per copy
    ]


def test_correct_delivery_is_clean(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    assert judge(roster, campaign, correct(message)) == []


def test_household_digest_is_correct(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    digest = message(["mia@example.com"], f"Dear Mia Lee,\n{ANN}\n{BEN}\nCc: Tom Lee")
    assert judge(roster, campaign, [digest, *messages[2:]]) == []


def test_foreign_student_data(roster: Roster, campaign: Campaign, message: MakeMessage) -> None:
    messages = correct(message)
    messages[3] = message(["rosa@example.org"], f"Dear Rosa Diaz,\n{CARA}\nAlso: {ANN}")
    found = judge(roster, campaign, messages)
    assert checks(found) == {"foreign-student-data": 1}
    (violation,) = found
    assert violation.recipient == "rosa@example.org"
    assert violation.students == ("S-AAAAAAA1",)
    assert violation.severity == "critical"
    assert any("s-aaaaaaa1" in e.text.casefold() for e in violation.evidence)
    assert all(e.location for e in violation.evidence)


def test_notice_swapped_between_families(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    messages[3] = message(["rosa@example.org"], f"Dear Rosa Diaz,\n{FAY}")
    messages[4] = message(["kims@example.com"], f"Dear Gus Kim,\n{CARA}")
    assert checks(judge(roster, campaign, messages)) == {
        "foreign-student-data": 2,
        "missing-notice": 2,
    }


def test_restricted_recipient(roster: Roster, campaign: Campaign, message: MakeMessage) -> None:
    leak = message(["tom@example.com"], f"Dear Tom Lee,\n{ANN}")
    found = judge(roster, campaign, [*correct(message), leak])
    assert checks(found) == {"restricted-recipient": 1}
    assert found[0].students == ("S-AAAAAAA1",)


def test_restricted_only_contact_gets_one_violation(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    # Tom restricted for both children: he is no recipient at all, and Ann's notice reaching
    # him is one restricted-recipient, not also an unintended one.
    links = tuple(
        replace(link, contact_restricted=True) if link.contact_id == "C-TOM" else link
        for link in roster.links
    )
    roster = replace(roster, links=links)
    messages = [m for m in correct(message) if m.rcpt_tos != ("tom@example.com",)]
    found = judge(roster, campaign, [*messages, message(["tom@example.com"], ANN)])
    assert checks(found) == {"restricted-recipient": 1}


@pytest.mark.parametrize(
    ("rcpt", "body", "students"),
    [
        ("ana@example.org", f"Dear Ana Diaz,\n{CARA}", ("S-BBBBBBB1",)),  # receives_mail false
        ("eve@example.net", "Dear Eve Roe,\nDan Roe (S-CCCCCCC1) is missing Tdap", ("S-CCCCCCC1",)),
        ("stranger@example.com", "Dear parent, please check your records.", ()),
    ],
    ids=["receives-mail-false", "not-selected", "unknown-address"],
)
def test_unintended_recipient(
    roster: Roster,
    campaign: Campaign,
    message: MakeMessage,
    rcpt: str,
    body: str,
    students: tuple[str, ...],
) -> None:
    found = judge(roster, campaign, [*correct(message), message([rcpt], body)])
    assert checks(found) == {"unintended-recipient": 1}
    assert found[0].students == students
    assert found[0].severity == "major"


def test_exposed_recipients_in_to(roster: Roster, campaign: Campaign, message: MakeMessage) -> None:
    messages = correct(message)
    messages[3] = message(
        ["rosa@example.org"],
        f"Dear Rosa Diaz,\n{CARA}",
        to="rosa@example.org, Mia Lee <mia@example.com>",
    )
    found = judge(roster, campaign, messages)
    assert checks(found) == {"exposed-recipients": 1}
    assert found[0].contacts == ("C-MIA",)
    assert set(found[0].students) == {"S-AAAAAAA1", "S-AAAAAAA2"}
    assert any(e.location.endswith("To") for e in found[0].evidence)


def test_leftover_bcc_header_exposes(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    messages[3] = message(
        ["rosa@example.org"], f"Dear Rosa Diaz,\n{CARA}", Bcc="kims@example.com, eve@example.net"
    )
    found = judge(roster, campaign, messages)
    assert checks(found) == {"exposed-recipients": 1}
    assert set(found[0].contacts) == {"C-GUS", "C-HANA", "C-EVE"}


def test_guardians_of_the_same_child_may_see_each_other(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    messages[1] = message(
        ["mia@example.com", "tom@example.com"],
        f"{BEN}",
        to="Mia Lee <mia@example.com>, tom@example.com",
    )
    assert judge(roster, campaign, [messages[0], messages[1], *messages[3:]]) == []


def test_missing_notice(roster: Roster, campaign: Campaign, message: MakeMessage) -> None:
    found = judge(roster, campaign, correct(message)[:-1])
    assert checks(found) == {"missing-notice": 1}
    assert (found[0].recipient, found[0].students) == ("kims@example.com", ("S-DDDDDDD1",))
    assert found[0].severity == "minor"


def test_duplicate_notice(roster: Roster, campaign: Campaign, message: MakeMessage) -> None:
    messages = correct(message)
    found = judge(roster, campaign, [*messages, message(["Rosa@Example.org"], CARA)])
    assert checks(found) == {"duplicate-notice": 1}
    assert (found[0].recipient, found[0].students) == ("rosa@example.org", ("S-BBBBBBB1",))


def test_same_recipient_twice_in_one_envelope_is_two_copies(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    messages[3] = message(["rosa@example.org", "rosa@example.org"], CARA, to="rosa@example.org")
    assert checks(judge(roster, campaign, messages)) == {"duplicate-notice": 1}


def test_ambiguous_name_is_never_flagged_on_its_own(message: MakeMessage) -> None:
    # Two students called Ann Lee in two families.
    roster = Roster(
        students=(
            Student("S-ANN00001", "Ann", "Lee", 2, "North", "2018-01-01", {}),
            Student("S-ANN00002", "Ann", "Lee", 4, "South", "2016-01-01", {}),
            Student("S-OTHER001", "Zed", "Poe", 4, "South", "2016-01-01", {}),
        ),
        contacts=(
            Contact("C-1", "Kay", "Lee", "kay@example.com"),
            Contact("C-2", "Ray", "Lee", "ray@example.com"),
            Contact("C-3", "Uma", "Poe", "uma@example.com"),
        ),
        links=(
            Link("S-ANN00001", "C-1", "mother", True, False),
            Link("S-ANN00002", "C-2", "father", True, False),
            Link("S-OTHER001", "C-3", "mother", True, False),
        ),
    )
    campaign = Campaign(
        "c", "vaccine", "nurse@example.org", "s", "t", None, ("S-ANN00001", "S-ANN00002")
    )
    kay = message(["kay@example.com"], "About Ann Lee: S-ANN00001")
    ray = message(["ray@example.com"], "About Ann Lee: S-ANN00002")
    assert judge(roster, campaign, [kay, ray]) == []
    stranger = message(["uma@example.com"], "About Ann Lee")
    found = checks(judge(roster, campaign, [kay, ray, stranger]))
    assert found["foreign-student-data"] == 1
