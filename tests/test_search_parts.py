"""The parts of the search beside Hypothesis: the target scores, the roster-aware shrink pass
and the progress the search shows."""

from __future__ import annotations

import dataclasses

from harness.adapters.registry import resolve
from harness.progress import RichProgress
from harness.roster.campaign import build_campaign
from harness.roster.model import Contact, Link, Roster, Student
from harness.roster.targets import targets
from harness.search import explore
from harness.search_progress import SearchProgress
from harness.shrink import smaller_rosters
from harness.sink.server import CaptureSink
from tests.test_progress import Terminal


def student(sid: str, first: str = "Ann", last: str = "Lee") -> Student:
    return Student(sid, first, last, 3, "Alder Creek Elementary School", "2018-01-01",
                   {"vaccines_missing": "MMR"})  # fmt: skip


def contact(cid: str, email: str | None, first: str = "Bo") -> Contact:
    return Contact(cid, first, "Lee", email)


def family() -> Roster:
    """Two siblings sharing a mother; a third student whose father has a non-ASCII name."""
    return Roster(
        (student("S1"), student("S2"), student("S3", "Zoë", "Núñez")),
        (contact("C1", "mom@example.com"), contact("C2", "dad@example.org", "José")),
        (Link("S1", "C1", "mother", True, False), Link("S2", "C1", "mother", True, False),
         Link("S3", "C2", "father", True, False)),
    )  # fmt: skip


def test_targets_score_what_breaks_pipelines() -> None:
    roster = family()
    scores = targets(roster, build_campaign(roster.students, "vaccine"))
    assert scores == {
        "notices": 3.0,
        "notices per recipient": 2.0,  # mom hears about both siblings
        "shared recipients": 1.0,
        "non-ASCII names": 2.0,  # Zoë Núñez and José
    }
    unlinked = dataclasses.replace(roster, links=roster.links[2:])
    assert targets(unlinked, build_campaign(roster.students, "vaccine"))["shared recipients"] == 0


def test_every_smaller_roster_is_one_step_smaller_and_consistent() -> None:
    roster = family()
    campaign = build_campaign(roster.students, "vaccine")
    candidates = list(smaller_rosters(roster, campaign))
    shapes = [(len(r.students), len(r.contacts), len(r.links)) for r, _ in candidates]
    # Three students dropped one at a time, one household merge, two contacts, three links.
    assert shapes[:3] == [(2, 2, 2), (2, 2, 2), (2, 1, 2)]
    assert shapes[3] == (2, 2, 3)  # S3 merged away: its father now linked to S1
    assert shapes[4:6] == [(3, 1, 1), (3, 1, 2)]  # a contact goes with its links
    assert shapes[6:] == [(3, 2, 2), (3, 2, 2), (3, 1, 2)]  # the father had one link
    for smaller, its_campaign in candidates:
        ids = {s.id for s in smaller.students}
        assert set(its_campaign.selected) <= ids
        assert {link.student_id for link in smaller.links} <= ids
        assert {link.contact_id for link in smaller.links} == {c.id for c in smaller.contacts}


def test_a_search_shows_examples_failures_and_shrinking() -> None:
    stream = Terminal()
    display = RichProgress(stream)
    with CaptureSink() as sink:
        result = explore(resolve("mutant:restricted"), sink, examples=4, search_seed=2,
                         shrink_budget=5, batch_sizes=(), relations=(),
                         progress=SearchProgress(display))  # fmt: skip
    shown = stream.getvalue()
    assert "exploring (examples)" in shown and "4/4" in shown
    assert "failures found (checks)" in shown
    assert "shrinking restricted-recipient (adapter runs)" in shown
    assert f"{result.shrink_runs['restricted-recipient']}/5" in shown
    assert "shrinking restricted-recipient (smaller rosters kept)" in shown
