"""SendGrid's v3 Mail Send API as a front door: `POST /v3/mail/send`, and the dynamic templates
it renders (`POST /v3/templates`, `POST /v3/templates/{id}/versions`).

What SendGrid delivers for one request: one message per personalization, to that
personalization's `to` + `cc` + `bcc`, showing its `to` in To and its `cc` in Cc (so three
addresses in one personalization's `to` see each other: the Cedar Park leak), from its `from`
if it has one, else the request's. The subject is the personalization's, else the request's;
`substitutions` replace their keys in the subject, the reply-to and the content (then the
legacy `sections` theirs); the personalization's `headers` are added over the request's (a
`Date` or `Message-ID` among them is the message's own); a `template_id` the sink knows is
rendered with the personalization's `dynamic_template_data` (Handlebars). The content blocks,
the footer and the subscription-tracking text are read in sendgrid_fields.py. A template the
sink was never given (one that lives only in the real account) is judged conservatively: the
message carries the template data sent for that recipient as text, and its evidence says the
template was not rendered.

Answers as SendGrid does: 202 with an empty body and X-Message-Id; 400 with
`{"errors": [{"message", "field", "help"}]}` for invalid input; 401 without a Bearer key (or
with a wrong one, when the sink was given one); `mail_settings.sandbox_mode.enable`: validated,
200, nothing delivered.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from harness.sink.api import sendgrid_fields as fields
from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint
from harness.sink.api.mime import (
    Address,
    Attachment,
    build_message,
    recipient_lists,
    render_handlebars,
)
from harness.sink.api.sendgrid_fields import Bodies, bad, errors

__all__ = ["SendGrid"]

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
BODY_LIMIT = 30 * 1024 * 1024  # SendGrid: the total message size must be under 30 MB
NOT_RENDERED = "template not rendered"
MISSING_FROM = (
    "The from object must be provided for every email send. It is an object that requires the "
    "email parameter, but may also contain a name parameter."
)


@dataclass
class _Template:
    id: str
    name: str
    subject: str = ""
    html: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class _Shared:
    """What every personalization of one request shares."""

    sender: Address
    reply_to: list[Address]
    subject: str | None
    bodies: Bodies
    attachments: list[Attachment]
    headers: dict[str, tuple[str, str]]
    template_id: str | None
    template: _Template | None
    settings: fields.Settings


class SendGrid:
    """The SendGrid front door. `key`: the only Bearer key accepted (else any)."""

    name = "sendgrid"
    body_limit = BODY_LIMIT

    def __init__(self, key: str | None = None) -> None:
        self._key = key
        self._templates: dict[str, _Template] = {}
        self._template_ids = itertools.count(1)

    def routes(self) -> Iterable[tuple[str, str, Endpoint]]:
        return [
            ("POST", "/v3/mail/send", self.mail_send),
            ("POST", "/v3/templates", self.create_template),
            ("POST", "/v3/templates/{template_id}/versions", self.create_version),
        ]

    def error(self, status: int, message: str) -> ApiError:
        return ApiError(status, errors((message, None)))

    # -- endpoints ----------------------------------------------------------------------------

    async def create_template(self, call: Call) -> Answer:
        body = self._read(call)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise bad("The name field is required.", "name")
        template = _Template(id=f"d-{next(self._template_ids):032x}", name=name)
        self._templates[template.id] = template
        answer = {"id": template.id, "name": name, "generation": "dynamic", "versions": []}
        return Answer(201, answer)

    async def create_version(self, call: Call) -> Answer:
        body = self._read(call)
        template = self._templates.get(call.match["template_id"])
        if template is None:
            raise ApiError(404, errors(("Template not found", "template_id")))
        subject = body.get("subject")
        html, text = body.get("html_content"), body.get("plain_content")
        if not isinstance(subject, str):
            raise bad("The subject field is required.", "subject")
        parts = ((subject, "subject"), (html, "html_content"), (text, "plain_content"))
        for source, field in parts:
            if source is not None and not isinstance(source, str):
                raise bad(f"The {field} must be a string.", field)
            try:
                render_handlebars(source or "", {})
            except ValueError as err:
                raise bad(str(err), field) from None
        template.subject, template.html, template.text = subject, html, text
        answer = {"template_id": template.id, "subject": subject, "active": 1}
        return Answer(201, answer)

    async def mail_send(self, call: Call) -> Answer:
        body = self._read(call)
        personalizations = body.get("personalizations")
        if not isinstance(personalizations, list) or not personalizations:
            raise bad(
                "The personalizations field is required and must have at least one "
                "personalization.",
                "personalizations",
            )
        if len(personalizations) > MAX_PERSONALIZATIONS:
            raise bad(
                f"The personalization block is limited to {MAX_PERSONALIZATIONS} "
                f"personalizations per API request. You have provided {len(personalizations)} "
                "personalizations. Please consider splitting this into multiple requests and "
                "resending your request.",
                "personalizations",
            )
        sender = fields.address(body.get("from"), "from", MISSING_FROM)
        reply_to = fields.reply_to(body)
        template_id = body.get("template_id")
        if template_id is not None and not isinstance(template_id, str):
            raise bad("The template_id must be a string.", "template_id")
        bodies = fields.content(body, template_id is not None)
        attachments = fields.attachments(body.get("attachments"))
        headers = fields.headers(body.get("headers"), "headers")
        subject = body.get("subject")
        if subject is not None and not isinstance(subject, str):
            raise bad("The subject must be a string.", "subject")
        messages: list[tuple[int, dict[str, Any], list[list[Address]]]] = []
        total = 0
        for i, p in enumerate(personalizations):
            where = f"personalizations.{i}"
            if not isinstance(p, dict):
                raise bad("The personalization must be an object.", where)
            lists = [fields.addresses(p.get(kind), f"{where}.{kind}", kind == "to") for kind in
                     ("to", "cc", "bcc")]  # fmt: skip
            if "from" in p:
                fields.address(p["from"], f"{where}.from", "Does not contain a valid address.")
            fields.headers(p.get("headers"), f"{where}.headers")
            seen: set[str] = set()
            for kind, addresses in zip(("to", "cc", "bcc"), lists, strict=True):
                for address in addresses:
                    key = address.email.lower()
                    if key in seen:
                        raise bad(
                            "Each email address in the personalization block should be unique "
                            "between to, cc, and bcc. We found the first duplicate instance of "
                            f"[{address.email}] in the {where}.{kind} field.",
                            where,
                        )
                    seen.add(key)
            total += len(seen)
            if total > MAX_RECIPIENTS:
                raise bad(
                    f"There is a limit of {MAX_RECIPIENTS} total recipients (to + cc + bcc) "
                    "per request.",
                    "personalizations",
                )
            if template_id is None and subject is None and not isinstance(p.get("subject"), str):
                raise bad(
                    "The subject is required. You can get around this requirement if you use a "
                    "template with a subject defined or if every personalization has a subject "
                    "defined.",
                    "subject",
                )
            messages.append((i, p, lists))
        if fields.sandbox(body):
            return Answer(200, None)
        template = self._templates.get(template_id) if template_id else None
        shared = _Shared(sender, reply_to, subject, bodies, attachments, headers, template_id,
                         template, fields.settings(body))  # fmt: skip
        deliveries = [self._message(call, body, shared, *message) for message in messages]
        return Answer(202, None, deliveries, headers={"X-Message-Id": call.id})

    def _message(
        self,
        call: Call,
        body: Mapping[str, Any],
        shared: _Shared,
        i: int,
        p: Mapping[str, Any],
        lists: list[list[Address]],
    ) -> Delivery:
        """The message one personalization's recipients receive."""
        to, cc, bcc = lists
        evidence: dict[str, Any] = call.evidence(personalization=i, **recipient_lists(to, cc, bcc))
        for key in ("custom_args", "send_at", "substitutions"):
            if key in p:
                evidence[key] = p[key]
        for key in ("batch_id", "categories", "asm", "ip_pool_name"):
            if key in body:
                evidence[key] = body[key]
        sender = shared.sender
        if "from" in p:  # a personalization's from overrides the request's
            sender = fields.address(p["from"], f"personalizations.{i}.from", MISSING_FROM)
            evidence["from"] = sender.email
        subject = p.get("subject") if isinstance(p.get("subject"), str) else shared.subject
        subject, bodies = self._render(p, body, shared, subject, evidence)
        bodies = shared.settings.apply(bodies, f"{call.id}.{i}")
        headers = {
            **shared.headers,
            **fields.headers(p.get("headers"), f"personalizations.{i}.headers"),
        }
        date = headers.pop("date", ("", None))[1]
        message_id = headers.pop("message-id", ("", None))[1]
        headers.pop("mime-version", None)  # the one the message has
        substitutions = p.get("substitutions")
        reply_to = shared.reply_to
        if isinstance(substitutions, dict):  # they apply to the reply-to too
            reply_to = [
                Address(fields.substitute(a.email, substitutions),
                        fields.substitute(a.name, substitutions))
                for a in reply_to
            ]  # fmt: skip
        raw = build_message(
            sender=sender,
            to=to,
            cc=cc,
            reply_to=reply_to,
            subject=subject,
            text=bodies.text,
            html=bodies.html,
            amp=bodies.amp,
            other_bodies=bodies.others,
            attachments=shared.attachments,
            headers=list(headers.values()),
            message_id=message_id or f"<{call.id}.{i}@sendgrid.mailharness.test>",
            date=date,
        )
        rcpts = tuple(a.email for a in (*to, *cc, *bcc))
        return Delivery(sender.email, rcpts, raw, evidence)

    # -- helpers ------------------------------------------------------------------------------

    def _read(self, call: Call) -> dict[str, Any]:
        authorization = call.headers.get("Authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise ApiError(401, errors(("authorization required", None)))
        if self._key is not None and key != self._key:
            raise ApiError(
                401,
                errors(("The provided authorization grant is invalid, expired, or revoked", None)),
            )
        content_type = call.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, errors(("Content-Type should be application/json.", None)))
        body = call.json(lambda _: bad("Bad Request", None))
        if not isinstance(body, dict):
            raise bad("Bad Request", None)
        return body

    def _render(
        self,
        p: Mapping[str, Any],
        body: Mapping[str, Any],
        shared: _Shared,
        subject: str | None,
        evidence: dict[str, Any],
    ) -> tuple[str, Bodies]:
        """(subject, bodies) this personalization's recipients see."""
        template_id, template, bodies = shared.template_id, shared.template, shared.bodies
        data = p.get("dynamic_template_data")
        data = data if isinstance(data, dict) else {}
        if template_id is not None and template is not None:
            evidence["template"] = {"id": template_id, "rendered": True}
            return render_handlebars(template.subject, data), Bodies(
                None if template.text is None else render_handlebars(template.text, data),
                None if template.html is None else render_handlebars(template.html, data),
            )
        substitutions = p.get("substitutions")
        if isinstance(substitutions, dict):
            sections = body.get("sections")
            sections = sections if isinstance(sections, dict) else {}

            def change(value: str) -> str:  # a substitution may name a section (legacy)
                return fields.substitute(fields.substitute(value, substitutions), sections)

            subject = None if subject is None else change(subject)
            bodies = bodies.map(change)
        if template_id is not None:
            # A template the sink was never given: what was sent for this recipient counts.
            evidence["template"] = {"id": template_id, "rendered": False, "note": NOT_RENDERED}
            visible = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
            note = (
                f"[mailharness: {NOT_RENDERED}: SendGrid template {template_id} is unknown to "
                "the sink; the template data sent for this recipient follows]\n"
            )
            text = bodies.text
            bodies = replace(bodies, text=note + visible + ("\n\n" + text if text else ""))
            subject = subject if subject is not None else f"[{NOT_RENDERED}: {template_id}]"
        return subject or "", bodies
