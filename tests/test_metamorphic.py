"""Metamorphic relations: the variants keep what a correct pipeline delivers, a changed
matrix is a `metamorphic-difference`, and reference shows none."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.adapters.base import AdapterOutcome
from harness.adapters.registry import resolve
from harness.metamorphic import RELATIONS, compare, mapped, variants
from harness.oracle.checks import CHECKS, SEVERITY
from harness.oracle.matrix import DeliveryMatrix
from harness.oracle.plan import Plan
from harness.report.json_report import build_report
from harness.roster.campaign import Campaign, build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster
from harness.runner import RunResult, run_once
from harness.search import judge_example
from harness.sink.server import CaptureSink
from tests.roster.test_strategies import assert_valid

ROSTER = generate_roster(12, 4)
CAMPAIGN = build_campaign(ROSTER.students)


def result(roster: Roster, campaign: Campaign, matrix: DeliveryMatrix) -> RunResult:
    return RunResult(
        plan=Plan(roster, campaign), outcome=AdapterOutcome("fake"), violations=[],
        messages=0, copies=0, recipients=0, connections=0, matrix=matrix,
    )  # fmt: skip


def test_the_check_is_declared_major() -> None:
    assert "metamorphic-difference" in {spec.id for spec in CHECKS}
    assert SEVERITY["metamorphic-difference"] == "major"


@pytest.mark.parametrize("relation", sorted(RELATIONS))
def test_variants_keep_the_plan(relation: str) -> None:
    planned = Counter(
        {(r, s): 1 for s, rs in Plan(ROSTER, CAMPAIGN).recipients.items() for r in rs}
    )
    total = DeliveryMatrix()
    for variant in variants(relation, ROSTER, CAMPAIGN, seed=7):
        assert_valid(variant.roster)
        plan = Plan(variant.roster, variant.campaign).recipients
        cells = Counter({(r, s): 1 for s, rs in plan.items() for r in rs})
        total += mapped(DeliveryMatrix(cells), variant.original_id)
    assert total.cells == planned


def test_renaming_changes_every_name_and_id() -> None:
    (variant,) = variants("rename", ROSTER, CAMPAIGN, seed=3)
    before = {(s.first_name, s.id) for s in ROSTER.students}
    assert before.isdisjoint({(s.first_name, s.id) for s in variant.roster.students})
    assert not {s.id for s in ROSTER.students} & {s.id for s in variant.roster.students}


def test_a_changed_matrix_is_a_difference_per_recipient() -> None:
    before = DeliveryMatrix(Counter({("a@example.com", "S-1"): 1, ("b@example.com", "S-2"): 1}))
    after = DeliveryMatrix(Counter({("a@example.com", "S-1"): 1, ("b@example.com", "S-3"): 1}))
    (violation,) = compare("shuffle", before, after)
    assert (violation.check, violation.recipient) == ("metamorphic-difference", "b@example.com")
    assert violation.students == ("S-2", "S-3")
    assert compare("shuffle", before, DeliveryMatrix(Counter(before.cells))) == []


def test_a_digest_split_in_two_copies_is_no_difference() -> None:
    """Splitting the campaign may rightly split a household digest into two copies: the
    relation compares who got whose data, not how many copies or header shapes."""
    cells = Counter({("a@example.com", "S-1"): 1, ("a@example.com", "S-2"): 1})
    digest = DeliveryMatrix(cells, Counter({("a@example.com", 1): 1}))
    halves = DeliveryMatrix(Counter(cells), Counter({("a@example.com", 1): 2}))
    assert compare("split", digest, halves) == []


def test_an_order_sensitive_pipeline_is_a_metamorphic_difference() -> None:
    """The fake pipeline mails only the first selected student: each run passes the fake
    oracle, but the two halves of a split deliver two students where the whole run had one."""

    def run(roster: Roster, campaign: Campaign) -> RunResult:
        first = campaign.selected[0]
        return result(roster, campaign, DeliveryMatrix(Counter({("a@example.com", first): 1})))

    found = judge_example(ROSTER, CAMPAIGN, "split", 0, run)
    assert found is not None
    assert found.check == "metamorphic-difference" and found.relation == "split"
    report = build_report(found.result, run={})
    assert report["checks"][-1]["id"] == "metamorphic-difference"
    assert judge_example(ROSTER, CAMPAIGN, None, 0, run) is None


@pytest.mark.parametrize("relation", sorted(RELATIONS))
def test_reference_shows_no_difference(relation: str) -> None:
    adapter = resolve("reference")
    with CaptureSink() as sink:

        def run(roster: Roster, campaign: Campaign) -> RunResult:
            return run_once(roster, campaign, adapter, sink, grace=0.02)

        assert judge_example(ROSTER, CAMPAIGN, relation, 11, run) is None
