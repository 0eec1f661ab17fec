"""wrong-detail: a copy about a student that shows another student's detail, not its own."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from harness.oracle.checks import Judge, Violation
from harness.oracle.detail import DetailIndex, detail_components
from harness.oracle.normalize import normalize
from harness.oracle.plan import Plan
from harness.oracle.segments import Segment
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.sink.capture import CapturedMessage

from .conftest import MakeMessage

# Mia gets Ann's and Ben's notices; Rosa gets Cara's; the Kims get Fay's.
DETAILS = {
    "S-AAAAAAA1": "negative on 2026-10-02; test again in 7 days",
    "S-AAAAAAA2": "positive on 2026-09-14; resume testing on 2026-09-28",
    "S-BBBBBBB1": "negative on 2026-10-02; test again in 7 days",
    "S-DDDDDDD1": "positive on 2026-09-21; resume testing on 2026-10-05",
}


@pytest.fixture
def covid(campaign: Campaign) -> Campaign:
    return replace(campaign, kind="covid-test", details=DETAILS)


def judge(roster: Roster, campaign: Campaign, messages: list[CapturedMessage]) -> list[Violation]:
    judge = Judge(Plan(roster, campaign), TokenIndex.build(roster))
    for message in messages:
        judge.judge_message(message)
    return judge.finish()


def wrong(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.check == "wrong-detail"]


def scan(index: DetailIndex, *texts: str) -> set[str]:
    segments = [Segment(f"part {n}", text) for n, text in enumerate(texts)]
    return {hit.component for hit in index.scan(segments, [normalize(s.text) for s in segments])}


def test_a_detail_is_its_components_in_any_order() -> None:
    assert detail_components("Tdap, Meningococcal") == {"tdap", "meningococcal"}
    assert detail_components("Meningococcal,Tdap") == {"tdap", "meningococcal"}
    assert detail_components("Positive on 2026-09-14; resume testing on 2026-09-28") == {
        "positive on 2026-09-14",
        "resume testing on 2026-09-28",
    }


def test_components_are_found_on_word_boundaries_only() -> None:
    index = DetailIndex({"S-1": "4 unexcused absences", "S-2": "14 unexcused absences"})
    assert scan(index, "Ann has 14 unexcused absences this term.") == {"14 unexcused absences"}
    assert scan(index, "Ann has 4 unexcused absences.") == {"4 unexcused absences"}
    assert scan(index, "Ann has 44 unexcused absencesx") == set()


def test_what_the_template_shows_everyone_is_no_evidence() -> None:
    template = "Required: Tdap, MMR and Varicella. {student_first_name} is missing: {detail}."
    index = DetailIndex({"S-1": "Tdap", "S-2": "MMR", "S-3": "Polio (IPV)"}, [template])
    assert index.own("S-1") == frozenset()  # "tdap" is in everybody's copy
    assert index.own("S-3") == {"polio (ipv)"}
    assert scan(index, "Required: Tdap, MMR and Varicella. Ann is missing: Tdap.") == set()


def test_a_notice_with_its_own_detail_is_clean(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    copies = [
        message(["mia@example.com"], f"Ann Lee (S-AAAAAAA1): {DETAILS['S-AAAAAAA1']}."),
        message(["mia@example.com"], f"Ben Lee (S-AAAAAAA2): {DETAILS['S-AAAAAAA2']}."),
        message(["tom@example.com"], f"Ben Lee (S-AAAAAAA2): {DETAILS['S-AAAAAAA2']}."),
        message(["rosa@example.org"], f"Cara Diaz (S-BBBBBBB1): {DETAILS['S-BBBBBBB1']}."),
        message(["kims@example.com"], f"Fay Kim (S-DDDDDDD1): {DETAILS['S-DDDDDDD1']}."),
    ]
    assert judge(roster, covid, copies) == []


def test_another_students_result_under_the_right_name_is_caught(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    """Cara's notice shows Fay's result: no name or id of Fay's, only her detail."""
    copies = [
        message(["mia@example.com"], f"Ann Lee (S-AAAAAAA1): {DETAILS['S-AAAAAAA1']}."),
        message(["mia@example.com"], f"Ben Lee (S-AAAAAAA2): {DETAILS['S-AAAAAAA2']}."),
        message(["tom@example.com"], f"Ben Lee (S-AAAAAAA2): {DETAILS['S-AAAAAAA2']}."),
        message(["rosa@example.org"], f"Cara Diaz (S-BBBBBBB1): {DETAILS['S-DDDDDDD1']}."),
        message(["kims@example.com"], f"Fay Kim (S-DDDDDDD1): {DETAILS['S-DDDDDDD1']}."),
    ]
    violations = judge(roster, covid, copies)
    assert Counter(v.check for v in violations) == {"wrong-detail": 1}
    [violation] = violations
    assert (violation.recipient, violation.students) == ("rosa@example.org", ("S-BBBBBBB1",))
    assert violation.severity == "critical"
    shown = []
    for evidence in violation.evidence:
        assert evidence.match is not None
        start, end = evidence.match
        shown.append(evidence.text[start:end])
    assert shown == ["positive on 2026-09-21", "resume testing on 2026-10-05"]


