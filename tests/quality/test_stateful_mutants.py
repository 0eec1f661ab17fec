"""Mutants whose error shows only across campaigns: the campaign machine catches them and
Hypothesis shrinks the failure to the few steps that matter."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.adapters.mutants import MUTANTS
from harness.pipeline_check import PipelineFailure
from harness.stateful import CampaignMachine

ACROSS = sorted(name for name, mutant in MUTANTS.items() if mutant.across_campaigns)
# What a stale recipient list can break once the roster moved on: a new custody order, an
# old address, an unlinked contact.
STALE_CHECKS = {"restricted-recipient", "unintended-recipient", "foreign-student-data"}


# The explain phase (which lines only failing runs reach) would re-run every step many times.
SEARCH = settings(
    max_examples=100,
    stateful_step_count=10,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


def failures(error: BaseException) -> list[BaseException]:
    inner = getattr(error, "exceptions", None)  # an ExceptionGroup (Python 3.11+)
    if inner is not None:
        return [leaf for each in inner for leaf in failures(each)]
    return [error]


def shrunk_steps(error: BaseException) -> list[str]:
    """The rule calls of the failing case Hypothesis printed, without the roster draw."""
    notes = getattr(error, "__notes__", [])
    calls = [line for note in notes for line in note.splitlines() if line.startswith("state.")]
    return [c for c in calls if not c.startswith(("state.generate(", "state.teardown("))]


@pytest.mark.parametrize("name", ACROSS)
def test_across_campaign_mutant_is_caught_and_shrunk(name: str) -> None:
    class Machine(CampaignMachine):
        adapter = f"mutant:{name}"
        grace = 0.0  # the mutants send in this process: every session closes before return

    with pytest.raises(PipelineFailure) as caught:
        run_state_machine_as_test(Machine, settings=SEARCH)
    [failure] = failures(caught.value)
    assert isinstance(failure, PipelineFailure)
    assert {v.check for v in failure.violations} & STALE_CHECKS
    steps = shrunk_steps(failure)
    # Send, change the roster, send again: the fewest steps that can show a stale cache.
    assert len(steps) <= 4, steps
    assert steps[0].startswith("state.send_campaign(")
    assert steps[-1].startswith("state.send_campaign(")


def test_a_stale_cache_breaks_only_the_campaign_after_a_change() -> None:
    machine = CampaignMachine()
    machine.pipeline = MUTANTS["stale-cache"]()
    machine.generate(students=6, seed=1)
    machine.send_campaign(kind="vaccine")
    machine.send_campaign(kind="attendance")  # nothing changed: the cache is still right
    machine.add_restriction(which=0)
    with pytest.raises(PipelineFailure) as caught:
        machine.send_campaign(kind="vaccine")
    assert "restricted-recipient" in {v.check for v in caught.value.violations}
