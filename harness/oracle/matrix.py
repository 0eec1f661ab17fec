"""Delivery matrices: what two pipelines delivered, compared copy for copy (`mailharness diff`).

For one run, the matrix counts, for every recipient and student, the copies to that recipient
that carry the student's data (detected as the checks detect it: `find_subjects`), and for
every recipient the *header shape* of its copies: how many addresses each shows in To, Cc
and Bcc. Two pipelines that are equivalent for a roster have equal matrices; where they
differ, the cells name the recipients and students involved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import compat32
from email.utils import getaddresses
from typing import Any, Literal

from harness.oracle.checks import find_subjects
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Roster, normalize_address
from harness.sink.capture import CapturedMessage

__all__ = [
    "ADDRESS_HEADERS",
    "DeliveryMatrix",
    "Difference",
    "build_matrix",
    "compare",
    "visible_addresses",
]

ADDRESS_HEADERS = ("To", "Cc", "Bcc")
# A name shared by several students is one subject "S-1|S-2" unless one of them is named
# unambiguously in the same copy (by id, say).
AMBIGUOUS_JOIN = "|"


@dataclass(frozen=True)
class DeliveryMatrix:
    # (recipient, student id) -> copies to the recipient carrying the student's data.
    cells: Mapping[tuple[str, str], int]
    # recipient -> {addresses visible in To/Cc/Bcc: copies}.
    shapes: Mapping[str, Mapping[int, int]]

    @property
    def copies(self) -> int:
        return sum(sum(shape.values()) for shape in self.shapes.values())


def visible_addresses(raw: bytes) -> int:
    """How many distinct addresses the To, Cc and Bcc headers of a message show."""
    message = message_from_bytes(raw, policy=compat32)
    values = [str(v) for name in ADDRESS_HEADERS for v in message.get_all(name, [])]
    return len({normalize_address(a) for _, a in getaddresses(values) if "@" in a})


def _students_carried(index: TokenIndex, raw: bytes) -> set[str]:
    findings = find_subjects(index, raw)
    carried = set(findings.students)
    for hit in findings.ambiguous_students:
        if not hit.subject_ids & carried:
            carried.add(AMBIGUOUS_JOIN.join(sorted(hit.subject_ids)))
    return carried


def build_matrix(index: TokenIndex, messages: Iterable[CapturedMessage]) -> DeliveryMatrix:
    cells: Counter[tuple[str, str]] = Counter()
    shapes: dict[str, Counter[int]] = {}
    for message in messages:
        carried = _students_carried(index, message.raw)
        visible = visible_addresses(message.raw)
        for copy in message.copies():
            for student_id in carried:
                cells[(copy.recipient, student_id)] += 1
            shapes.setdefault(copy.recipient, Counter())[visible] += 1
    return DeliveryMatrix(dict(cells), {r: dict(shape) for r, shape in shapes.items()})


@dataclass(frozen=True)
class Difference:
    kind: Literal["delivery", "header-shape"]
    recipient: str
    student: str | None = None  # delivery: the student (or ambiguous group) carried
    baseline_copies: int = 0  # delivery: copies to the recipient carrying the student
    candidate_copies: int = 0
    baseline_shape: Mapping[int, int] = field(default_factory=dict)  # {shown: copies}
    candidate_shape: Mapping[int, int] = field(default_factory=dict)

    def describe(self, roster: Roster) -> str:
        if self.kind == "delivery":
            return (
                f"to {self.recipient}: copies carrying {name_students(roster, self.student)}: "
                f"baseline {self.baseline_copies}, candidate {self.candidate_copies}"
            )
        return (
            f"to {self.recipient}: addresses shown in To/Cc/Bcc: "
            f"baseline {_shape(self.baseline_shape)}; candidate {_shape(self.candidate_shape)}"
        )

    def as_dict(self, roster: Roster) -> dict[str, Any]:
        entry: dict[str, Any] = {"kind": self.kind, "recipient": self.recipient}
        if self.kind == "delivery":
            entry["student"] = self.student
            entry["name"] = name_students(roster, self.student, with_ids=False)
            entry["baseline_copies"] = self.baseline_copies
            entry["candidate_copies"] = self.candidate_copies
        else:
            # JSON keys are strings: "addresses shown" -> copies.
            entry["baseline_shape"] = {str(k): v for k, v in sorted(self.baseline_shape.items())}
            entry["candidate_shape"] = {str(k): v for k, v in sorted(self.candidate_shape.items())}
        return entry


def compare(baseline: DeliveryMatrix, candidate: DeliveryMatrix) -> list[Difference]:
    """Every cell and header shape that differs, by recipient, deliveries first."""
    differences = []
    for recipient, student in sorted(baseline.cells.keys() | candidate.cells.keys()):
        before = baseline.cells.get((recipient, student), 0)
        after = candidate.cells.get((recipient, student), 0)
        if before != after:
            differences.append(Difference("delivery", recipient, student, before, after))
    for recipient in sorted(baseline.shapes.keys() | candidate.shapes.keys()):
        before_shape = baseline.shapes.get(recipient, {})
        after_shape = candidate.shapes.get(recipient, {})
        if before_shape != after_shape:
            differences.append(
                Difference(
                    "header-shape",
                    recipient,
                    baseline_shape=before_shape,
                    candidate_shape=after_shape,
                )
            )
    return sorted(differences, key=lambda d: (d.recipient, d.kind, d.student or ""))


def name_students(roster: Roster, key: str | None, *, with_ids: bool = True) -> str:
    names = []
    for student_id in (key or "").split(AMBIGUOUS_JOIN):
        student = roster.student_by_id.get(student_id)
        name = student.full_name if student else "?"
        names.append(f"{student_id} ({name})" if with_ids else name)
    return " or ".join(names)


def _shape(shape: Mapping[int, int]) -> str:
    if not shape:
        return "no copy"
    return ", ".join(
        f"{copies} {'copy' if copies == 1 else 'copies'} showing {shown}"
        for shown, copies in sorted(shape.items())
    )
