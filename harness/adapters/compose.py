"""Building and sending notices: shared by the reference sender and the bug zoo."""

from __future__ import annotations

import contextlib
import heapq
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from harness.adapters.base import SmtpTarget
from harness.adapters.recipients import Mailing
from harness.errors import AdapterError
from harness.roster.campaign import Campaign, notice_fields, render
from harness.roster.model import Contact, Roster, Student


@dataclass(frozen=True)
class Outgoing:
    """One SMTP transaction: the envelope and the bytes sent."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage | bytes  # bytes: sent as they are (the reference's notice_bytes)


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
    mailing: Mailing, extra: Callable[[EmailMessage, Student], None] | None = None
) -> list[Outgoing]:
    """The correct delivery: one copy per (recipient address, selected student), Bcc-safe.
    `extra` may add to each message (the bug zoo uses it to attach what it should not)."""
    roster, campaign = mailing.roster, mailing.campaign
    outgoing = []
    for student_id in campaign.selected:
        student = roster.student_by_id[student_id]
        for address, contact in mailing.recipients[student_id]:
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


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a temporary failure (4xx, a dropped connection) is retried."""

    attempts: int = 8
    first_delay: float = 0.05
    max_delay: float = 1.0

    def delay(self, attempt: int) -> float:
        """The wait before attempt number `attempt` + 1 (attempts count from 1)."""
        return float(min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


REPLY_TIMEOUT = 60.0  # seconds; RFC 5321 asks for 10 minutes after DATA, 60 s is plenty here


def send_all(
    smtp: SmtpTarget,
    outgoing: Iterable[Outgoing],
    *,
    keep_bcc: bool = False,
    timeout: float = REPLY_TIMEOUT,
    retry: RetryPolicy = RetryPolicy(),
) -> None:
    """Send every transaction, over one connection while it lasts.

    With keep_bcc the bytes go out as they are, a `Bcc:` header included (smtplib's
    send_message would strip it). A temporary failure (a 4xx reply, a dropped connection, a
    timeout) is retried with backoff, for only the recipients it concerned; a permanent one
    (5xx) is given up, as a real MTA bounces it. A transaction that never gets through after
    `retry.attempts` is given up too, unless the server could never be reached at all.
    """
    due: list[tuple[float, int, Outgoing, tuple[str, ...], int]] = []
    for order, item in enumerate(outgoing):
        heapq.heappush(due, (0.0, order, item, item.rcpt_tos, 1))
    order = len(due)
    client: smtplib.SMTP | None = None
    try:
        while due:
            when, _, item, rcpts, attempt = heapq.heappop(due)
            wait = when - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if client is None:
                try:
                    client = _connect(smtp, timeout)
                except OSError as err:
                    if attempt >= retry.attempts:
                        raise AdapterError(
                            f"cannot reach the SMTP server at {smtp.host}:{smtp.port}: {err}"
                        ) from None
                    order += 1
                    later = time.monotonic() + retry.delay(attempt)
                    heapq.heappush(due, (later, order, item, rcpts, attempt + 1))
                    continue
            retry_rcpts = _attempt(client, item, rcpts, keep_bcc)
            if client.sock is None:  # a 421 or a lost connection: reconnect next time
                client = None
            if retry_rcpts and attempt < retry.attempts:
                order += 1
                later = time.monotonic() + retry.delay(attempt)
                heapq.heappush(due, (later, order, item, retry_rcpts, attempt + 1))
    finally:
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            client.close()


def _connect(smtp: SmtpTarget, timeout: float) -> smtplib.SMTP:
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    try:
        if smtp.tls == "starttls":
            client.starttls(context=client_tls_context(smtp))
        if smtp.user is not None:
            client.login(smtp.user, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _attempt(
    client: smtplib.SMTP, item: Outgoing, rcpts: tuple[str, ...], keep_bcc: bool
) -> tuple[str, ...]:
    """Send `item` to `rcpts` once; return the recipients to retry (temporary failures)."""
    try:
        if isinstance(item.message, bytes):
            refused = client.sendmail(item.mail_from, list(rcpts), item.message)
        elif keep_bcc:
            refused = client.sendmail(item.mail_from, list(rcpts), item.message.as_bytes())
        else:
            refused = client.send_message(item.message, item.mail_from, list(rcpts))
    except smtplib.SMTPRecipientsRefused as err:
        refused = err.recipients
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
        return rcpts if 400 <= err.smtp_code < 500 else ()
    except (smtplib.SMTPServerDisconnected, OSError):
        # No 250 came: the message was not accepted (or the reply was lost, which a real
        # sender cannot tell apart; hence the long timeout).
        client.close()
        return rcpts
    return tuple(r for r in rcpts if r in refused and 400 <= refused[r][0] < 500)
