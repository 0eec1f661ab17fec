"""The checks' registry and the `Judge` that applies them.

Every check is a plain function (`copy_checks.py`: judged on each copy; `run_checks.py`:
judged on the whole run, or between a run and its metamorphic variants). The lists below are
the registry: a check is judged, and reported, when it is listed here; `CHECKS` (ids,
severities, descriptions) is derived from them. Adding a check is one function and one line.

Detection (which students and contacts a message reveals) happens once per message
(`findings.find_subjects`); the copy checks then compare those subjects with what the plan
allows for each copy's recipient, and the judge fills the run's delivery matrix on the way.
"""

from __future__ import annotations

from collections import Counter

from harness.oracle.copy_checks import (
    CopyCase,
    CopyCheck,
    exposed_recipients,
    foreign_student_data,
    restricted_recipient,
    unintended_recipient,
    unreadable_content,
    unrendered_template,
    wrong_detail,
)
from harness.oracle.findings import CopyFindings, find_subjects
from harness.oracle.headers import copy_headers
from harness.oracle.matrix import DeliveryMatrix
from harness.oracle.plan import Plan
from harness.oracle.run_checks import (
    RelationCheck,
    RunCase,
    RunCheck,
    delivery_failure,
    duplicate_notice,
    metamorphic_difference,
    missing_notice,
)
from harness.oracle.tokens import TokenIndex
from harness.oracle.violation import MAX_LISTED, CheckSpec, Evidence, Violation
from harness.roster.model import normalize_address
from harness.sink.capture import CapturedMessage, Refusal

__all__ = [
    "CHECKS",
    "COPY_CHECKS",
    "MAX_LISTED",
    "RELATION_CHECKS",
    "RUN_CHECKS",
    "SEVERITY",
    "CheckSpec",
    "CopyFindings",
    "Evidence",
    "Judge",
    "Violation",
    "find_subjects",
]

COPY_CHECKS: tuple[CopyCheck, ...] = (
    foreign_student_data,
    exposed_recipients,
    restricted_recipient,
    wrong_detail,
    unintended_recipient,
    unrendered_template,
    unreadable_content,
)
RUN_CHECKS: tuple[RunCheck, ...] = (
    missing_notice,
    duplicate_notice,
    delivery_failure,
)
# Judged by `run --examples` (harness.search), between a run and its variants.
RELATION_CHECKS: tuple[RelationCheck, ...] = (metamorphic_difference,)

CHECKS: tuple[CheckSpec, ...] = (
    *(check.spec for check in COPY_CHECKS),
    *(check.spec for check in RUN_CHECKS),
    *(check.spec for check in RELATION_CHECKS),
)
SEVERITY = {spec.id: spec.severity for spec in CHECKS}


def shown_headers(message: CapturedMessage) -> dict[str, str]:
    """The headers people read of a message; for one that came through an email API, also its
    front door, its call and the part of the request it was built from (the evidence a vendor
    needs to find the call in its own logs)."""
    headers = copy_headers(message.raw)
    if message.front_door != "smtp":
        headers["Front door"] = f"{message.front_door} (call {message.call})"
        headers["Request"] = message.evidence
    return headers


class Judge:
    """Judges copies one message at a time, then what is missing or doubled at the end."""

    def __init__(self, plan: Plan, index: TokenIndex) -> None:
        self.plan = plan
        self.index = index
        self.violations: list[Violation] = []
        self.matrix = DeliveryMatrix()
        self.copies = 0
        self.messages = 0
        self.recipients: set[str] = set()
        # message seq -> the headers people read (From, To, Subject...), for flagged messages
        self.headers: dict[int, dict[str, str]] = {}
        # Permanent refusals: what each could have carried, and the reply, for the evidence.
        self.refused_pairs: dict[tuple[str, str], str] = {}  # refused DATA: (r, student)
        self.refused_recipients: dict[str, str] = {}  # refused at RCPT: content never sent

    @property
    def delivered(self) -> Counter[tuple[str, str]]:
        """(recipient, student) -> copies the plan allows: the matrix's authorized cells."""
        authorized_for = self.plan.authorized_for
        return Counter(
            {cell: n for cell, n in self.matrix.cells.items() if cell[1] in authorized_for(cell[0])}
        )

    def judge_message(self, message: CapturedMessage) -> None:
        findings = find_subjects(self.index, message.raw, self.plan.details)
        self.messages += 1
        found_before = len(self.violations)
        for copy in message.copies():
            case = CopyCase.of(self.plan, copy.recipient, message.seq, findings)
            self.copies += 1
            self.recipients.add(case.recipient)
            self.matrix.add_copy(case.recipient, case.concerned, findings.addresses_shown)
            for check in COPY_CHECKS:
                self.violations.extend(check.judge(case))
        if len(self.violations) > found_before:
            # Kept now: the judge sees each message once (streamed from the sink's store).
            self.headers[message.seq] = shown_headers(message)

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
        case = RunCase(self.plan, self.matrix, self.refused_pairs, self.refused_recipients)
        for check in RUN_CHECKS:
            self.violations.extend(check.judge(case))
        return self.violations
