"""What one captured message shows its recipients, found once per message: the students and
contacts its text names, the students' details it shows, the template syntax left in it, what
the oracle could not read in it, and how many addresses its To, Cc and Bcc headers show. Every
copy of the message is judged on these."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.oracle.budget import Unread
from harness.oracle.decode import read_message
from harness.oracle.detail import DetailHit, DetailIndex
from harness.oracle.matrix import visible_addresses
from harness.oracle.segments import Segment
from harness.oracle.template_check import TemplateHit, find_unrendered
from harness.oracle.tokens import Hit, TokenIndex

__all__ = ["CopyFindings", "find_subjects"]


@dataclass
class CopyFindings:
    """The subjects detected in one message, shared by all its copies."""

    students: dict[str, list[Hit]] = field(default_factory=dict)
    ambiguous_students: list[Hit] = field(default_factory=list)  # a name several students share
    contacts: list[Hit] = field(default_factory=list)
    templates: list[TemplateHit] = field(default_factory=list)
    details: list[DetailHit] = field(default_factory=list)  # components of students' details
    unread: list[Unread] = field(default_factory=list)  # what the oracle could not read
    addresses_shown: int = 0  # distinct addresses in To, Cc and Bcc


def find_subjects(
    index: TokenIndex, raw: bytes, details: DetailIndex | None = None
) -> CopyFindings:
    findings = CopyFindings()
    reading = read_message(raw)
    segments = reading.segments
    findings.unread = reading.unread
    findings.templates = find_unrendered(segments)
    findings.addresses_shown = visible_addresses(segments)
    found: dict[tuple[str, str], DetailHit] = {}  # batches overlap: one hit per place

    def scan_details(batch: list[Segment], texts: list[str]) -> None:
        for hit in details.scan(batch, texts) if details else ():
            found.setdefault((hit.component, hit.location), hit)

    for hit in index.scan(segments, scan_details if details else None):
        if hit.kind == "contact":
            findings.contacts.append(hit)
        elif len(hit.subject_ids) == 1:
            findings.students.setdefault(next(iter(hit.subject_ids)), []).append(hit)
        else:
            findings.ambiguous_students.append(hit)
    findings.details = list(found.values())
    return findings
