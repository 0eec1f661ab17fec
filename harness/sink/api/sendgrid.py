"""SendGrid's v3 Mail Send API as a front door: `POST /v3/mail/send`, and the dynamic templates
it renders (`POST /v3/templates`, `POST /v3/templates/{id}/versions`).

What SendGrid delivers for one request: one message per personalization, to that
personalization's `to` + `cc` + `bcc`, showing its `to` in To and its `cc` in Cc (so three
addresses in one personalization's `to` see each other: the Cedar Park leak). The subject is
the personalization's, else the request's; `substitutions` replace their keys in the subject
and the content; a `template_id` the sink knows is rendered with the personalization's
`dynamic_template_data` (Handlebars). A template the sink was never given (one that lives only
in the real account) is judged conservatively: the message carries the template data sent for
that recipient as text, and its evidence says the template was not rendered.

Answers as SendGrid does: 202 with an empty body and X-Message-Id; 400 with
`{"errors": [{"message", "field", "help"}]}` for invalid input; 401 without a Bearer key (or
with a wrong one, when the sink was given one); `mail_settings.sandbox_mode.enable`: validated,
200, nothing delivered.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint
from harness.sink.api.mime import (
    Address,
    Attachment,
    build_message,
    is_address,
    is_header_name,
    render_handlebars,
)

__all__ = ["SendGrid"]

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
BODY_LIMIT = 30 * 1024 * 1024  # SendGrid: the total message size must be under 30 MB
NOT_RENDERED = "template not rendered"


@dataclass
class _Template:
    id: str
    name: str
    subject: str = ""
    html: str | None = None
    text: str | None = None


def _errors(*items: tuple[str, str | None]) -> dict[str, Any]:
    return {"errors": [{"message": m, "field": f, "help": None} for m, f in items]}


def _bad(message: str, field: str | None) -> ApiError:
    return ApiError(400, _errors((message, field)))


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
        return ApiError(status, _errors((message, None)))

    # -- endpoints ----------------------------------------------------------------------------

    async def create_template(self, call: Call) -> Answer:
        body = self._read(call)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise _bad("The name field is required.", "name")
        template = _Template(id=f"d-{next(self._template_ids):032x}", name=name)
        self._templates[template.id] = template
        answer = {"id": template.id, "name": name, "generation": "dynamic", "versions": []}
        return Answer(201, answer)

    async def create_version(self, call: Call) -> Answer:
        body = self._read(call)
        template = self._templates.get(call.match["template_id"])
        if template is None:
            raise ApiError(404, _errors(("Template not found", "template_id")))
        subject = body.get("subject")
        html, text = body.get("html_content"), body.get("plain_content")
        if not isinstance(subject, str):
            raise _bad("The subject field is required.", "subject")
        fields = ((subject, "subject"), (html, "html_content"), (text, "plain_content"))
        for source, field in fields:
            if source is not None and not isinstance(source, str):
                raise _bad(f"The {field} must be a string.", field)
            try:
                render_handlebars(source or "", {})
            except ValueError as err:
                raise _bad(str(err), field) from None
        template.subject, template.html, template.text = subject, html, text
        answer = {"template_id": template.id, "subject": subject, "active": 1}
        return Answer(201, answer)

    async def mail_send(self, call: Call) -> Answer:
        body = self._read(call)
        personalizations = body.get("personalizations")
        if not isinstance(personalizations, list) or not personalizations:
            raise _bad(
                "The personalizations field is required and must have at least one "
                "personalization.",
                "personalizations",
            )
        if len(personalizations) > MAX_PERSONALIZATIONS:
            raise _bad(
                f"The personalization block is limited to {MAX_PERSONALIZATIONS} "
                f"personalizations per API request. You have provided {len(personalizations)} "
                "personalizations. Please consider splitting this into multiple requests and "
                "resending your request.",
                "personalizations",
            )
        sender = _address(body.get("from"), "from", "The from object must be provided for every "
                          "email send. It is an object that requires the email parameter, but may "
                          "also contain a name parameter.")  # fmt: skip
        reply_to = _reply_to(body)
        template_id = body.get("template_id")
        if template_id is not None and not isinstance(template_id, str):
            raise _bad("The template_id must be a string.", "template_id")
        text, html = _content(body, template_id is not None)
        attachments = _attachments(body.get("attachments"))
        headers = _headers(body.get("headers"), "headers")
        subject = body.get("subject")
        if subject is not None and not isinstance(subject, str):
            raise _bad("The subject must be a string.", "subject")
        messages: list[tuple[int, dict[str, Any], list[list[Address]]]] = []
        total = 0
        for i, p in enumerate(personalizations):
            where = f"personalizations.{i}"
            if not isinstance(p, dict):
                raise _bad("The personalization must be an object.", where)
            lists = [_addresses(p.get(kind), f"{where}.{kind}", kind == "to") for kind in
                     ("to", "cc", "bcc")]  # fmt: skip
            seen: set[str] = set()
            for kind, addresses in zip(("to", "cc", "bcc"), lists, strict=True):
                for address in addresses:
                    key = address.email.lower()
                    if key in seen:
                        raise _bad(
                            "Each email address in the personalization block should be unique "
                            "between to, cc, and bcc. We found the first duplicate instance of "
                            f"[{address.email}] in the {where}.{kind} field.",
                            where,
                        )
                    seen.add(key)
            total += len(seen)
            if total > MAX_RECIPIENTS:
                raise _bad(
                    f"There is a limit of {MAX_RECIPIENTS} total recipients (to + cc + bcc) "
                    "per request.",
                    "personalizations",
                )
            if template_id is None and subject is None and not isinstance(p.get("subject"), str):
                raise _bad(
                    "The subject is required. You can get around this requirement if you use a "
                    "template with a subject defined or if every personalization has a subject "
                    "defined.",
                    "subject",
                )
            messages.append((i, p, lists))
        if _sandbox(body):
            return Answer(200, None)
        template = self._templates.get(template_id) if template_id else None
        deliveries = []
        for i, p, (to, cc, bcc) in messages:
            own_headers = [*headers, *_headers(p.get("headers"), f"personalizations.{i}.headers")]
            evidence: dict[str, Any] = {
                "request": f"{call.method} {call.path}",
                "personalization": i,
                "to": [a.email for a in to],
                "cc": [a.email for a in cc],
                "bcc": [a.email for a in bcc],
            }
            for key in ("custom_args", "send_at", "substitutions"):
                if key in p:
                    evidence[key] = p[key]
            for key in ("batch_id", "categories"):
                if key in body:
                    evidence[key] = body[key]
            p_subject = p.get("subject") if isinstance(p.get("subject"), str) else subject
            shown = self._render(p, template_id, template, p_subject, text, html, evidence)
            raw = build_message(
                sender=sender,
                to=to,
                cc=cc,
                reply_to=reply_to,
                subject=shown[0],
                text=shown[1],
                html=shown[2],
                attachments=attachments,
                headers=own_headers,
                message_id=f"<{call.id}.{i}@sendgrid.mailharness.test>",
            )
            rcpts = tuple(a.email for a in (*to, *cc, *bcc))
            deliveries.append(Delivery(sender.email, rcpts, raw, evidence))
        return Answer(202, None, deliveries, headers={"X-Message-Id": call.id})

    # -- helpers ------------------------------------------------------------------------------

    def _read(self, call: Call) -> dict[str, Any]:
        authorization = call.headers.get("Authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise ApiError(401, _errors(("authorization required", None)))
        if self._key is not None and key != self._key:
            raise ApiError(
                401,
                _errors(("The provided authorization grant is invalid, expired, or revoked", None)),
            )
        content_type = call.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, _errors(("Content-Type should be application/json.", None)))
        body = call.json(lambda _: _bad("Bad Request", None))
        if not isinstance(body, dict):
            raise _bad("Bad Request", None)
        return body

    def _render(
        self,
        p: Mapping[str, Any],
        template_id: str | None,
        template: _Template | None,
        subject: str | None,
        text: str | None,
        html: str | None,
        evidence: dict[str, Any],
    ) -> tuple[str, str | None, str | None]:
        """(subject, text, html) this personalization's recipients see."""
        data = p.get("dynamic_template_data")
        data = data if isinstance(data, dict) else {}
        if template_id is not None and template is not None:
            evidence["template"] = {"id": template_id, "rendered": True}
            return (
                render_handlebars(template.subject, data),
                None if template.text is None else render_handlebars(template.text, data),
                None if template.html is None else render_handlebars(template.html, data),
            )
        substitutions = p.get("substitutions")
        if isinstance(substitutions, dict):
            subject, text, html = (
                _substitute(value, substitutions) for value in (subject, text, html)
            )
        if template_id is not None:
            # A template the sink was never given: what was sent for this recipient counts.
            evidence["template"] = {"id": template_id, "rendered": False, "note": NOT_RENDERED}
            visible = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
            note = (
                f"[mailharness: {NOT_RENDERED}: SendGrid template {template_id} is unknown to "
                "the sink; the template data sent for this recipient follows]\n"
            )
            text = note + visible + ("\n\n" + text if text else "")
            subject = subject if subject is not None else f"[{NOT_RENDERED}: {template_id}]"
        return subject or "", text, html


