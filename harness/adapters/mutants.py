"""The bug zoo: deliberately buggy senders, each reproducing one real programming error.

Each mutant is a few lines on top of the correct delivery, so that the one thing it gets wrong
is plain to read. The check that must catch it is named in `catches`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.compose import (
    REPLY_TIMEOUT,
    Outgoing,
    compose_notice,
    greeted_contact,
    per_recipient_notices,
    send_all,
)
from harness.adapters.recipients import Mailing
from harness.roster.campaign import Campaign, notice_fields, render
from harness.roster.model import Contact, Roster, Student


class Mutant:
    name: str = ""
    catches: str = ""
    keep_bcc: bool = False
    reply_timeout: float = REPLY_TIMEOUT
    # True for a mutant whose error shows only in a later campaign of the same instance
    # (harness.stateful catches it); one `mailharness run` sends it correctly.
    across_campaigns: bool = False
    # True for a mutant whose error shows only where the roster puts its trigger (a batch
    # boundary between two families): one generated roster may not; `run --examples` finds it.
    needs_search: bool = False

    @property
    def spec(self) -> str:
        return f"mutant:{self.name}"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        outgoing = self.outgoing(Mailing(roster, campaign))
        send_all(smtp, outgoing, keep_bcc=self.keep_bcc, timeout=self.reply_timeout)
        return AdapterOutcome(spec=self.spec)

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        raise NotImplementedError


def _every_recipient(mailing: Mailing) -> list[Contact]:
    chosen: dict[str, Contact] = {}
    for copies in mailing.recipients.values():
        for address, contact in copies:
            chosen.setdefault(address, contact)
    return [chosen[a] for a in sorted(chosen)]


def _generic_notice(campaign: Campaign) -> EmailMessage:
    message = EmailMessage()
    message["From"] = campaign.sender
    message["Subject"] = f"Action needed: {campaign.kind} records"
    message.set_content(
        "Dear families,\n\nOur records show that your child needs attention for this notice.\n"
        "Please reply with the updated records before the deadline.\n"
    )
    return message


class ToAll(Mutant):
    """Cedar Park: one message to every guardian, every address visible in To."""

    name, catches = "to-all", "exposed-recipients"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        contacts = _every_recipient(mailing)
        if not contacts:
            return []  # no recipient in this roster: nothing to send
        message = _generic_notice(mailing.campaign)
        message["To"] = ", ".join(f"{c.full_name} <{c.email}>" for c in contacts)
        return [Outgoing(mailing.campaign.sender, tuple(str(c.email) for c in contacts), message)]


class BccHeader(Mutant):
    """A blind copy done right in the envelope, but the Bcc header is sent with the data."""

    name, catches, keep_bcc = "bcc-header", "exposed-recipients", True

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        contacts = _every_recipient(mailing)
        if not contacts:
            return []  # no recipient in this roster: nothing to send
        message = _generic_notice(mailing.campaign)
        message["To"] = mailing.campaign.sender
        message["Bcc"] = ", ".join(f"{c.full_name} <{c.email}>" for c in contacts)
        return [Outgoing(mailing.campaign.sender, tuple(str(c.email) for c in contacts), message)]


class JoinShift(Mutant):
    """LAUSD: notices sorted by student id, recipient lists by surname, joined by position."""

    name, catches = "join-shift", "foreign-student-data"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster = mailing.roster
        students = [roster.student_by_id[s] for s in mailing.campaign.selected]
        notices = sorted(students, key=lambda s: s.id)
        by_surname = sorted(students, key=lambda s: (s.last_name, s.first_name))
        outgoing = []
        for student, owner in zip(notices, by_surname, strict=True):
            for address in mailing.addresses(owner.id):
                contact = greeted_contact(roster, owner.id, address)
                message = compose_notice(mailing.campaign, student, contact)
                outgoing.append(Outgoing(mailing.campaign.sender, (address,), message))
        return outgoing


class DetailShift(Mutant):
    """LAUSD, the sensitive column alone: the details are sorted by student id, the notices by
    surname, and joined by position. Every notice names its own student, with another's
    result."""

    name, catches = "detail-shift", "wrong-detail"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        by_id = sorted(campaign.selected)
        by_name = sorted(
            campaign.selected,
            key=lambda s: (roster.student_by_id[s].last_name, roster.student_by_id[s].first_name),
        )
        shifted = dataclasses.replace(
            campaign,
            details={
                owner: campaign.details.get(source, "")
                for owner, source in zip(by_name, by_id, strict=True)
            },
        )
        outgoing = []
        for student_id in campaign.selected:
            student = roster.student_by_id[student_id]
            for address in mailing.addresses(student_id):
                contact = greeted_contact(roster, student_id, address)
                message = compose_notice(shifted, student, contact)
                outgoing.append(Outgoing(campaign.sender, (contact.email or address,), message))
        return outgoing


class IgnoresRestricted(Mutant):
    """Chooses every mail-receiving contact, ignoring custody and no-contact orders."""

    name, catches = "restricted", "restricted-recipient"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster = mailing.roster
        outgoing = []
        for student_id in mailing.campaign.selected:
            addresses = {
                roster.contact_by_id[link.contact_id].address
                for link in roster.links_by_student[student_id]
                if link.receives_mail
            }
            for address in sorted(a for a in addresses if a):
                contact = greeted_contact(roster, student_id, address)
                message = compose_notice(
                    mailing.campaign, roster.student_by_id[student_id], contact
                )
                outgoing.append(Outgoing(mailing.campaign.sender, (address,), message))
        return outgoing


class Duplicate(Mutant):
    """A guardian shared by siblings is expanded once per sibling: every notice twice."""

    name, catches = "duplicate", "duplicate-notice"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        correct = per_recipient_notices(mailing)
        per_address = Counter(item.rcpt_tos for item in correct)
        return [
            repeat
            for item in correct
            for repeat in [item] * (2 if per_address[item.rcpt_tos] > 1 else 1)
        ]


class ClassList(Mutant):
    """Each notice attaches the student's whole class list as CSV."""

    name, catches = "class-list", "foreign-student-data"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        classes: dict[tuple[str, int], list[Student]] = {}
        for student in mailing.roster.students:
            classes.setdefault((student.school, student.grade), []).append(student)

        def attach(message: EmailMessage, student: Student) -> None:
            table = io.StringIO()
            writer = csv.writer(table)
            writer.writerow(["student_id", "first_name", "last_name", "detail"])
            for classmate in classes[(student.school, student.grade)]:
                detail = mailing.campaign.details.get(classmate.id, "")
                writer.writerow([classmate.id, classmate.first_name, classmate.last_name, detail])
            message.add_attachment(
                table.getvalue().encode(), maintype="text", subtype="csv", filename="class-list.csv"
            )

        return per_recipient_notices(mailing, extra=attach)


