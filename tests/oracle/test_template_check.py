"""unrendered-template: placeholders left in what a recipient reads are caught in every
template language we know of, and braces, percentages and JSON that are no placeholder are not."""

from __future__ import annotations

import functools
import html
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.adapters.compose import compose_notice
from harness.oracle.checks import Judge, Violation
from harness.oracle.decode import Segment, visible_segments
from harness.oracle.plan import Plan
from harness.oracle.template_check import FIELD_NAMES, find_unrendered
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import CAMPAIGN_KINDS, Campaign, build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster
from harness.sink.capture import CapturedMessage

from .conftest import MakeMessage

SYNTAXES = (
    "{{{field}}}",
    "{{{{ {field} }}}}",
    "{{{{{field}|title}}}}",
    "{{{{{{ {field} }}}}}}",
    "${{{field}}}",
    "*|{field}|*",
    "%{field}%",
    "[[{field}]]",
    "[[ {field} ]]",
    "<%= {field} %>",
    "<%- {field} -%>",
    "\u00ab{field}\u00bb",
    "{{{field}!r}}",
    "{{student.{field}}}",
)


def placeholders(text: str) -> list[str]:
    return [hit.placeholder for hit in find_unrendered([Segment("part 1 text/plain", text)])]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("field", ["student_first_name", "FNAME", "first_name", "Email"])
def test_every_template_language_is_caught(syntax: str, field: str) -> None:
    placeholder = syntax.format(field=field)
    assert placeholders(f"Dear parent,\n{placeholder} was absent 4 days.") == [placeholder]


@pytest.mark.parametrize(
    "text",
    [
        "p { color: red } .name { font-weight: bold } @media (max-width: 600px) { td { x: 1 } }",
        '{"student": {"first_name": "Ann", "email": "mia@example.com"}, "grade": 5}',
        '{"id": 1, "status": "ok", "items": [{"code": "A"}]}',
        "Attendance fell 5% name 10% this term; 100%.",
        "Use {0} and {} placeholders, {first_name_extra}, {student_first_names} and {x.y}.",
        "See https://example.org/p?q=%7Bid%7D&n=%20name%20 for details.",
        "Dear Ann Lee, please reply [by Friday] with {the form}.",
        "function f(a) { return a; } var s = `${total}`;",
    ],
)
def test_braces_percent_and_json_that_hold_no_field_are_not_placeholders(text: str) -> None:
    assert placeholders(text) == []


def test_hit_marks_the_placeholder_in_its_context() -> None:
    text = "Dear Mia,\n\n   {student_first_name}   Lee has 4 absences this term, please call us."
    (hit,) = find_unrendered([Segment("part 1 text/plain", text)])
    assert hit.context[hit.start : hit.end] == "{student_first_name}"
    assert hit.context.startswith("Dear Mia, {student_first_name} Lee")


def test_a_link_shows_it_once_though_decoded_twice() -> None:
    segments = visible_segments(
        b"Subject: x\r\nContent-Type: text/html\r\n\r\n"
        b'<a href="https://example.org/r?name=%7B%7Bfirst_name%7D%7D">Reply</a>\r\n'
    )
    hits = find_unrendered(segments)
    assert [h.placeholder for h in hits] == ["{{first_name}}"]
    assert hits[0].location.endswith("(url-decoded)")


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    field=st.sampled_from(sorted(FIELD_NAMES)),
    syntax=st.sampled_from(SYNTAXES),
)
def test_a_placeholder_is_found_whatever_surrounds_it(
    before: str, after: str, field: str, syntax: str
) -> None:
    placeholder = syntax.format(field=field.upper())
    assert placeholder in placeholders(f"{before} {placeholder} {after}")


@functools.cache
def generated(seed: int) -> Roster:
    return generate_roster(100, seed)


def judge(roster: Roster, campaign: Campaign, messages: list[CapturedMessage]) -> list[Violation]:
    judge = Judge(Plan(roster, campaign), TokenIndex.build(roster))
    for message in messages:
        judge.judge_message(message)
    return judge.finish()