def _substitute(value: str | None, substitutions: Mapping[str, Any]) -> str | None:
    if value is None:
        return None
    for key, replacement in substitutions.items():
        value = value.replace(str(key), str(replacement))
    return value


def _sandbox(body: Mapping[str, Any]) -> bool:
    settings = body.get("mail_settings")
    sandbox = settings.get("sandbox_mode") if isinstance(settings, dict) else None
    return isinstance(sandbox, dict) and sandbox.get("enable") is True


def _address(value: Any, field: str, missing: str) -> Address:
    if not isinstance(value, dict) or "email" not in value:
        raise _bad(missing, f"{field}.email")
    if not is_address(value["email"]):
        raise _bad("Does not contain a valid address.", f"{field}.email")
    name = value.get("name", "")
    return Address(value["email"], name if isinstance(name, str) else "")


def _addresses(value: Any, field: str, required: bool) -> list[Address]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise _bad(
            "The to array is required for all personalization objects, and must have at least "
            "one email object with a valid email address."
            if required
            else f"The {field} must be an array.",
            field,
        )
    return [
        _address(item, f"{field}.{j}", "Does not contain a valid address.")
        for j, item in enumerate(value)
    ]


def _reply_to(body: Mapping[str, Any]) -> list[Address]:
    if "reply_to" in body and "reply_to_list" in body:
        raise _bad("The reply_to and reply_to_list fields are mutually exclusive.", "reply_to")
    if "reply_to" in body:
        return [_address(body["reply_to"], "reply_to", "Does not contain a valid address.")]
    if "reply_to_list" in body:
        return _addresses(body["reply_to_list"], "reply_to_list", True)
    return []


