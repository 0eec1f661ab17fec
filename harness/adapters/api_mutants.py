"""The bug zoo's API senders: each provider's classic mistake, sent to the sink's front door.

They speak the provider's HTTP API with nothing but urllib (the SDKs are test extras), and
choose recipients by the contract's rule as a vendor writes it from the roster (never through
the oracle): every contact of a selected student who has an address, receives mail and is not
restricted, less any address a restricted contact of that student also uses; one notice per
(address, student).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.errors import AdapterError
from harness.roster.campaign import Campaign, notice_fields, render
from harness.roster.model import Contact, Roster, Student

__all__ = ["API_MUTANTS", "PostmarkBatchResend", "SendGridSharedPersonalization"]

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


def _door(smtp: SmtpTarget, provider: str) -> str:
    try:
        return smtp.api_url(provider)
    except LookupError as err:
        raise AdapterError(str(err)) from None


class SendGridSharedPersonalization:
    """sendgrid-php #913: every guardian of a school in one personalization's `to`, so the one
    message SendGrid delivers shows every family's address to every family."""

    name, catches = "sendgrid-shared-personalization", "exposed-recipients"
    across_campaigns = needs_search = False

    @property
    def spec(self) -> str:
        return f"mutant:{self.name}"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        by_school: dict[str, dict[str, str]] = {}
        for student, contact in notices(roster, campaign):
            assert contact.email is not None and contact.address is not None
            by_school.setdefault(student.school, {}).setdefault(contact.address, contact.email)
        url = _door(smtp, "sendgrid") + "/v3/mail/send"
        for school, addresses in sorted(by_school.items()):
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


class PostmarkBatchResend:
    """A batch with one failed item is sent again whole: every notice that had gone through
    is delivered twice. The failed item is a typo in one address, fixed before the resend."""

    name, catches = "postmark-batch-resend", "duplicate-notice"
    across_campaigns = needs_search = False
    per_batch = 500

    @property
    def spec(self) -> str:
        return f"mutant:{self.name}"

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


API_MUTANTS: dict[str, type[SendGridSharedPersonalization | PostmarkBatchResend]] = {
    SendGridSharedPersonalization.name: SendGridSharedPersonalization,
    PostmarkBatchResend.name: PostmarkBatchResend,
}
