"""The checks judged on each copy: a plain function each, from what the copy shows its
recipient (`CopyCase`) to the violations it finds there (at most one per check and copy).

A check is declared with `@copy_check(id, severity, fires_when)` and judged once it is listed
in `checks.COPY_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.oracle.findings import CopyFindings
from harness.oracle.plan import Plan
from harness.oracle.tokens import Hit
from harness.oracle.violation import CheckSpec, Evidence, Violation, violation

__all__ = [
    "CopyCase",
    "CopyCheck",
    "copy_check",
    "exposed_recipients",
    "foreign_student_data",
    "restricted_recipient",
    "unintended_recipient",
    "unreadable_content",
    "unrendered_template",
    "wrong_detail",
]


@dataclass(slots=True)  # not frozen: built for every copy, and a frozen init is slower
class CopyCase:
    """One copy as the checks see it: its recipient, what its message shows, the plan."""

    plan: Plan
    recipient: str
    message_seq: int
    findings: CopyFindings
    linked: frozenset[str]  # students linked to a contact at this address
    authorized: frozenset[str]  # students whose notice this address must get
    # The students the copy carries, each with the hits that show it; a name several students
    # share counts for those linked here, or for all of them when none is.
    concerned: dict[str, list[Hit]]
    all_authorized: bool  # every student it carries is one this address must hear about

    @classmethod
    def of(cls, plan: Plan, recipient: str, message_seq: int, findings: CopyFindings) -> CopyCase:
        linked = plan.linked(recipient)
        concerned = findings.students
        if findings.ambiguous_students:
            concerned = {s: list(hits) for s, hits in concerned.items()}
            for hit in findings.ambiguous_students:
                for student_id in sorted(hit.subject_ids & linked) or sorted(hit.subject_ids):
                    concerned.setdefault(student_id, []).append(hit)
        authorized = plan.authorized_for(recipient)
        return cls(
            plan,
            recipient,
            message_seq,
            findings,
            linked,
            authorized,
            {s: concerned[s] for s in sorted(concerned)},
            authorized.issuperset(concerned),
        )

    def students_violation(self, check: str, students: list[str]) -> Sequence[Violation]:
        """One violation naming `students`, evidenced by their hits; none without students."""
        if not students:
            return NONE
        hits = [hit for s in students for hit in self.concerned[s]]
        return [violation(check, self.recipient, students, hits, message_seq=self.message_seq)]


# What a check returns for a clean copy: shared, so the common case allocates nothing.
NONE: tuple[Violation, ...] = ()
CopyCheckFunction = Callable[[CopyCase], Sequence[Violation]]


@dataclass(frozen=True)
class CopyCheck:
    spec: CheckSpec
    judge: CopyCheckFunction

    def __call__(self, case: CopyCase) -> Sequence[Violation]:
        return self.judge(case)


def copy_check(
    check: str, severity: str, fires_when: str
) -> Callable[[CopyCheckFunction], CopyCheck]:
    def declare(judge: CopyCheckFunction) -> CopyCheck:
        return CopyCheck(CheckSpec(check, severity, fires_when), judge)

    return declare


@copy_check(
    "foreign-student-data",
    "critical",
    "a copy carries data of a student not linked to its recipient",
)
def foreign_student_data(case: CopyCase) -> Sequence[Violation]:
    if case.all_authorized:
        return NONE
    foreign = [s for s in case.concerned if s not in case.linked]
    return case.students_violation("foreign-student-data", foreign)


@copy_check(
    "exposed-recipients",
    "critical",
    "a copy reveals the address or name of a contact its recipient may not see",
)
def exposed_recipients(case: CopyCase) -> Sequence[Violation]:
    if not case.findings.contacts:
        return NONE
    allowed = case.plan.allowed_contacts(case.recipient)
    exposed = [hit for hit in case.findings.contacts if not hit.subject_ids & allowed]
    if not exposed:
        return NONE
    contact_ids = sorted({c for hit in exposed for c in hit.subject_ids})
    links_by_contact = case.plan.roster.links_by_contact
    students = sorted(
        {link.student_id for c in contact_ids for link in links_by_contact.get(c, ())}
    )
    return [
        violation(
            "exposed-recipients",
            case.recipient,
            students,
            exposed,
            contacts=contact_ids,
            message_seq=case.message_seq,
        )
    ]


@copy_check(
    "restricted-recipient",
    "critical",
    "a copy about a student reaches a contact restricted for that student",
)
def restricted_recipient(case: CopyCase) -> Sequence[Violation]:
    if case.all_authorized:
        return NONE
    restricted = [
        s
        for s in case.concerned
        if s in case.linked and case.recipient in case.plan.restricted_addresses(s)
    ]
    return case.students_violation("restricted-recipient", restricted)


@copy_check(
    "wrong-detail",
    "critical",
    "a copy about a student shows another student's detail (a result, absences) instead of its own",
)
def wrong_detail(case: CopyCase) -> Sequence[Violation]:
    """A copy is about the students it names; one that names none, about the students its
    recipient must hear of. It is wrong when it shows a component of another student's detail
    while one of its students' own is nowhere in it (`oracle.detail`)."""
    hits = case.findings.details
    if not hits:
        return NONE
    details = case.plan.details
    about = [s for s in case.concerned if details.has_detail(s)]
    about = about or sorted(s for s in case.authorized if details.has_detail(s))
    students, foreign = details.wrong(about, hits)
    if not students:
        return NONE
    evidence = tuple(
        Evidence(
            hit.location, hit.context, (hit.context_start, hit.context_start + len(hit.component))
        )
        for hit in foreign
    )
    return [
        Violation(
            "wrong-detail", case.recipient, tuple(students), evidence, message_seq=case.message_seq
        )
    ]


@copy_check(
    "unintended-recipient",
    "major",
    "a copy reaches an address that is no recipient, or concerns a linked student it must not",
)
def unintended_recipient(case: CopyCase) -> Sequence[Violation]:
    if not case.authorized and not case.concerned:
        # No student data to blame: the address simply receives nothing in this campaign.
        return [violation("unintended-recipient", case.recipient, [], message_seq=case.message_seq)]
    if case.all_authorized:
        return NONE
    unintended = [
        s
        for s in case.concerned
        if s in case.linked
        and s not in case.authorized
        and case.recipient not in case.plan.restricted_addresses(s)
    ]
    return case.students_violation("unintended-recipient", unintended)


@copy_check(
    "unrendered-template",
    "major",
    "a copy still shows template syntax around a field name ({student_first_name})",
)
def unrendered_template(case: CopyCase) -> Sequence[Violation]:
    templates = case.findings.templates
    if not templates:
        return NONE
    evidence = tuple(Evidence(hit.location, hit.context, (hit.start, hit.end)) for hit in templates)
    return [
        Violation(
            "unrendered-template",
            case.recipient,
            tuple(case.concerned),
            evidence,
            message_seq=case.message_seq,
        )
    ]


@copy_check(
    "unreadable-content",
    "major",
    "a copy holds content the oracle could not read (over a size budget, nested too deep, "
    "broken or in a format it does not decode): it may hide anything",
)
def unreadable_content(case: CopyCase) -> Sequence[Violation]:
    unread = case.findings.unread
    if not unread:
        return NONE
    evidence = tuple(Evidence(u.location, u.reason) for u in unread)
    return [
        Violation(
            "unreadable-content",
            case.recipient,
            tuple(case.concerned),
            evidence,
            message_seq=case.message_seq,
        )
    ]
