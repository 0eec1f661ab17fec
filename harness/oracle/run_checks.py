"""The checks judged once every copy is: on what the whole run delivered (`RunCase`), and
between a run and its metamorphic variants (`relation_check`). Plain functions, declared
like the copy checks and listed in `checks.RUN_CHECKS` / `checks.RELATION_CHECKS`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from harness.oracle.matrix import DeliveryMatrix, compare
from harness.oracle.plan import Plan
from harness.oracle.violation import CheckSpec, Evidence, Violation

__all__ = [
    "RelationCheck",
    "RunCase",
    "RunCheck",
    "delivery_failure",
    "duplicate_notice",
    "metamorphic_difference",
    "missing_notice",
    "relation_check",
    "run_check",
]


@dataclass(frozen=True)
class RunCase:
    """A whole run once judged: the plan, what was delivered, what the sink refused."""

    plan: Plan
    matrix: DeliveryMatrix
    refused_pairs: Mapping[tuple[str, str], str]  # refused DATA: (recipient, student) -> reply
    refused_recipients: Mapping[str, str]  # refused at RCPT: recipient -> reply

    def planned(self) -> Iterator[tuple[str, str, int]]:
        """(recipient, student, copies delivered) for every notice the plan intends."""
        cells = self.matrix.cells
        for student_id, addresses in self.plan.recipients.items():
            for r in sorted(addresses):
                yield r, student_id, cells.get((r, student_id), 0)

    def refusal(self, recipient: str, student_id: str) -> str | None:
        return self.refused_pairs.get((recipient, student_id)) or self.refused_recipients.get(
            recipient
        )


RunCheckFunction = Callable[[RunCase], list[Violation]]
RelationCheckFunction = Callable[[str, DeliveryMatrix, DeliveryMatrix], list[Violation]]


@dataclass(frozen=True)
class RunCheck:
    spec: CheckSpec
    judge: RunCheckFunction

    def __call__(self, case: RunCase) -> list[Violation]:
        return self.judge(case)


@dataclass(frozen=True)
class RelationCheck:
    spec: CheckSpec
    judge: RelationCheckFunction

    def __call__(
        self, relation: str, original: DeliveryMatrix, variant: DeliveryMatrix
    ) -> list[Violation]:
        return self.judge(relation, original, variant)


def run_check(check: str, severity: str, fires_when: str) -> Callable[[RunCheckFunction], RunCheck]:
    def declare(judge: RunCheckFunction) -> RunCheck:
        return RunCheck(CheckSpec(check, severity, fires_when), judge)

    return declare


def relation_check(
    check: str, severity: str, fires_when: str
) -> Callable[[RelationCheckFunction], RelationCheck]:
    def declare(judge: RelationCheckFunction) -> RelationCheck:
        return RelationCheck(CheckSpec(check, severity, fires_when), judge)

    return declare


@run_check("missing-notice", "minor", "a recipient got no copy about a student it must hear of")
def missing_notice(case: RunCase) -> list[Violation]:
    return [
        Violation("missing-notice", r, (student_id,))
        for r, student_id, copies in case.planned()
        if copies == 0 and case.refusal(r, student_id) is None
    ]


@run_check("duplicate-notice", "minor", "a recipient got more than one copy about a student")
def duplicate_notice(case: RunCase) -> list[Violation]:
    return [
        Violation(
            "duplicate-notice",
            r,
            (student_id,),
            (Evidence("envelope", f"{copies} copies to {r} about {student_id}"),),
        )
        for r, student_id, copies in case.planned()
        if copies > 1
    ]


@run_check(
    "delivery-failure",
    "minor",
    "a notice the sink refused permanently (5xx) was never delivered: not a leak, a bounce",
)
def delivery_failure(case: RunCase) -> list[Violation]:
    found = []
    for r, student_id, copies in case.planned():
        refused = case.refusal(r, student_id) if copies == 0 else None
        if refused is not None:
            evidence = (Evidence("envelope", f"refused for {r}: {refused}"),)
            found.append(Violation("delivery-failure", r, (student_id,), evidence))
    return found


@relation_check(
    "metamorphic-difference",
    "major",
    "shuffling, splitting or renaming the roster changed who got whose data",
)
def metamorphic_difference(
    relation: str, original: DeliveryMatrix, variant: DeliveryMatrix
) -> list[Violation]:
    """One violation per recipient whose copies about some student changed in number. Header
    shapes are not compared: a digest split in two halves is two copies, rightly."""
    differing: dict[str, list[tuple[str, int, int]]] = {}
    for difference in compare(original, variant, shapes=False):
        differing.setdefault(difference.recipient, []).append(
            (difference.student or "", difference.baseline_copies, difference.candidate_copies)
        )
    return [
        Violation(
            check="metamorphic-difference",
            recipient=recipient,
            students=tuple(student for student, _, _ in cells),
            evidence=tuple(
                Evidence(
                    f"relation:{relation}",
                    f"{student}: {before} cop{'y' if before == 1 else 'ies'} in the original run, "
                    f"{after} after {relation}",
                )
                for student, before, after in cells
            ),
        )
        for recipient, cells in differing.items()
    ]