def test_a_shared_value_is_no_evidence_but_half_of_another_is(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    """Ann and Cara share their result: Ann's value on Cara's notice is right. Ben's test day
    with Fay's follow-up date is wrong for both."""
    right = message(["rosa@example.org"], f"Cara Diaz: {DETAILS['S-AAAAAAA1']}.")
    mixed = message(
        ["mia@example.com"],
        "Ben Lee: positive on 2026-09-14; resume testing on 2026-10-05.",
    )
    violations = wrong(judge(roster, covid, [right, mixed]))
    assert [(v.recipient, v.students) for v in violations] == [("mia@example.com", ("S-AAAAAAA2",))]


def test_a_digest_about_two_siblings_shows_both_details(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    digest = message(
        ["mia@example.com"],
        f"Ann Lee: {DETAILS['S-AAAAAAA1']}.\nBen Lee: {DETAILS['S-AAAAAAA2']}.",
    )
    assert wrong(judge(roster, covid, [digest])) == []


def test_a_notice_that_names_nobody_is_about_its_recipients_students(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    """No name, no id: the copy is about the student(s) its recipient must hear of."""
    own = message(["kims@example.com"], f"Your child: {DETAILS['S-DDDDDDD1']}.")
    other = message(["rosa@example.org"], f"Your child: {DETAILS['S-DDDDDDD1']}.")
    violations = wrong(judge(roster, covid, [own, other]))
    assert [(v.recipient, v.students) for v in violations] == [
        ("rosa@example.org", ("S-BBBBBBB1",))
    ]


def test_a_wrong_detail_in_an_attachment_or_header_is_caught(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    in_subject = message(
        ["rosa@example.org"],
        "Cara Diaz: see the subject.",
        subject=f"Cara Diaz: {DETAILS['S-AAAAAAA2']}",
    )
    violations = wrong(judge(roster, covid, [in_subject]))
    assert [v.evidence[0].location for v in violations] == ["header:Subject"]


def test_without_details_nothing_is_compared(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    plain = replace(covid, details={})
    copy = message(["rosa@example.org"], f"Cara Diaz: {DETAILS['S-DDDDDDD1']}.")
    assert wrong(judge(roster, plain, [copy])) == []


def test_a_notice_showing_its_own_detail_beside_another_value_is_not_flagged(
    roster: Roster, covid: Campaign, message: MakeMessage
) -> None:
    """A vendor's own text may list other values (an example, a legend): with the student's
    own detail shown in full, another value beside it is no evidence of a shift."""
    copy = message(
        ["rosa@example.org"],
        f"Cara Diaz: {DETAILS['S-BBBBBBB1']}.\nExample of another result: {DETAILS['S-DDDDDDD1']}.",
    )
    assert wrong(judge(roster, covid, [copy])) == []
