"""The bug zoo's API senders: each provider's classic mistake, sent to the sink's front door.

They speak the provider's HTTP API with nothing but urllib (the SDKs are test extras), and
choose recipients by the contract's rule as a vendor writes it from the roster (never through
the oracle): every contact of a selected student who has an address, receives mail and is not
restricted, less any address a restricted contact of that student also uses; one notice per
(address, student).
"""

from __future__ import annotations

import base64
import json
import string
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.errors import AdapterError
from harness.roster.campaign import Campaign, notice_fields, render
from harness.roster.model import Contact, Roster, Student

__all__ = [
    "API_MUTANTS",
    "ApiMutant",
    "MailgunNoRecipientVariables",
    "PostmarkBatchResend",
    "SendGridSharedPersonalization",
    "SesBulkShift",
    "SesRawBccHeader",
]

TIMEOUT = 60.0


def notices(roster: Roster, campaign: Campaign) -> list[tuple[Student, Contact]]:
    """(student, the contact greeted) for each (address, selected student) to notify."""
    students, contacts = roster.student_by_id, roster.contact_by_id
    chosen = []
    for student_id in campaign.selected:
        links = [
            (link, contacts[link.contact_id])
            for link in roster.links_by_student.get(student_id, ())
            if contacts[link.contact_id].address
        ]
        restricted = {contact.address for link, contact in links if link.contact_restricted}
        by_address: dict[str, Contact] = {}
        for link, contact in sorted(links, key=lambda pair: pair[1].id):
            address = contact.address
            if link.receives_mail and not link.contact_restricted and address not in restricted:
                assert address is not None  # kept only contacts with an address above
                by_address.setdefault(address, contact)
        chosen += [(students[student_id], by_address[a]) for a in sorted(by_address)]
    return chosen


def post_json(url: str, body: Any, headers: Mapping[str, str]) -> tuple[int, Any]:
    """(status, JSON answer or None) of one POST; an AdapterError if the door cannot be reached."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, TimeoutError) as err:
        raise AdapterError(f"cannot reach {url}: {getattr(err, 'reason', err)}") from None
    return status, json.loads(raw) if raw else None


def post_form(url: str, fields: list[tuple[str, str]], headers: Mapping[str, str]) -> int:
    """The status of one form POST; an AdapterError if the door cannot be reached."""
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, TimeoutError) as err:
        raise AdapterError(f"cannot reach {url}: {getattr(err, 'reason', err)}") from None


# What an AWS SDK would send: SES verifies no signature here, but refuses a request without.
_SES_AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=mailharness/us-east-1/ses"}
_MAILGUN_AUTH = {"Authorization": "Basic " + base64.b64encode(b"api:key-mailharness").decode()}


def _by_school(roster: Roster, campaign: Campaign) -> dict[str, dict[str, str]]:
    """School -> (address -> email) of every family notified there."""
    found: dict[str, dict[str, str]] = {}
    for student, contact in notices(roster, campaign):
        assert contact.email is not None and contact.address is not None
        found.setdefault(student.school, {}).setdefault(contact.address, contact.email)
    return found


class ApiMutant:
    """A bug zoo sender that speaks a provider's API (see `harness.adapters.mutants.Mutant`)."""

    name: str = ""
    catches: str = ""
    across_campaigns = needs_search = False

    @property
    def spec(self) -> str:
        return f"mutant:{self.name}"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        raise NotImplementedError


def _door(smtp: SmtpTarget, provider: str) -> str:
    try:
        return smtp.api_url(provider)
    except LookupError as err:
        raise AdapterError(str(err)) from None


class SendGridSharedPersonalization(ApiMutant):
    """sendgrid-php #913: every guardian of a school in one personalization's `to`, so the one
    message SendGrid delivers shows every family's address to every family."""

    name, catches = "sendgrid-shared-personalization", "exposed-recipients"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        url = _door(smtp, "sendgrid") + "/v3/mail/send"
        for school, addresses in sorted(_by_school(roster, campaign).items()):
            body = {
                "personalizations": [{"to": [{"email": e} for e in addresses.values()]}],
                "from": {"email": campaign.sender},
                "subject": f"Action needed: {campaign.kind} records at {school}",
                "content": [{"type": "text/plain", "value": "Dear families,\n\nPlease check "
                             "your child's records before the deadline.\n"}],
            }  # fmt: skip
            status, answer = post_json(url, body, {"Authorization": "Bearer SG.mailharness"})
            if status != 202:
                raise AdapterError(f"{self.spec}: SendGrid answered {status}: {answer}")
        return AdapterOutcome(spec=self.spec)


