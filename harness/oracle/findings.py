"""What one captured message shows its recipients, found once per message: the students and
contacts its text names, the template syntax left in it, and how many addresses its To, Cc
and Bcc headers show. Every copy of the message is judged on these."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.oracle.decode import visible_segments
from harness.oracle.matrix import visible_addresses
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
    addresses_shown: int = 0  # distinct addresses in To, Cc and Bcc


def find_subjects(index: TokenIndex, raw: bytes) -> CopyFindings:
    findings = CopyFindings()
    segments = visible_segments(raw)
    findings.templates = find_unrendered(segments)
    findings.addresses_shown = visible_addresses(segments)
    for hit in index.scan(segments):
        if hit.kind == "contact":
            findings.contacts.append(hit)
        elif len(hit.subject_ids) == 1:
            findings.students.setdefault(next(iter(hit.subject_ids)), []).append(hit)
        else:
            findings.ambiguous_students.append(hit)
    return findings
