"""The roster-aware shrink pass: smaller rosters than Hypothesis' shrinker reaches on its own.

Hypothesis shrinks the choices a roster was drawn from; a failing roster often still holds a
student, contact or link the bug does not need, behind a choice the shrinker cannot undo on
its own (a household drawn as one unit, say). `shrink_roster` works on the roster itself:
it drops one student (with its links), one contact (with its links) or one link, or merges
two households (every contact of the second relinked to the first's students, the second's
students dropped), keeps the first smaller roster that still fails the same check, and starts
again until nothing smaller fails or the budget of adapter runs is spent. The order of the
candidates is fixed, so the pass is as reproducible as the search.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from harness.roster.campaign import Campaign
from harness.roster.model import Link, Roster

if TYPE_CHECKING:
    from harness.search import Found

__all__ = ["roster_size", "shrink_roster", "smaller_rosters"]

Pair = tuple[Roster, Campaign]


def roster_size(roster: Roster) -> tuple[int, int, int]:
    """What "smaller" means: fewer students, then fewer contacts, then fewer links."""
    return len(roster.students), len(roster.contacts), len(roster.links)


def shrink_roster(
    found: Found,
    still_fails: Callable[[Pair], Found | None],
    budget_left: Callable[[], int],
) -> tuple[Found, int]:
    """The smallest failing example reached from `found`, and how many steps it took.

    `still_fails(pair)` runs the pair (with `found`'s relation) and gives the failure of the
    same check, or None; `budget_left()` is how many adapter runs remain.
    """
    best, steps = found, 0
    improved = True
    while improved and best.drawn is not None:
        improved = False
        for candidate in smaller_rosters(*best.drawn):
            if budget_left() <= 0:
                return best, steps
            smaller = still_fails(candidate)
            if smaller is not None:
                best, steps, improved = smaller, steps + 1, True
                break
    return best, steps


def smaller_rosters(roster: Roster, campaign: Campaign) -> Iterator[Pair]:
    """Every roster one step smaller than `roster`, most students removed first."""
    for student in roster.students:
        yield _drop_students(roster, campaign, {student.id})
    yield from _merged_households(roster, campaign)
    for contact in roster.contacts:
        links = tuple(link for link in roster.links if link.contact_id != contact.id)
        yield _with_links(roster, links, drop_contact=contact.id), campaign
    for gone in roster.links:
        yield _with_links(roster, tuple(link for link in roster.links if link != gone)), campaign


def _households(roster: Roster) -> list[tuple[set[str], set[str]]]:
    """(student ids, contact ids) of each household: students joined by a shared contact."""
    households: list[tuple[set[str], set[str]]] = []
    for student in roster.students:
        contacts = {link.contact_id for link in roster.links_by_student.get(student.id, ())}
        joined = [h for h in households if h[1] & contacts]
        household: tuple[set[str], set[str]] = ({student.id}, set(contacts))
        for other in joined:
            household[0].update(other[0])
            household[1].update(other[1])
            households.remove(other)
        households.append(household)
    return households


def _merged_households(roster: Roster, campaign: Campaign) -> Iterator[Pair]:
    households = _households(roster)
    for first, second in itertools.pairwise(households):
        keep = next(iter(sorted(first[0])))
        moved = {c: [link for link in roster.links if link.contact_id == c] for c in second[1]}
        links = [link for link in roster.links if link.student_id not in second[0]]
        for contact_id, contact_links in moved.items():
            if contact_id in first[1] or not contact_links:
                continue
            links.append(dataclasses.replace(contact_links[0], student_id=keep))
        merged = dataclasses.replace(roster, links=tuple(links))
        yield _drop_students(merged, campaign, second[0])


def _drop_students(roster: Roster, campaign: Campaign, gone: set[str]) -> Pair:
    links = tuple(link for link in roster.links if link.student_id not in gone)
    smaller = dataclasses.replace(
        _with_links(roster, links), students=tuple(s for s in roster.students if s.id not in gone)
    )
    kept = tuple(s for s in campaign.selected if s not in gone)
    details = {s: d for s, d in campaign.details.items() if s not in gone}
    return smaller, dataclasses.replace(campaign, selected=kept, details=details)


def _with_links(roster: Roster, links: tuple[Link, ...], drop_contact: str | None = None) -> Roster:
    """`roster` with these links; a contact left without any link goes too."""
    linked = {link.contact_id for link in links}
    contacts = tuple(c for c in roster.contacts if c.id in linked and c.id != drop_contact)
    return dataclasses.replace(roster, contacts=contacts, links=links)
