from __future__ import annotations

from dataclasses import replace

from harness.oracle.plan import Plan
from harness.roster.campaign import Campaign
from harness.roster.model import Contact, Roster


def test_recipients_follow_the_flags(roster: Roster, campaign: Campaign) -> None:
    plan = Plan(roster, campaign)
    assert plan.recipients == {
        "S-AAAAAAA1": {"mia@example.com"},  # Tom is restricted for Ann
        "S-AAAAAAA2": {"mia@example.com", "tom@example.com"},
        "S-BBBBBBB1": {"rosa@example.org"},  # Luis has no email, Ana receives no mail
        "S-DDDDDDD1": {"kims@example.com"},  # one mailbox, written in two cases
    }
    assert plan.expected_copies == 5


def test_restriction_wins_over_a_shared_address(roster: Roster, campaign: Campaign) -> None:
    # Tom now uses the family mailbox Mia receives on: Ann's notice may go nowhere there.
    contacts = tuple(
        replace(c, email="MIA@example.com") if c.id == "C-TOM" else c for c in roster.contacts
    )
    plan = Plan(replace(roster, contacts=contacts), campaign)
    assert plan.recipients["S-AAAAAAA1"] == frozenset()
    assert plan.recipients["S-AAAAAAA2"] == {"mia@example.com"}


def test_authorized_linked_and_allowed_contacts(roster: Roster, campaign: Campaign) -> None:
    plan = Plan(roster, campaign)
    assert plan.authorized_for("mia@example.com") == {"S-AAAAAAA1", "S-AAAAAAA2"}
    assert plan.authorized_for("tom@example.com") == {"S-AAAAAAA2"}
    assert plan.authorized_for("eve@example.net") == frozenset()
    assert plan.linked("tom@example.com") == {"S-AAAAAAA1", "S-AAAAAAA2"}
    assert plan.linked("ana@example.org") == {"S-BBBBBBB1"}
    assert plan.linked("nobody@example.com") == frozenset()
    assert plan.allowed_contacts("rosa@example.org") == {"C-ROSA", "C-LUIS", "C-ANA"}
    # A contact not authorized for anything may still see its own data.
    assert plan.allowed_contacts("eve@example.net") == {"C-EVE"}


def test_contact_without_email_has_no_address() -> None:
    assert Contact("C-1", "A", "B", None).address is None
    assert Contact("C-1", "A", "B", "  ").address is None
    assert Contact("C-1", "A", "B", " X@Example.COM ").address == "x@example.com"


def test_nothing_to_test_says_why(roster: Roster, campaign: Campaign) -> None:
    assert Plan(roster, campaign).nothing_to_test() is None
    none_selected = replace(campaign, selected=())
    assert "selects no student" in (Plan(roster, none_selected).nothing_to_test() or "")
    no_address = tuple(replace(c, email=None) for c in roster.contacts)
    reason = Plan(replace(roster, contacts=no_address), campaign).nothing_to_test()
    assert reason is not None and f"0 of {len(roster.contacts)} contacts" in reason
    # Addresses, but every link that could receive this campaign does not: still nothing.
    no_mail = tuple(replace(link, receives_mail=False) for link in roster.links)
    assert Plan(replace(roster, links=no_mail), campaign).nothing_to_test() is not None
