"""The checks of DESIGN.md (and `unrendered-template`), applied to every captured copy.

Each copy is judged on what its recipient can see. Detection (which students and contacts a
copy reveals) happens once per message; the checks then compare those subjects with what the
plan allows for the copy's recipient.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.oracle.budget import Unread
from harness.oracle.decode import read_message
from harness.oracle.detail import DetailHit, DetailIndex
from harness.oracle.headers import copy_headers
from harness.oracle.plan import Plan
from harness.oracle.segments import Segment
from harness.oracle.template_check import TemplateHit, find_unrendered
from harness.oracle.tokens import Hit, TokenIndex
from harness.roster.model import normalize_address
from harness.sink.capture import CapturedMessage, Copy, Refusal


@dataclass(frozen=True)
class CheckSpec:
    id: str
    severity: str
    fires_when: str


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "foreign-student-data",
        "critical",
        "a copy carries data of a student not linked to its recipient",
    ),
    CheckSpec(
        "exposed-recipients",
        "critical",
        "a copy reveals the address or name of a contact its recipient may not see",
    ),
    CheckSpec(
        "restricted-recipient",
        "critical",
        "a copy about a student reaches a contact restricted for that student",
    ),
    CheckSpec(
        "wrong-detail",
        "critical",
        "a copy about a student shows another student's detail (a result, absences) instead "
        "of its own",
    ),
    CheckSpec(
        "unintended-recipient",
        "major",
        "a copy reaches an address that is no recipient, or concerns a linked student it must not",
    ),
    CheckSpec(
        "unrendered-template",
        "major",
        "a copy still shows template syntax around a field name ({student_first_name})",
    ),
    CheckSpec(
        "unreadable-content",
        "major",
        "a copy holds content the oracle could not read (over a size budget, nested too deep, "
        "broken or in a format it does not decode): it may hide anything",
    ),
    CheckSpec("missing-notice", "minor", "a recipient got no copy about a student it must hear of"),
    CheckSpec("duplicate-notice", "minor", "a recipient got more than one copy about a student"),
    CheckSpec(
        "delivery-failure",
        "minor",
        "a notice the sink refused permanently (5xx) was never delivered: not a leak, a bounce",
    ),
    CheckSpec(
        "metamorphic-difference",
        "major",
        "shuffling, splitting or renaming the roster changed who got whose data",
    ),
)
SEVERITY = {spec.id: spec.severity for spec in CHECKS}

# One violation may list many students or pieces of evidence (a To: line of 200 parents); the
# report keeps the first ones and the total.
MAX_LISTED = 25


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
        return SEVERITY[self.check]


@dataclass
class CopyFindings:
    """The subjects detected in one message, shared by all its copies."""

    students: dict[str, list[Hit]] = field(default_factory=dict)
    ambiguous_students: list[Hit] = field(default_factory=list)
    contacts: list[Hit] = field(default_factory=list)
    templates: list[TemplateHit] = field(default_factory=list)
    details: list[DetailHit] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)  # what the oracle could not read


def find_subjects(
    index: TokenIndex, raw: bytes, details: DetailIndex | None = None
) -> CopyFindings:
    findings = CopyFindings()
    reading = read_message(raw)
    segments = reading.segments
    findings.unread = reading.unread
    findings.templates = find_unrendered(segments)
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


class Judge:
    """Judges copies one message at a time, then what is missing or doubled at the end."""

    def __init__(self, plan: Plan, index: TokenIndex) -> None:
        self.plan = plan
        self.index = index
        self.violations: list[Violation] = []
        self.delivered: Counter[tuple[str, str]] = Counter()  # (recipient, student) -> copies
        # Every (recipient, student) a copy concerned, allowed or not: the delivery matrix.
        self.matrix: Counter[tuple[str, str]] = Counter()
        self.copies = 0
        self.messages = 0
        self.recipients: set[str] = set()
        # message seq -> the headers people read (From, To, Subject...), for flagged messages
        self.headers: dict[int, dict[str, str]] = {}
        # Permanent refusals: what each could have carried, and the reply, for the evidence.
        self.refused_pairs: dict[tuple[str, str], str] = {}  # refused DATA: (r, student)
        self.refused_recipients: dict[str, str] = {}  # refused at RCPT: content never sent

    def judge_message(self, message: CapturedMessage) -> None:
        findings = find_subjects(self.index, message.raw, self.plan.details)
        self.messages += 1
        found_before = len(self.violations)
        for copy in message.copies():
            self._judge_copy(copy, findings)
        if len(self.violations) > found_before:
            # Kept now: the judge sees each message once (streamed from the sink's store).
            self.headers[message.seq] = copy_headers(message.raw)

    def _judge_copy(self, copy: Copy, findings: CopyFindings) -> None:
        plan, r = self.plan, copy.recipient
        self.copies += 1
        self.recipients.add(r)
        linked = plan.linked(r)
        authorized = plan.authorized_for(r)
        concerned = dict(findings.students)
        for hit in findings.ambiguous_students:
            # Attributed to every candidate; flagged only when no candidate may be named here.
            attributable = sorted(hit.subject_ids & linked) or sorted(hit.subject_ids)
            for student_id in attributable:
                concerned.setdefault(student_id, []).append(hit)

        by_check: dict[str, list[str]] = defaultdict(list)
        for student_id in sorted(concerned):
            self.matrix[(r, student_id)] += 1
            if student_id not in linked:
                by_check["foreign-student-data"].append(student_id)
            elif r in plan.restricted_addresses(student_id):
                by_check["restricted-recipient"].append(student_id)
            elif student_id not in authorized:
                by_check["unintended-recipient"].append(student_id)
            else:
                self.delivered[(r, student_id)] += 1
        for check, students in by_check.items():
            hits = [hit for s in students for hit in concerned[s]]
            self._add(check, r, students, hits, message_seq=copy.message.seq)
        if not authorized and not concerned:
            # No student data to blame: the address simply receives nothing in this campaign.
            self._add("unintended-recipient", r, [], [], message_seq=copy.message.seq)

        if findings.details:
            self._check_details(copy, concerned, authorized, findings.details)

        allowed_contacts = plan.allowed_contacts(r)
        exposed = [hit for hit in findings.contacts if not hit.subject_ids & allowed_contacts]
        if exposed:
            contact_ids = sorted({c for hit in exposed for c in hit.subject_ids})
            links_by_contact = plan.roster.links_by_contact
            students = sorted(
                {link.student_id for c in contact_ids for link in links_by_contact.get(c, ())}
            )
            self._add(
                "exposed-recipients",
                r,
                students,
                exposed,
                contacts=contact_ids,
                message_seq=copy.message.seq,
            )

        if findings.templates:
            evidence = tuple(
                Evidence(hit.location, hit.context, (hit.start, hit.end))
                for hit in findings.templates
            )
            self.violations.append(
                Violation(
                    "unrendered-template",
                    r,
                    tuple(sorted(concerned)),
                    evidence,
                    message_seq=copy.message.seq,
                )
            )

        if findings.unread:
            evidence = tuple(Evidence(u.location, u.reason) for u in findings.unread)
            self.violations.append(
                Violation(
                    "unreadable-content",
                    r,
                    tuple(sorted(concerned)),
                    evidence,
                    message_seq=copy.message.seq,
                )
            )

    def _check_details(
        self,
        copy: Copy,
        concerned: dict[str, list[Hit]],
        authorized: frozenset[str],
        hits: list[DetailHit],
    ) -> None:
        """A copy is about the students it names; one that names none, about the students
        its recipient must hear of."""
        details = self.plan.details
        about = [s for s in sorted(concerned) if details.has_detail(s)]
        about = about or sorted(s for s in authorized if details.has_detail(s))
        students, foreign = details.wrong(about, hits)
        if students:
            evidence = tuple(
                Evidence(
                    hit.location,
                    hit.context,
                    (hit.context_start, hit.context_start + len(hit.component)),
                )
                for hit in foreign
            )
            self.violations.append(
                Violation(
                    "wrong-detail",
                    copy.recipient,
                    tuple(students),
                    evidence,
                    message_seq=copy.message.seq,
                )
            )

    def _add(
        self,
        check: str,
        recipient: str,
        students: Iterable[str],
        hits: Iterable[Hit],
        *,
        contacts: Iterable[str] = (),
        message_seq: int | None = None,
    ) -> None:
        evidence = tuple(dict.fromkeys(_evidence(hit) for hit in hits))
        self.violations.append(
            Violation(
                check=check,
                recipient=recipient,
                students=tuple(students),
                evidence=evidence,
                contacts=tuple(contacts),
                message_seq=message_seq,
            )
        )

    def note_refusal(self, refusal: Refusal) -> None:
        """Remember a permanent refusal, so that what it stopped is a delivery failure.

        A refused DATA is attributed by its content (the students it concerned); a refused
        RCPT carried no content, so it covers every notice for that recipient. A refused MAIL
        names no recipient and cannot be attributed. Temporary refusals are the sender's to
        retry: a notice it never resent stays missing.
        """
        if not refusal.permanent:
            return
        recipients = [normalize_address(r) for r in refusal.rcpt_tos]
        if refusal.stage == "rcpt":
            for r in recipients:
                self.refused_recipients.setdefault(r, refusal.reply)
        elif refusal.stage == "data":
            students = find_subjects(self.index, refusal.raw).students
            for r in recipients:
                for student_id in students:
                    self.refused_pairs.setdefault((r, student_id), refusal.reply)

    def finish(self) -> list[Violation]:
        """Add what is missing or doubled once every copy is judged; return all violations."""
        for student_id, addresses in self.plan.recipients.items():
            for r in sorted(addresses):
                count = self.delivered[(r, student_id)]
                refused = self.refused_pairs.get((r, student_id)) or self.refused_recipients.get(r)
                if count == 0 and refused is not None:
                    evidence = [Evidence("envelope", f"refused for {r}: {refused}")]
                    self.violations.append(
                        Violation("delivery-failure", r, (student_id,), tuple(evidence))
                    )
                elif count == 0:
                    self._add("missing-notice", r, [student_id], [])
                elif count > 1:
                    evidence = [Evidence("envelope", f"{count} copies to {r} about {student_id}")]
                    self.violations.append(
                        Violation("duplicate-notice", r, (student_id,), tuple(evidence))
                    )
        return self.violations


def _evidence(hit: Hit) -> Evidence:
    if not hit.context:
        return Evidence(hit.location, hit.token)
    return Evidence(
        hit.location, hit.context, (hit.context_start, hit.context_start + len(hit.token))
    )