class RetryDuplicate(Mutant):
    """Waits one second for a reply, then takes the silence for a failure and sends again.

    A slow server had already accepted the message: the family gets it twice. Correct on a
    fast server, so only a run with slow replies (`--fault data:slow:RATE`) shows it; RFC 5321
    gives the server 10 minutes to answer the end of DATA.
    """

    name, catches, reply_timeout = "retry-duplicate", "duplicate-notice", 1.0

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        return per_recipient_notices(mailing)


class BatchBoundary(Mutant):
    """Sends in batches of 50 notices; the first notice of every batch after the first is
    rendered with the previous batch's last student still in the buffer."""

    name, catches, needs_search = "batch-boundary", "foreign-student-data", True
    batch = 50

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        pending = [
            (roster.student_by_id[student_id], address)
            for student_id in campaign.selected
            for address in mailing.addresses(student_id)
        ]
        outgoing = []
        buffered: Student | None = None
        for index, (student, address) in enumerate(pending):
            if index % self.batch or buffered is None:
                buffered = student  # the buffer is refilled, except at a batch's first notice
            contact = greeted_contact(roster, student.id, address)
            message = compose_notice(campaign, buffered, contact)
            outgoing.append(Outgoing(campaign.sender, (address,), message))
            buffered = student
        return outgoing


class SurnameMerge(Mutant):
    """Household digests keyed by surname: unrelated families sharing a last name are merged
    into one digest, sent to every guardian of every one of them."""

    name, catches = "surname-merge", "foreign-student-data"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        households: dict[str, list[Student]] = {}
        for student_id in campaign.selected:
            student = roster.student_by_id[student_id]
            households.setdefault(student.last_name, []).append(student)
        outgoing = []
        for children in households.values():
            addresses = sorted({a for kid in children for a in mailing.addresses(kid.id)})
            for address in addresses:
                greeted = next(k for k in children if address in mailing.addresses(k.id))
                contact = greeted_contact(roster, greeted.id, address)
                message = EmailMessage()
                message["From"] = campaign.sender
                message["To"] = address
                message["Subject"] = (
                    f"{campaign.kind} notices for the {children[0].last_name} family"
                )
                message.set_content(
                    "\n\n".join(
                        render(campaign.text, notice_fields(campaign, kid, contact))
                        for kid in children
                    )
                )
                outgoing.append(Outgoing(campaign.sender, (address,), message))
        return outgoing


