"""What a check reports: a `Violation` of one check for one recipient, with its `Evidence`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.oracle.tokens import Hit

__all__ = ["MAX_LISTED", "CheckSpec", "Evidence", "Violation", "evidence_of", "violation"]

# One violation may list many students or pieces of evidence (a To: line of 200 parents); the
# report keeps the first ones and the total.
MAX_LISTED = 25


@dataclass(frozen=True)
class CheckSpec:
    id: str
    severity: str
    fires_when: str


@dataclass(frozen=True)
class Evidence:
    location: str  # where in the copy: "header:To", "part 1 text/plain", "attachment x.csv"
    text: str  # the matched token, with some context
    match: tuple[int, int] | None = None  # where the matched token is in `text`

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"location": self.location, "text": self.text}
        if self.match is not None:
            entry["match"] = list(self.match)
        return entry


@dataclass(frozen=True)
class Violation:
    check: str
    recipient: str
    students: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    contacts: tuple[str, ...] = ()
    message_seq: int | None = None  # the captured message, None for what is missing

    @property
    def severity(self) -> str:
        # The registry imports the checks, which build violations: looked up when asked.
        from harness.oracle.checks import SEVERITY

        return SEVERITY[self.check]


def evidence_of(hit: Hit) -> Evidence:
    if not hit.context:
        return Evidence(hit.location, hit.token)
    return Evidence(
        hit.location, hit.context, (hit.context_start, hit.context_start + len(hit.token))
    )


def violation(
    check: str,
    recipient: str,
    students: Iterable[str],
    hits: Iterable[Hit] = (),
    *,
    contacts: Iterable[str] = (),
    message_seq: int | None = None,
) -> Violation:
    """A violation whose evidence is the token hits that showed it, each place once."""
    return Violation(
        check=check,
        recipient=recipient,
        students=tuple(students),
        evidence=tuple(dict.fromkeys(evidence_of(hit) for hit in hits)),
        contacts=tuple(contacts),
        message_seq=message_seq,
    )