def _content(body: Mapping[str, Any], templated: bool) -> tuple[str | None, str | None]:
    content = body.get("content")
    if content is None and templated:
        return None, None
    if not isinstance(content, list) or not content:
        raise _bad(
            "Unless a valid template_id is provided, the content parameter is required. There "
            "must be at least one defined content block. We typically suggest both text/plain "
            "and text/html blocks are included, but only one block is required.",
            "content",
        )
    text = html = None
    for i, block in enumerate(content):
        value = block.get("value") if isinstance(block, dict) else None
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(value, str) or not value:
            raise _bad(
                "The content value must be a string at least one character in length.",
                f"content.{i}.value",
            )
        if not isinstance(kind, str) or not kind:
            raise _bad("The content type must be a string at least one character in length.",
                       f"content.{i}.type")  # fmt: skip
        if kind.lower() == "text/plain":
            text = value
        elif kind.lower() == "text/html":
            html = value
    if text is None and html is None:
        raise _bad("The content must include text/plain or text/html.", "content")
    return text, html


def _attachments(value: Any) -> list[Attachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad("The attachments must be an array.", "attachments")
    found = []
    for i, item in enumerate(value):
        where = f"attachments.{i}"
        if not isinstance(item, dict):
            raise _bad("The attachment must be an object.", where)
        content, filename = item.get("content"), item.get("filename")
        if not isinstance(filename, str) or not filename:
            raise _bad("The attachment filename parameter is required.", f"{where}.filename")
        try:
            data = base64.b64decode(str(content), validate=True)
        except (binascii.Error, ValueError):
            message = "The attachment content must be base64 encoded."
            raise _bad(message, f"{where}.content") from None
        if not isinstance(content, str) or not content:
            raise _bad("The attachment content is required.", f"{where}.content")
        found.append(
            Attachment(
                content=data,
                filename=filename,
                content_type=str(item.get("type") or "application/octet-stream"),
                inline=item.get("disposition") == "inline",
                content_id=str(item.get("content_id") or ""),
            )
        )
    return found


def _headers(value: Any, field: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise _bad("The headers must be an object.", field)
    reserved = {"from", "to", "cc", "bcc", "subject", "reply-to", "date", "message-id",
                "content-type", "content-transfer-encoding", "mime-version"}  # fmt: skip
    found = []
    for name, text in value.items():
        if not is_header_name(name) or not isinstance(text, str) or "\n" in text or "\r" in text:
            raise _bad(f"Invalid header: {name}", f"{field}.{name}")
        if name.lower() in reserved:
            raise _bad(f"The header {name} is reserved and cannot be set.", f"{field}.{name}")
        found.append((name, text))
    return found