class Race(Mutant):
    """Worker threads render into one shared template context: between setting a notice's
    fields and rendering it, another worker overwrites them."""

    name, catches = "race", "foreign-student-data"
    workers = 4

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        shared: dict[str, Any] = {}  # the bug: one context for every worker

        def render_notice(student: Student, address: str) -> Outgoing:
            contact = greeted_contact(roster, student.id, address)
            shared.update(notice_fields(campaign, student, contact))
            time.sleep(0.005)  # a template engine's work: long enough for another worker
            message = EmailMessage()
            message["From"] = campaign.sender
            message["To"] = address
            message["Subject"] = render(campaign.subject, shared)
            message.set_content(render(campaign.text, shared))
            return Outgoing(campaign.sender, (address,), message)

        jobs = [
            (roster.student_by_id[student_id], address)
            for student_id in campaign.selected
            for address in mailing.addresses(student_id)
        ]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(lambda job: render_notice(*job), jobs))


class OrderDependent(Mutant):
    """Walks the roster keeping the 'current recipients' in one variable: a student whose own
    list comes out empty (no email, no mail, restricted) inherits the previous student's."""

    name, catches = "order-dependent", "foreign-student-data"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        outgoing = []
        current: list[str] = []
        for student_id in campaign.selected:
            current = list(mailing.addresses(student_id)) or current
            student = roster.student_by_id[student_id]
            for address in current:
                contact = greeted_contact(roster, student_id, address)
                message = compose_notice(campaign, student, contact)
                outgoing.append(Outgoing(campaign.sender, (address,), message))
        return outgoing


class StaleCache(Mutant):
    """Caches each student's recipients from the first campaign that selects the student and
    reuses them in every later campaign: after an address change, a new custody order or an
    unlinked contact, it still mails the old address or the now-forbidden contact. A single
    campaign is sent correctly; only a second one, after the roster changed, shows it."""

    name, catches, across_campaigns = "stale-cache", "restricted-recipient", True

    def __init__(self) -> None:
        self._recipients: dict[str, tuple[tuple[str, Contact], ...]] = {}

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        outgoing = []
        for student_id in campaign.selected:
            if student_id not in self._recipients:
                self._recipients[student_id] = tuple(
                    (address, greeted_contact(roster, student_id, address))
                    for address in mailing.addresses(student_id)
                )
            student = roster.student_by_id[student_id]
            for address, contact in self._recipients[student_id]:
                message = compose_notice(campaign, student, contact)
                outgoing.append(Outgoing(campaign.sender, (address,), message))
        return outgoing


class Unrendered(Mutant):
    """Middletown: the subject is merged, but every third notice's body goes out with its
    first-name placeholder still in it ("{student_first_name} Lee has 4 absences")."""

    name, catches = "unrendered", "unrendered-template"

    def outgoing(self, mailing: Mailing) -> list[Outgoing]:
        roster, campaign = mailing.roster, mailing.campaign
        left = "{student_first_name}"
        unmerged = dataclasses.replace(
            campaign,
            text=campaign.text.replace(left, "{" + left + "}"),
            html=campaign.html and campaign.html.replace(left, "{" + left + "}"),
        )
        outgoing = []
        for position, student_id in enumerate(campaign.selected):
            student = roster.student_by_id[student_id]
            body_from = unmerged if position % 3 == 0 else campaign
            for address in mailing.addresses(student_id):
                contact = greeted_contact(roster, student_id, address)
                message = compose_notice(body_from, student, contact)
                outgoing.append(Outgoing(campaign.sender, (contact.email or address,), message))
        return outgoing


MUTANTS: dict[str, type[Mutant]] = {
    m.name: m
    for m in (
        ToAll,
        JoinShift,
        DetailShift,
        IgnoresRestricted,
        BccHeader,
        Duplicate,
        ClassList,
        RetryDuplicate,
        StaleCache,
        Unrendered,
        BatchBoundary,
        SurnameMerge,
        Race,
        OrderDependent,
    )
}

# Mutants whose error only shows when the sink misbehaves: the faults that reveal them.
NEEDS_FAULTS: dict[str, tuple[str, ...]] = {"retry-duplicate": ("data:slow:0.03:2",)}
