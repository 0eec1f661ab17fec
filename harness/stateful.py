"""Stateful testing: several campaigns through one pipeline while the roster changes.

`CampaignMachine` is a Hypothesis `RuleBasedStateMachine`. Its steps send a campaign, change
an address, add a restriction (a custody order), move a student to another school, or unlink
a contact; each campaign is judged against the roster as it is at that moment. One adapter
instance serves every campaign of a run, so a pipeline that remembers anything between
campaigns (a recipient cache, say) is caught when the roster has moved on, and Hypothesis
shrinks the failure to the few steps that matter.

A vendor tests its own pipeline by subclassing:

    class OurMachine(CampaignMachine):
        adapter = "cmd:./send-notices.sh"

    TestOurPipeline = OurMachine.TestCase
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from harness.adapters.base import Adapter
from harness.pipeline_check import AdapterLike, PipelineFailure, as_adapter, check_pipeline
from harness.roster.campaign import CAMPAIGN_KINDS, Campaign, build_campaign
from harness.roster.model import Link, Roster, Student
from harness.sink.server import CaptureSink

__all__ = ["CampaignMachine", "all_students_campaign"]

# Any index into the current roster's lists; shrinks to 0, the first item.
_INDEX = st.integers(min_value=0, max_value=2**16)
# Two, so a student can always move to a school other than its own.
TRANSFER_SCHOOLS = ("Harbor View Transfer Academy", "Lakeside Transfer Academy")
CHANGED_DOMAIN = "moved.example"
MAX_STUDENTS = 8
# generate_roster draws Faker name pools per seed (the costly part) and caches a few: a small
# seed range keeps each step fast while sizes, flags and changes still vary.
SEEDS = 4


def all_students_campaign(roster: Roster, kind: str, number: int) -> Campaign:
    """A campaign of `kind` about every student, so every roster change is in its reach."""
    base = build_campaign(roster.students, kind, campaign_id=f"{kind}-{number}")
    field = CAMPAIGN_KINDS[kind].selects_on
    return dataclasses.replace(
        base,
        selected=tuple(s.id for s in roster.students),
        details={s.id: s.sensitive.get(field) or "no record on file" for s in roster.students},
    )


class CampaignMachine(RuleBasedStateMachine):
    """Campaigns and roster changes in any order; every campaign must pass every check."""

    # The pipeline under test: a spec, an Adapter, or a function (roster, campaign, smtp).
    adapter: ClassVar[AdapterLike] = "reference"
    # Idle seconds the sink waits after the last session closes (see CaptureSink.wait_idle).
    grace: ClassVar[float] = 0.05
    # The sink campaigns go to (None: the process's shared loopback sink).
    sink: ClassVar[CaptureSink | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.pipeline: Adapter = as_adapter(type(self).adapter)
        self.roster = Roster((), (), ())
        self.campaigns = 0
        self.changes = 0
        self.steps: list[str] = []  # what happened so far, in words (a failure's reproduction)

    @initialize(students=st.integers(1, MAX_STUDENTS), seed=st.integers(0, SEEDS - 1))
    def generate(self, students: int, seed: int) -> None:
        from harness.roster.generate import generate_roster

        self.roster = generate_roster(students, seed)
        self.steps.append(f"generate a roster of {students} students (seed {seed})")

    # -- campaigns ------------------------------------------------------------------------

    @rule(kind=st.sampled_from(sorted(CAMPAIGN_KINDS)))
    def send_campaign(self, kind: str) -> None:
        self.campaigns += 1
        campaign = all_students_campaign(self.roster, kind, self.campaigns)
        self.steps.append(f"send the {kind} campaign about every student")
        self.before_campaign()
        # A fresh pipeline would pass `mailharness run` on this roster: the steps Hypothesis
        # prints are the reproduction, so no run command is offered.
        try:
            check_pipeline(
                self.pipeline,
                self.roster,
                campaign,
                sink=type(self).sink,
                grace=self.grace,
                reproducible=False,
            )
        except PipelineFailure as failure:
            self.failed(failure, campaign)
            raise

    def before_campaign(self) -> None:
        """Called before each campaign is sent; a subclass may end the run here (a budget)."""

    def failed(self, failure: PipelineFailure, campaign: Campaign) -> None:
        """Called with each failing campaign before it propagates (a subclass keeps it)."""

    # -- roster changes ---------------------------------------------------------------------

    def _mailable_links(self) -> list[Link]:
        contacts = self.roster.contact_by_id
        return [link for link in self.roster.links if contacts[link.contact_id].address]

    @precondition(lambda self: any(c.address for c in self.roster.contacts))
    @rule(which=_INDEX)
    def change_address(self, which: int) -> None:
        """A contact's email changes: the old address must hear nothing more."""
        contacts = [c for c in self.roster.contacts if c.address]
        contact = contacts[which % len(contacts)]
        self.changes += 1
        self.steps.append(f"change the address of {contact.id}")
        local = contact.id.lower().replace(" ", "")
        moved = dataclasses.replace(contact, email=f"{local}.{self.changes}@{CHANGED_DOMAIN}")
        self._replace(
            contacts=tuple(moved if c.id == contact.id else c for c in self.roster.contacts)
        )

    @precondition(lambda self: any(not link.contact_restricted for link in self.roster.links))
    @rule(which=_INDEX)
    def add_restriction(self, which: int) -> None:
        """A custody or no-contact order: the link still says it receives mail."""
        links = [link for link in self.roster.links if not link.contact_restricted]
        target = links[which % len(links)]
        restricted = dataclasses.replace(target, contact_restricted=True)
        self.steps.append(f"restrict {target.contact_id} for {target.student_id}")
        self._replace(links=tuple(restricted if x == target else x for x in self.roster.links))

    @precondition(lambda self: bool(self.roster.students))
    @rule(which=_INDEX)
    def move_school(self, which: int) -> None:
        """A student changes school: notices must name the new one."""
        student = self.roster.students[which % len(self.roster.students)]
        schools = sorted({s.school for s in self.roster.students} | set(TRANSFER_SCHOOLS))
        new_school = next(s for s in schools if s != student.school)
        moved: Student = dataclasses.replace(student, school=new_school)
        self.steps.append(f"move {student.id} to {new_school}")
        self._replace(
            students=tuple(moved if s.id == student.id else s for s in self.roster.students)
        )

    @precondition(lambda self: bool(self.roster.links))
    @rule(which=_INDEX)
    def unlink_contact(self, which: int) -> None:
        """A contact is no longer linked to a student (the contact stays on the roster)."""
        links = self._mailable_links() or list(self.roster.links)
        target = links[which % len(links)]
        self.steps.append(f"unlink {target.contact_id} from {target.student_id}")
        self._replace(links=tuple(x for x in self.roster.links if x != target))

    def _replace(self, **changes: object) -> None:
        # A new Roster, so its cached indexes are rebuilt for the changed records.
        self.roster = dataclasses.replace(self.roster, **changes)  # type: ignore[arg-type]
