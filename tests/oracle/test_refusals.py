"""What the sink refused: a permanent refusal never resent is a delivery failure, not a gap."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from harness.oracle.checks import Judge, Violation
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.runner import judge_capture
from harness.sink.capture import CapturedMessage, Refusal

from .conftest import MakeMessage
from .test_checks import correct

PERMANENT = "550 5.7.1 mailharness fault injection: permanent failure"
TEMPORARY = "451 4.3.0 mailharness fault injection: temporary failure"


def refusal(stage: str, reply: str, rcpts: tuple[str, ...], raw: bytes = b"") -> Refusal:
    return Refusal(1, stage, reply, "nurse@district.example.org", rcpts, raw, "p", 1, 0.0)


def judged(
    roster: Roster, campaign: Campaign, messages: list[CapturedMessage], refusals: list[Refusal]
) -> Counter[str]:
    judge = Judge(Plan(roster, campaign), TokenIndex.build(roster))
    found: list[Violation] = judge_capture(judge, messages, refusals)
    return Counter(v.check for v in found)


def test_refused_at_data_and_never_resent_is_a_delivery_failure(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    kim = messages.pop()  # the notice about Fay Kim to kims@example.com
    refused = refusal("data", PERMANENT, kim.rcpt_tos, kim.raw)
    assert judged(roster, campaign, messages, [refused]) == {"delivery-failure": 1}
    # The same gap without the refusal is a missing notice.
    assert judged(roster, campaign, messages, []) == {"missing-notice": 1}


def test_a_data_refusal_covers_only_the_students_it_concerned(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    ann, ben = messages[0], messages[1]  # both to mia@example.com
    refused = refusal("data", PERMANENT, ann.rcpt_tos, ann.raw)
    found = judged(roster, campaign, messages[2:], [refused])
    assert found == {"delivery-failure": 1, "missing-notice": 1}  # Ben was never even sent
    assert ben.rcpt_tos == ann.rcpt_tos


def test_refused_at_rcpt_covers_every_notice_for_that_address(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    refused = refusal("rcpt", PERMANENT, ("MIA@example.com",))
    assert judged(roster, campaign, messages[2:], [refused]) == {"delivery-failure": 2}


def test_resent_after_a_refusal_is_no_failure(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    refused = [
        refusal("rcpt", PERMANENT, ("mia@example.com",)),
        refusal("data", TEMPORARY, messages[3].rcpt_tos, messages[3].raw),
    ]
    assert judged(roster, campaign, messages, refused) == {}


def test_a_temporary_refusal_never_retried_stays_missing(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    kim = messages.pop()
    for reply in (TEMPORARY, "drop"):
        refused = refusal("data", reply, kim.rcpt_tos, kim.raw)
        assert judged(roster, campaign, messages, [refused]) == {"missing-notice": 1}


def test_a_second_copy_of_an_accepted_notice_is_still_a_duplicate(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    messages = correct(message)
    again = replace(messages[-1], seq=99)
    refused = refusal("data", TEMPORARY, again.rcpt_tos, again.raw)
    assert judged(roster, campaign, [*messages, again], [refused]) == {"duplicate-notice": 1}
