"""The campaign machine: the reference sender passes every sequence of campaigns and roster
changes, and each change really changes what the oracle expects."""

from __future__ import annotations

from hypothesis import settings

from harness.roster.generate import generate_roster
from harness.stateful import CampaignMachine, all_students_campaign

TestReferenceAcrossCampaigns = CampaignMachine.TestCase
TestReferenceAcrossCampaigns.settings = settings(
    max_examples=10, stateful_step_count=6, deadline=None, database=None
)


def test_campaign_selects_every_student() -> None:
    roster = generate_roster(12, 3)
    campaign = all_students_campaign(roster, "vaccine", 2)
    assert campaign.id == "vaccine-2"
    assert set(campaign.selected) == {s.id for s in roster.students}
    assert all(campaign.details[s] for s in campaign.selected)


def machine_on(students: int, seed: int) -> CampaignMachine:
    machine = CampaignMachine()
    machine.generate(students=students, seed=seed)
    return machine


def test_each_change_changes_the_roster() -> None:
    machine = machine_on(6, 1)
    before = machine.roster
    machine.change_address(which=0)
    changed = next(c for c in machine.roster.contacts if c not in before.contacts)
    assert changed.email and changed.email.endswith("@moved.example")

    before = machine.roster
    machine.add_restriction(which=0)
    assert sum(x.contact_restricted for x in machine.roster.links) == 1 + sum(
        x.contact_restricted for x in before.links
    )

    before = machine.roster
    machine.move_school(which=0)
    assert machine.roster.students[0].school != before.students[0].school

    before = machine.roster
    machine.unlink_contact(which=0)
    assert len(machine.roster.links) == len(before.links) - 1


def test_a_student_can_always_move() -> None:
    machine = machine_on(1, 0)
    for _ in range(3):
        school = machine.roster.students[0].school
        machine.move_school(which=0)
        assert machine.roster.students[0].school != school


def test_a_pipeline_that_forgets_nothing_passes_after_changes() -> None:
    machine = machine_on(5, 2)
    machine.send_campaign(kind="vaccine")
    machine.change_address(which=1)
    machine.add_restriction(which=0)
    machine.send_campaign(kind="covid-test")
    assert machine.campaigns == 2


def test_a_function_adapter_runs_in_the_machine() -> None:
    from harness.adapters.compose import per_recipient_notices, send_all
    from harness.adapters.recipients import Mailing

    sent: list[str] = []

    def send(roster, campaign, smtp):  # type: ignore[no-untyped-def]
        sent.append(campaign.id)
        send_all(smtp, per_recipient_notices(Mailing(roster, campaign)))

    class FunctionMachine(CampaignMachine):
        adapter = staticmethod(send)

    machine = FunctionMachine()
    machine.generate(students=4, seed=0)
    machine.send_campaign(kind="attendance")
    machine.unlink_contact(which=0)
    machine.send_campaign(kind="vaccine")
    assert sent == ["attendance-1", "vaccine-2"]