class PostmarkBatchResend(ApiMutant):
    """A batch with one failed item is sent again whole: every notice that had gone through
    is delivered twice. The failed item is a typo in one address, fixed before the resend."""

    name, catches = "postmark-batch-resend", "duplicate-notice"
    per_batch = 500

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        messages = []
        for student, contact in notices(roster, campaign):
            fields = notice_fields(campaign, student, contact)
            item = {
                "From": campaign.sender,
                "To": contact.email,
                "Subject": render(campaign.subject, fields),
                "TextBody": render(campaign.text, fields),
            }
            if campaign.html is not None:
                item["HtmlBody"] = render(campaign.html, fields)
            messages.append(item)
        if messages:
            messages[0] = {**messages[0], "To": str(messages[0]["To"]).replace("@", " at ", 1)}
        url = _door(smtp, "postmark") + "/email/batch"
        token = {"X-Postmark-Server-Token": "mailharness"}
        for start in range(0, len(messages), self.per_batch):
            batch = messages[start : start + self.per_batch]
            for _ in range(2):
                status, answers = post_json(url, batch, token)
                if status != 200:
                    raise AdapterError(f"{self.spec}: Postmark answered {status}: {answers}")
                if all(a["ErrorCode"] == 0 for a in answers):
                    break
                # The bug: fix the failed items, then resend the whole batch.
                batch = [{**m, "To": str(m["To"]).replace(" at ", "@", 1)} for m in batch]
        return AdapterOutcome(spec=self.spec)


class MailgunNoRecipientVariables(ApiMutant):
    """Mailgun batch sending without `recipient-variables`: the families of a school in one
    call's `to`, so Mailgun delivers one message whose To shows them all (its docs warn)."""

    name, catches = "mailgun-no-recipient-variables", "exposed-recipients"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        url = _door(smtp, "mailgun") + "/v3/mg.district.example.org/messages"
        for school, addresses in sorted(_by_school(roster, campaign).items()):
            fields = [("from", campaign.sender)]
            fields += [("to", email) for email in addresses.values()]
            fields += [
                ("subject", f"Action needed: {campaign.kind} records at {school}"),
                ("text", "Dear families,\n\nPlease check your child's records.\n"),
            ]
            status = post_form(url, fields, _MAILGUN_AUTH)
            if status != 200:
                raise AdapterError(f"{self.spec}: Mailgun answered {status}")
        return AdapterOutcome(spec=self.spec)


class SesRawBccHeader(ApiMutant):
    """SendRawEmail routed by Destinations, with every guardian of a school written into a Bcc
    header that travels with the raw message (SES documents no removal of it)."""

    name, catches = "ses-raw-bcc-header", "exposed-recipients"
    per_message = 50  # SES's recipient limit

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        url = _door(smtp, "ses") + "/"
        for school, addresses in sorted(_by_school(roster, campaign).items()):
            emails = list(addresses.values())
            for start in range(0, len(emails), self.per_message):
                group = emails[start : start + self.per_message]
                message = EmailMessage()
                message["From"] = campaign.sender
                message["To"] = campaign.sender
                message["Bcc"] = ", ".join(group)
                message["Subject"] = f"Action needed: {campaign.kind} records at {school}"
                message.set_content("Dear families,\n\nPlease check your child's records.\n")
                fields = [("Action", "SendRawEmail"), ("Version", "2010-12-01")]
                fields += [(f"Destinations.member.{n}", e) for n, e in enumerate(group, 1)]
                fields.append(("RawMessage.Data", base64.b64encode(bytes(message)).decode()))
                status = post_form(url, fields, _SES_AUTH)
                if status != 200:
                    raise AdapterError(f"{self.spec}: SES answered {status}")
        return AdapterOutcome(spec=self.spec)


class SesBulkShift(ApiMutant):
    """SendBulkTemplatedEmail with the destinations sorted by address and the replacement data
    by student id, joined by position (LAUSD): families get each other's notices."""

    name, catches = "ses-bulk-shift", "foreign-student-data"
    per_call = 50  # SES's destinations per bulk call

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        url = _door(smtp, "ses") + "/"
        template = f"mailharness-{campaign.id}"
        fields = [("Action", "CreateTemplate"), ("Template.TemplateName", template)]
        fields += [
            ("Template.SubjectPart", _handlebars(campaign.subject)),
            ("Template.TextPart", _handlebars(campaign.text)),
        ]
        status = post_form(url, fields, _SES_AUTH)
        if status not in (200, 400):  # 400: created by an earlier run of this sink
            raise AdapterError(f"{self.spec}: SES answered {status} to CreateTemplate")
        chosen = notices(roster, campaign)
        destinations = sorted((contact.email or "" for _, contact in chosen))
        data = sorted(
            (notice_fields(campaign, student, contact) for student, contact in chosen),
            key=lambda fields: fields["student_id"],
        )
        for start in range(0, len(chosen), self.per_call):
            fields = [("Action", "SendBulkTemplatedEmail"), ("Source", campaign.sender)]
            fields += [("Template", template), ("DefaultTemplateData", "{}")]
            for n in range(start, min(start + self.per_call, len(chosen))):
                prefix = f"Destinations.member.{n - start + 1}"
                fields.append((f"{prefix}.Destination.ToAddresses.member.1", destinations[n]))
                fields.append((f"{prefix}.ReplacementTemplateData", json.dumps(data[n])))
            status = post_form(url, fields, _SES_AUTH)
            if status != 200:
                raise AdapterError(f"{self.spec}: SES answered {status}")
        return AdapterOutcome(spec=self.spec)


def _handlebars(template: str) -> str:
    """A str.format template as Handlebars, unescaped: {school} -> {{{school}}}."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append("{{{" + field + "}}}")
    return "".join(out)


API_MUTANTS: dict[str, type[ApiMutant]] = {
    mutant.name: mutant
    for mutant in (
        SendGridSharedPersonalization,
        PostmarkBatchResend,
        MailgunNoRecipientVariables,
        SesRawBccHeader,
        SesBulkShift,
    )
}
