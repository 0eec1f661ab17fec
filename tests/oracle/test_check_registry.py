"""The registry is the checks: each registered check fires on its own small case, a check
dropped from the registry (or added without a case here) fails, and README's table of checks
is the registry's."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest

from harness.metamorphic import compare
from harness.oracle.checks import CHECKS, Judge, Violation
from harness.oracle.matrix import DeliveryMatrix
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.sink.capture import CapturedMessage, Refusal

from .conftest import MakeMessage

README = Path(__file__).parents[2] / "README.md"
ANN = "Ann Lee (S-AAAAAAA1) is missing Tdap"
BEN = "Ben Lee (S-AAAAAAA2) is missing Tdap"
CARA = "Cara Diaz (S-BBBBBBB1) is missing Tdap"
FAY = "Fay Kim (S-DDDDDDD1) is missing Tdap"

Case = Callable[[Roster, Campaign, MakeMessage], list[Violation]]


def judged(
    roster: Roster,
    campaign: Campaign,
    messages: list[CapturedMessage],
    refusals: Sequence[Refusal] = (),
) -> list[Violation]:
    judge = Judge(Plan(roster, campaign), TokenIndex.build(roster))
    for message in messages:
        judge.judge_message(message)
    for refusal in refusals:
        judge.note_refusal(refusal)
    return judge.finish()


def correct(message: MakeMessage) -> list[CapturedMessage]:
    return [
        message(["mia@example.com"], f"Dear Mia Lee,\n{ANN}"),
        message(["mia@example.com"], f"Dear Mia Lee,\n{BEN}"),
        message(["tom@example.com"], f"Dear Tom Lee,\n{BEN}"),
        message(["rosa@example.org"], f"Dear Rosa Diaz,\n{CARA}"),
        message(["kims@example.com"], f"Dear Gus Kim,\n{FAY}"),
    ]


def with_extra(text: str, *rcpts: str) -> Case:
    """The correct delivery plus one message."""
    return lambda roster, campaign, message: judged(
        roster, campaign, [*correct(message), message(list(rcpts), text)]
    )


def without_rosa(roster: Roster, campaign: Campaign, message: MakeMessage) -> list[Violation]:
    return judged(roster, campaign, [m for m in correct(message) if "rosa" not in m.rcpt_tos[0]])


def refused_rosa(roster: Roster, campaign: Campaign, message: MakeMessage) -> list[Violation]:
    refusal = Refusal(
        1, "rcpt", "550 5.1.1 no such user", "nurse@district.example.org",
        ("rosa@example.org",), b"", "127.0.0.1:40000", 1, 0.0,
    )  # fmt: skip
    delivered = [m for m in correct(message) if "rosa" not in m.rcpt_tos[0]]
    return judged(roster, campaign, delivered, [refusal])


def split_differently(roster: Roster, campaign: Campaign, message: MakeMessage) -> list[Violation]:
    original = DeliveryMatrix(Counter({("mia@example.com", "S-AAAAAAA1"): 1}))
    variant = DeliveryMatrix(Counter({("mia@example.com", "S-AAAAAAA2"): 1}))
    return compare("split", original, variant)


def cara_shown_anns_detail(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> list[Violation]:
    """Cara misses MMR, not Tdap: her notice shows Ann's detail under her own name."""
    details = {**campaign.details, "S-BBBBBBB1": "MMR"}
    return judged(roster, replace(campaign, details=details), correct(message))


def unreadable_attachment(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> list[Violation]:
    """Mia's copy about Ann carries a binary in a format the oracle does not read."""
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "nurse@x.example.org", "mia@example.com", "x"
    email.set_content(f"Dear Mia Lee,\n{ANN}")
    email.add_attachment(bytes(range(256)) * 16, "application", "x-unknown", filename="a.bin")
    copies = [m for m in correct(message) if ANN not in m.raw.decode()]
    first = copies[0]
    attached = CapturedMessage(99, first.mail_from, ("mia@example.com",), email.as_bytes(),
                               first.peer, first.session, 0.0)  # fmt: skip
    return judged(roster, campaign, [*copies, attached])


# One case per registered check, in the registry's order: each must fire that check.
CASES: dict[str, Case] = {
    "foreign-student-data": with_extra(f"Dear Rosa Diaz,\n{ANN}", "rosa@example.org"),
    "exposed-recipients": with_extra("Dear all,\nrosa@example.org", "mia@example.com"),
    "restricted-recipient": with_extra(f"Dear Tom Lee,\n{ANN}", "tom@example.com"),
    "wrong-detail": cara_shown_anns_detail,
    "unintended-recipient": with_extra("Dear Eve,\nhello", "eve@example.net"),
    "unrendered-template": with_extra("Dear {contact_first_name},", "mia@example.com"),
    "unreadable-content": unreadable_attachment,
    "missing-notice": without_rosa,
    "duplicate-notice": with_extra(f"Dear Mia Lee,\n{ANN}", "mia@example.com"),
    "delivery-failure": refused_rosa,
    "metamorphic-difference": split_differently,
}


def test_every_registered_check_has_a_case_and_every_case_a_check() -> None:
    assert list(CASES) == [spec.id for spec in CHECKS]


@pytest.mark.parametrize("check", sorted(CASES))
def test_each_check_fires_on_its_case(
    check: str, roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    assert judged(roster, campaign, correct(message)) == []
    fired = {v.check for v in CASES[check](roster, campaign, message)}
    assert check in fired


def test_readme_lists_the_registered_checks() -> None:
    section = README.read_text(encoding="utf-8").split("## The checks", 1)[1].split("\n## ")[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| (\w+) \|", section, re.MULTILINE)
    assert rows == [(spec.id, spec.severity) for spec in CHECKS]
