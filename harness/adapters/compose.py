"""Building and sending notices: shared by the reference sender and the bug zoo."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from harness.adapters.base import SmtpTarget
from harness.oracle.plan import Plan
from harness.roster.campaign import Campaign, notice_fields, render
from harness.roster.model import Contact, Roster, Student


@dataclass(frozen=True)
class Outgoing:
    """One SMTP transaction: the envelope and the bytes sent."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


def compose_notice(
    campaign: Campaign, student: Student, contact: Contact, to: Sequence[Contact] = ()
) -> EmailMessage:
    """One student's notice, greeting `contact`, addressed to `to` (default: the contact)."""
    fields = notice_fields(campaign, student, contact)
    message = EmailMessage()
    message["From"] = campaign.sender
    message["To"] = ", ".join(_display(c) for c in (to or (contact,)))
    message["Subject"] = render(campaign.subject, fields)
    message["Message-ID"] = make_msgid(domain="district.example.org")
    message.set_content(render(campaign.text, fields))
    if campaign.html is not None:
        message.add_alternative(render(campaign.html, fields), subtype="html")
    if campaign.attachment is not None:
        maintype, _, subtype = campaign.attachment.content_type.partition("/")
        message.add_attachment(
            render(campaign.attachment.template, fields).encode(),
            maintype=maintype,
            subtype=subtype,
            filename=campaign.attachment.filename,
        )
    return message


def _display(contact: Contact) -> str:
    return formataddr((contact.full_name, contact.email or ""))


def greeted_contact(roster: Roster, student_id: str, address: str) -> Contact:
    """The contact a notice to `address` about the student greets: one that uses the address
    and is linked to the student to receive mail, or failing that any contact using it."""
    candidates = [
        roster.contact_by_id[link.contact_id]
        for link in roster.links_by_student.get(student_id, ())
        if link.receives_mail and roster.contact_by_id[link.contact_id].address == address
    ]
    candidates = candidates or list(roster.contacts_by_address.get(address, ()))
    return min(candidates, key=lambda c: c.id)


def per_recipient_notices(
    plan: Plan, extra: Callable[[EmailMessage, Student], None] | None = None
) -> list[Outgoing]:
    """The correct delivery: one copy per (recipient address, selected student), Bcc-safe.
    `extra` may add to each message (the bug zoo uses it to attach what it should not)."""
    roster, campaign = plan.roster, plan.campaign
    outgoing = []
    for student_id in campaign.selected:
        student = roster.student_by_id[student_id]
        for address in sorted(plan.recipients[student_id]):
            contact = greeted_contact(roster, student_id, address)
            message = compose_notice(campaign, student, contact)
            if extra is not None:
                extra(message, student)
            outgoing.append(Outgoing(campaign.sender, (contact.email or address,), message))
    return outgoing


def client_tls_context(smtp: SmtpTarget) -> ssl.SSLContext:
    """Verify the sink against `smtp.cafile` when given (name included); without one, the
    system's CAs, which a generated sink certificate does not chain to."""
    context = ssl.create_default_context(cafile=smtp.cafile)
    # A given leaf certificate is its own trust anchor, whoever signed it.
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def send_all(smtp: SmtpTarget, outgoing: Iterable[Outgoing], *, keep_bcc: bool = False) -> None:
    """Send every transaction over one connection. With keep_bcc the bytes go out as they are,
    a `Bcc:` header included (smtplib's send_message would strip it)."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=60) as client:
        if smtp.tls == "starttls":
            client.starttls(context=client_tls_context(smtp))
        if smtp.user is not None:
            client.login(smtp.user, smtp.password or "")
        for item in outgoing:
            if keep_bcc:
                client.sendmail(item.mail_from, list(item.rcpt_tos), item.message.as_bytes())
            else:
                client.send_message(item.message, item.mail_from, list(item.rcpt_tos))