def test_judge_flags_each_copy_with_a_placeholder(
    roster: Roster, campaign: Campaign, message: MakeMessage
) -> None:
    violations = judge(
        roster,
        campaign,
        [
            message(["mia@example.com"], "Dear Mia Lee,\n{student_first_name} Lee (S-AAAAAAA1)"),
            message(["mia@example.com"], "Dear Mia Lee,\nBen Lee (S-AAAAAAA2) is missing Tdap"),
            message(["tom@example.com"], "Dear Tom Lee,\nBen Lee (S-AAAAAAA2) is missing Tdap"),
            message(
                ["rosa@example.org"],
                "Dear Rosa Diaz,\nCara Diaz (S-BBBBBBB1)",
                subject="Records for *|FNAME|* Diaz",
            ),
            message(["KIMS@example.com"], "Dear Gus Kim,\nFay Kim (S-DDDDDDD1) is missing Tdap"),
        ],
    )
    found = [v for v in violations if v.check == "unrendered-template"]
    assert [(v.recipient, v.students) for v in found] == [
        ("mia@example.com", ("S-AAAAAAA1",)),
        ("rosa@example.org", ("S-BBBBBBB1",)),
    ]
    assert found[0].severity == "major"
    (evidence,) = found[0].evidence
    assert evidence.match is not None
    assert evidence.text[evidence.match[0] : evidence.match[1]] == "{student_first_name}"
    assert found[1].evidence[0].location == "header:Subject"
    assert [v.check for v in violations if v.check != "unrendered-template"] == []


def test_css_and_a_json_attachment_are_not_flagged(roster: Roster, campaign: Campaign) -> None:
    email = EmailMessage()
    email["From"] = campaign.sender
    email["To"] = "mia@example.com"
    email["Subject"] = "Records for Ann Lee"
    email.set_content("Dear Mia Lee,\nAnn Lee (S-AAAAAAA1) is missing Tdap")
    email.add_alternative(
        "<html><head><style>p { color: red } .name { font-weight: bold }</style></head>"
        "<body><p class='name'>Ann Lee (S-AAAAAAA1) is missing Tdap</p></body></html>",
        subtype="html",
    )
    email.add_attachment(
        b'{"student": {"id": "S-AAAAAAA1", "first_name": "Ann"}, "missing": ["Tdap"]}',
        maintype="application",
        subtype="json",
        filename="record.json",
    )
    captured = CapturedMessage(1, campaign.sender, ("mia@example.com",), email.as_bytes(), "", 1, 0)
    violations = judge(roster, campaign, [captured])
    assert "unrendered-template" not in {v.check for v in violations}


@pytest.mark.parametrize("kind", sorted(CAMPAIGN_KINDS))
@pytest.mark.parametrize("seed", [1, 2])
def test_the_rendered_notices_of_every_campaign_kind_hold_no_placeholder(
    kind: str, seed: int
) -> None:
    roster = generated(seed)
    campaign = build_campaign(roster.students, kind)
    plan = Plan(roster, campaign)
    for student_id in campaign.selected:
        for address in plan.recipients[student_id]:
            contact = next(c for c in roster.contacts_by_address[address])
            notice = compose_notice(campaign, roster.student_by_id[student_id], contact)
            assert find_unrendered(visible_segments(notice.as_bytes())) == []


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_placeholders_in_html_markup_are_read_as_the_recipient_reads_them(syntax: str) -> None:
    placeholder = syntax.format(field="first_name")
    email = EmailMessage()
    email["Subject"] = "Attendance"
    email.set_content("Dear parent")
    email.add_alternative(
        f"<html><head><style>p {{ color: red }}</style></head><body><p>Dear "
        f"<b>{html.escape(placeholder, quote=False)}</b>,</p></body></html>",
        subtype="html",
    )
    hits = find_unrendered(visible_segments(email.as_bytes()))
    assert [(h.location, h.placeholder) for h in hits] == [("part 2 text/html", placeholder)]
