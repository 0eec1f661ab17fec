"""What the search steers towards (`hypothesis.target`): the roster shapes that make bulk-mail
pipelines fail. Each is a score Hypothesis' target phase climbs, from the roster and campaign
alone (never from the verdict), so an example's score is the same on every run.

- `notices`: how many copies the campaign asks for, one per student and address that hears of
  it (batching bugs need more than a batch of them);
- `notices per recipient`: the most students one address must hear about (digests, merges);
- `shared recipients`: addresses linked to more than one student (siblings, shared mailboxes);
- `non-ASCII names`: students and contacts whose names are not ASCII (encoding fallbacks).
"""

from __future__ import annotations

from collections import Counter

from harness.roster.campaign import Campaign
from harness.roster.model import Roster

__all__ = ["targets"]


def targets(roster: Roster, campaign: Campaign) -> dict[str, float]:
    """label -> score of `roster` under `campaign` (higher is more likely to break things)."""
    selected = set(campaign.selected)
    contacts = roster.contact_by_id
    hears: Counter[str] = Counter()
    linked: dict[str, set[str]] = {}
    copies: set[tuple[str, str]] = set()
    for link in roster.links:
        address = contacts[link.contact_id].address
        if not address:
            continue
        linked.setdefault(address, set()).add(link.student_id)
        if link.student_id in selected and link.receives_mail and not link.contact_restricted:
            if (link.student_id, address) not in copies:
                hears[address] += 1
            copies.add((link.student_id, address))
    people = [(s.first_name, s.last_name) for s in roster.students]
    people += [(c.first_name, c.last_name) for c in roster.contacts]
    return {
        "notices": float(len(copies)),
        "notices per recipient": float(max(hears.values(), default=0)),
        "shared recipients": float(sum(len(ids) > 1 for ids in linked.values())),
        "non-ASCII names": float(sum(not (first + last).isascii() for first, last in people)),
    }
