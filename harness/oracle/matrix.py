"""The delivery matrix of one run, and the one comparison of two matrices.

The judge fills the matrix while it judges (`Judge.matrix`, carried by `RunResult.matrix`):
for every recipient and student, how many copies to that recipient carry the student's data,
and for every recipient the *header shape* of its copies: how many addresses each shows in
To, Cc and Bcc. A copy carries a student when the checks say it does: named by id or by a
name only that student has, or by a name several students share. A shared name counts for
the candidates linked to the recipient, and for every candidate when none is (as the checks
attribute it), so every cell names one real student id.

`compare` is the comparison everything uses: `mailharness diff` (two pipelines, cells and
shapes) and the metamorphic relations (a run and its transformed variants, cells only).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any, Literal

from harness.roster.model import Roster, normalize_address

if TYPE_CHECKING:
    from harness.oracle.decode import Segment

__all__ = [
    "ADDRESS_HEADERS",
    "DeliveryMatrix",
    "Difference",
    "compare",
    "name_student",
    "visible_addresses",
]

ADDRESS_HEADERS = ("To", "Cc", "Bcc")
_ADDRESS_LOCATIONS = frozenset(f"header:{name.lower()}" for name in ADDRESS_HEADERS)
_LONGEST = max(map(len, _ADDRESS_LOCATIONS))  # a location longer is none of them: no lower()
# One plain address, bare or after a display name without specials: what nearly every copy's
# To: holds, read without getaddresses (which costs ~14 us a message, 4% of judging).
_PLAIN = r"[^\s<>,;:\"()\\@\[\]]+@[^\s<>,;:\"()\\@\[\]]+"
_ONE_ADDRESS = re.compile(rf"\s*(?:[^<>,;:\"()\\@\[\]]*<({_PLAIN})>|({_PLAIN}))\s*")


@dataclass
class DeliveryMatrix:
    # (recipient, student id) -> copies to the recipient carrying the student's data.
    cells: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (recipient, addresses its copy shows in To/Cc/Bcc) -> copies.
    shown: Counter[tuple[str, int]] = field(default_factory=Counter)

    def add_copy(self, recipient: str, students: Iterable[str], addresses_shown: int) -> None:
        for student_id in students:
            self.cells[(recipient, student_id)] += 1
        self.shown[(recipient, addresses_shown)] += 1

    def update(self, other: DeliveryMatrix) -> None:
        """Add another part's copies (a forked judge's, a variant run's)."""
        self.cells.update(other.cells)
        self.shown.update(other.shown)

    def __add__(self, other: DeliveryMatrix) -> DeliveryMatrix:
        total = DeliveryMatrix(Counter(self.cells), Counter(self.shown))
        total.update(other)
        return total

    def mapped(self, original_id: Mapping[str, str]) -> DeliveryMatrix:
        """The matrix with student ids mapped (a renamed roster's ids back to the original's)."""
        cells: Counter[tuple[str, str]] = Counter()
        for (recipient, student_id), count in self.cells.items():
            cells[(recipient, original_id.get(student_id, student_id))] += count
        return DeliveryMatrix(cells, Counter(self.shown))

    @property
    def copies(self) -> int:
        return sum(self.shown.values())

    @property
    def shapes(self) -> dict[str, dict[int, int]]:
        """recipient -> {addresses shown in To/Cc/Bcc: copies}."""
        shapes: dict[str, dict[int, int]] = {}
        for (recipient, addresses), count in self.shown.items():
            shapes.setdefault(recipient, {})[addresses] = count
        return shapes


def visible_addresses(segments: Iterable[Segment]) -> int:
    """How many distinct addresses the To, Cc and Bcc headers of a message show, from the
    message's decoded segments (those of an attached message do not count)."""
    values = [
        s.text
        for s in segments
        if len(s.location) <= _LONGEST and s.location.lower() in _ADDRESS_LOCATIONS
    ]
    if len(values) == 1 and _ONE_ADDRESS.fullmatch(values[0]):
        return 1  # the common case: one To: line of one address
    plain = [_ONE_ADDRESS.fullmatch(value) for value in values]
    if all(plain):
        return len({normalize_address(m.group(1) or m.group(2)) for m in plain if m})
    return len({normalize_address(a) for _, a in getaddresses(values) if "@" in a})


@dataclass(frozen=True)
class Difference:
    kind: Literal["delivery", "header-shape"]
    recipient: str
    student: str | None = None  # delivery: the student carried
    baseline_copies: int = 0  # delivery: copies to the recipient carrying the student
    candidate_copies: int = 0
    baseline_shape: Mapping[int, int] = field(default_factory=dict)  # {shown: copies}
    candidate_shape: Mapping[int, int] = field(default_factory=dict)

    def describe(self, roster: Roster) -> str:
        if self.kind == "delivery":
            return (
                f"to {self.recipient}: copies carrying {name_student(roster, self.student)}: "
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
            entry["name"] = name_student(roster, self.student, with_id=False)
            entry["baseline_copies"] = self.baseline_copies
            entry["candidate_copies"] = self.candidate_copies
        else:
            # JSON keys are strings: "addresses shown" -> copies.
            entry["baseline_shape"] = {str(k): v for k, v in sorted(self.baseline_shape.items())}
            entry["candidate_shape"] = {str(k): v for k, v in sorted(self.candidate_shape.items())}
        return entry


def compare(
    baseline: DeliveryMatrix, candidate: DeliveryMatrix, *, shapes: bool = True
) -> list[Difference]:
    """Every cell (and, with `shapes`, every header shape) that differs, by recipient,
    deliveries first."""
    differences = []
    for recipient, student in sorted(baseline.cells.keys() | candidate.cells.keys()):
        before = baseline.cells.get((recipient, student), 0)
        after = candidate.cells.get((recipient, student), 0)
        if before != after:
            differences.append(Difference("delivery", recipient, student, before, after))
    if shapes:
        before_shapes, after_shapes = baseline.shapes, candidate.shapes
        for recipient in sorted(before_shapes.keys() | after_shapes.keys()):
            before_shape = before_shapes.get(recipient, {})
            after_shape = after_shapes.get(recipient, {})
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


def name_student(roster: Roster, student_id: str | None, *, with_id: bool = True) -> str:
    student = roster.student_by_id.get(student_id or "")
    name = student.full_name if student else "?"
    return f"{student_id} ({name})" if with_id else name


def _shape(shape: Mapping[int, int]) -> str:
    if not shape:
        return "no copy"
    return ", ".join(
        f"{copies} {'copy' if copies == 1 else 'copies'} showing {shown}"
        for shown, copies in sorted(shape.items())
    )
