"""Postmark's email API as a front door: `/email`, `/email/batch`, `/email/withTemplate`,
`/email/batchWithTemplates` and `/templates`, with the `X-Postmark-Server-Token` header.

What Postmark delivers for one message: `To`, `Cc` and `Bcc` are comma lists; every address of
`To` and `Cc` is shown to every recipient, `Bcc` is in the envelope only. Templates (created
through `/templates`) are Mustachio, rendered here with chevron (Mustache) from the message's
`TemplateModel`. A template the sink was never given is judged conservatively: the model sent
for that message is delivered as text, and the evidence says the template was not rendered.
`ReplyTo` (a comma list) is the Reply-To, `Headers` (`[{Name, Value}]`) are added, attachments
with a `ContentID` (`cid:logo.png`) are inline parts; `Tag`, `Metadata`, `MessageStream`,
`TrackOpens`, `TrackLinks` and `InlineCss` are accepted and change nothing the recipient reads
(tracking rewrites link targets and adds an invisible pixel).

Answers as Postmark does: 200 with `{To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK"}`;
422 with `{ErrorCode, Message}` for an invalid message (300: among them one over 10 MB, or a
TextBody or HtmlBody over 5 MB), invalid JSON (402) or too many batch messages (410); 401
(ErrorCode 10) without a server token, or a wrong one when the sink was given one. A batch
answers 200 with one such object per item, in order: invalid items get their ErrorCode and are
not delivered, the others are.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint, ItemRefusal
from harness.sink.api.mime import (
    Address,
    Attachment,
    build_message,
    is_address,
    is_header_name,
    recipient_lists,
    render_mustache,
)

__all__ = ["Postmark"]

MAX_RECIPIENTS = 50  # To + Cc + Bcc of one message
MAX_BATCH = 500
BODY_LIMIT = 50 * 1024 * 1024  # a batch: up to 50 MB
# One message, attachments included and measured base64-encoded: 10 MB; TextBody and HtmlBody
# up to 5 MB each (Postmark's "What are the attachment and email size limits?").
MESSAGE_LIMIT = 10 * 1024 * 1024
PART_LIMIT = 5 * 1024 * 1024
NOT_RENDERED = "template not rendered"


class _Invalid(Exception):
    """One message Postmark refuses: its ErrorCode and Message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Template:
    id: int
    name: str
    subject: str
    html: str | None
    text: str | None
    alias: str | None


def _error(status: int, code: int, message: str) -> ApiError:
    return ApiError(status, {"ErrorCode": code, "Message": message})


class Postmark:
    """The Postmark front door. `token`: the only server token accepted (else any)."""

    name = "postmark"
    body_limit = BODY_LIMIT

    def __init__(self, token: str | None = None) -> None:
        self._token = token
        self._templates: dict[int, _Template] = {}
        self._template_ids = itertools.count(1)

    def routes(self) -> Iterable[tuple[str, str, Endpoint]]:
        routes: list[tuple[str, str, Endpoint]] = []
        for path, endpoint in (
            ("/email", self.email),
            ("/email/batch", self.batch),
            ("/email/withTemplate", self.with_template),
            ("/email/batchWithTemplates", self.batch_with_templates),
        ):
            routes += [("POST", path, endpoint), ("POST", path + "/", endpoint)]
        routes += [
            ("POST", "/templates", self.create_template),
            ("GET", "/templates/{key}", self.get_template),
            ("PUT", "/templates/{key}", self.edit_template),
        ]
        return routes

    def error(self, status: int, message: str) -> ApiError:
        return _error(status, 300 if status < 500 else 500, message)

    # -- sending ------------------------------------------------------------------------------

    async def email(self, call: Call) -> Answer:
        return self._send(call, [self._read(call)], templated=False, batch=False)

    async def with_template(self, call: Call) -> Answer:
        return self._send(call, [self._read(call)], templated=True, batch=False)

    async def batch(self, call: Call) -> Answer:
        return self._send(call, self._read_list(call, self._read(call)), False, batch=True)

    async def batch_with_templates(self, call: Call) -> Answer:
        body = self._read(call)
        messages = body.get("Messages") if isinstance(body, dict) else None
        return self._send(call, self._read_list(call, messages), True, batch=True)

    def _send(self, call: Call, items: list[Any], templated: bool, batch: bool) -> Answer:
        answers, deliveries, refused = [], [], []
        for i, item in enumerate(items):
            try:
                delivery = self._message(call, i, item, templated)
            except _Invalid as invalid:
                if not batch:
                    raise _error(422, invalid.code, invalid.message) from None
                answer = {"ErrorCode": invalid.code, "Message": invalid.message}
                answers.append(answer)
                to = item.get("To") if isinstance(item, dict) else None
                rcpts = tuple(a.email for a in _parse_list(to)) if isinstance(to, str) else ()
                refused.append(ItemRefusal(f"422 {json.dumps(answer)}", rcpt_tos=rcpts))
                continue
            deliveries.append(delivery)
            answers.append(
                {
                    "To": item.get("To", ""),
                    "SubmittedAt": datetime.now(timezone.utc).isoformat(),
                    "MessageID": f"{call.id}-{i}",
                    "ErrorCode": 0,
                    "Message": "OK",
                }
            )
        return Answer(200, answers if batch else answers[0], deliveries, refused)

    def _message(self, call: Call, i: int, item: Any, templated: bool) -> Delivery:
        if not isinstance(item, dict):
            raise _Invalid(300, "Invalid email request: a message must be a JSON object.")
        _check_size(item)
        sender = _single(item.get("From"), "From")
        to = _addresses(item.get("To"), "To")
        cc = _addresses(item.get("Cc"), "Cc")
        bcc = _addresses(item.get("Bcc"), "Bcc")
        if not to and not cc and not bcc:
            raise _Invalid(300, "Zero recipients specified")
        if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
            raise _Invalid(300, f"You may not have more than {MAX_RECIPIENTS} recipients.")
        reply_to = _addresses(item.get("ReplyTo"), "ReplyTo")
        evidence: dict[str, Any] = call.evidence(item=i, **recipient_lists(to, cc, bcc))
        for key in ("Tag", "Metadata", "MessageStream"):
            if key in item:
                evidence[key] = item[key]
        if templated:
            subject, text, html = self._render(item, evidence)
        else:
            subject, text, html = item.get("Subject"), item.get("TextBody"), item.get("HtmlBody")
            if not _text_or_none(text) or not _text_or_none(html):
                raise _Invalid(300, "TextBody and HtmlBody must be strings.")
            if not text and not html:
                raise _Invalid(300, "Provide either email TextBody or HtmlBody or both.")
        if subject is not None and not isinstance(subject, str):
            raise _Invalid(300, "Subject must be a string.")
        raw = build_message(
            sender=sender,
            to=to,
            cc=cc,
            reply_to=reply_to,
            subject=subject or "",
            text=text or None,
            html=html or None,
            attachments=_attachments(item.get("Attachments")),
            headers=_headers(item.get("Headers")),
            message_id=f"<{call.id}-{i}@postmark.mailharness.test>",
        )
        rcpts = tuple(a.email for a in (*to, *cc, *bcc))
        return Delivery(sender.email, rcpts, raw, evidence)

    def _render(
        self, item: Mapping[str, Any], evidence: dict[str, Any]
    ) -> tuple[str | None, str | None, str | None]:
        key = item.get("TemplateId")
        if key is None:  # SDKs send both, one of them null
            key = item.get("TemplateAlias")
        if key is None:
            raise _Invalid(1101, "The 'TemplateId' or 'TemplateAlias' is required.")
        model = item.get("TemplateModel", {})
        if not isinstance(model, dict):
            raise _Invalid(1105, "The 'TemplateModel' must be a JSON object.")
        template = self._find(key)
        if template is None:
            # A template that lives only in the real account: what was sent for it counts.
            evidence["template"] = {"id": key, "rendered": False, "note": NOT_RENDERED}
            visible = json.dumps(model, ensure_ascii=False, indent=1, sort_keys=True)
            text = (
                f"[mailharness: {NOT_RENDERED}: Postmark template {key} is unknown to the sink; "
                f"the template model sent for this message follows]\n{visible}"
            )
            return f"[{NOT_RENDERED}: {key}]", text, None
        evidence["template"] = {"id": template.id, "rendered": True}
        return (
            render_mustache(template.subject, model),
            None if template.text is None else render_mustache(template.text, model),
            None if template.html is None else render_mustache(template.html, model),
        )

    # -- templates ----------------------------------------------------------------------------

    async def create_template(self, call: Call) -> Answer:
        body = self._read(call)
        if not isinstance(body, dict):
            raise _error(422, 402, "Received invalid JSON input.")
        template = self._template_from(body, next(self._template_ids))
        self._templates[template.id] = template
        return Answer(200, _describe(template))

    async def edit_template(self, call: Call) -> Answer:
        body = self._read(call)
        old = self._find(call.match["key"])
        if old is None:
            raise _error(404, 1101, "The template was not found.")
        if not isinstance(body, dict):
            raise _error(422, 402, "Received invalid JSON input.")
        merged = {"Name": old.name, "Subject": old.subject, "HtmlBody": old.html,
                  "TextBody": old.text, "Alias": old.alias, **body}  # fmt: skip
        self._templates[old.id] = self._template_from(merged, old.id)
        return Answer(200, _describe(self._templates[old.id]))

    async def get_template(self, call: Call) -> Answer:
        self._authorize(call)
        template = self._find(call.match["key"])
        if template is None:
            raise _error(404, 1101, "The template was not found.")
        described = _describe(template)
        described.update(Subject=template.subject, HtmlBody=template.html,
                         TextBody=template.text)  # fmt: skip
        return Answer(200, described)

    def _template_from(self, body: Mapping[str, Any], template_id: int) -> _Template:
        name, subject = body.get("Name"), body.get("Subject")
        html, text, alias = body.get("HtmlBody"), body.get("TextBody"), body.get("Alias")
        if not isinstance(name, str) or not name:
            raise _error(422, 1120, "The 'Name' is required.")
        if not isinstance(subject, str):
            raise _error(422, 1121, "The 'Subject' is required.")
        if not _text_or_none(html) or not _text_or_none(text) or not (html or text):
            raise _error(422, 1122, "Provide either HtmlBody or TextBody or both.")
        for source in (subject, html, text):
            try:
                render_mustache(source or "", {})
            except ValueError as err:
                raise _error(422, 1123, str(err)) from None
        if alias is not None and not isinstance(alias, str):
            raise _error(422, 1124, "The 'Alias' must be a string.")
        return _Template(template_id, name, subject, html, text, alias)

    def _find(self, key: object) -> _Template | None:
        for template in self._templates.values():
            if str(key) in (str(template.id), template.alias):
                return template
        return None

    # -- reading the request ------------------------------------------------------------------

    def _authorize(self, call: Call) -> None:
        token = call.headers.get("X-Postmark-Server-Token")
        if not token:
            raise _error(
                401,
                10,
                "No Account or Server API tokens were supplied in the HTTP headers. Please add "
                "a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.",
            )
        if self._token is not None and token != self._token:
            raise _error(
                401,
                10,
                "The Server Token you provided in the X-Postmark-Server-Token header was "
                "invalid. Please verify that you are using a valid token.",
            )

    def _read(self, call: Call) -> Any:
        self._authorize(call)
        content_type = call.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _error(415, 409, "Please specify 'application/json' as the 'Content-Type'.")
        return call.json(lambda _: _error(422, 402, "Received invalid JSON input."))

    def _read_list(self, call: Call, items: Any) -> list[Any]:
        if not isinstance(items, list):
            raise _error(422, 402, "Received invalid JSON input: expected a list of messages.")
        if len(items) > MAX_BATCH:
            raise _error(422, 410, f"Too many batch messages: {len(items)}, at most {MAX_BATCH}.")
        return items


def _describe(template: _Template) -> dict[str, Any]:
    return {
        "TemplateId": template.id,
        "Name": template.name,
        "Active": True,
        "Alias": template.alias,
        "TemplateType": "Standard",
        "LayoutTemplate": None,
    }


def _check_size(item: Mapping[str, Any]) -> None:
    """Postmark's size limits of one message, measured as sent (attachments base64-encoded)."""
    for key in ("TextBody", "HtmlBody"):
        value = item.get(key)
        if isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) > PART_LIMIT:
            raise _Invalid(300, f"The {key} exceeds the limit of {PART_LIMIT} bytes (5 MB).")
    size = len(json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MESSAGE_LIMIT:
        raise _Invalid(
            300,
            f"The message is {size} bytes, attachments included; "
            f"the limit is {MESSAGE_LIMIT} bytes (10 MB).",
        )


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _parse_list(value: str) -> list[Address]:
    return [Address(address, name) for name, address in email.utils.getaddresses([value])]


def _addresses(value: Any, field: str) -> list[Address]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise _Invalid(300, f"Error parsing '{field}': it must be a comma-separated string.")
    found = _parse_list(value)
    for address in found:
        if not is_address(address.email):
            raise _Invalid(
                300, f"Error parsing '{field}': Illegal email address '{address.email}'."
            )
    return found


def _single(value: Any, field: str) -> Address:
    found = _addresses(value, field)
    if len(found) != 1:
        raise _Invalid(300, f"Invalid '{field}' address: '{value or ''}'.")
    return found[0]


def _attachments(value: Any) -> list[Attachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid(300, "Attachments must be a list.")
    found = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise _Invalid(300, "Each attachment needs a Name, Content and ContentType.")
        try:
            data = base64.b64decode(str(item.get("Content", "")), validate=True)
        except (binascii.Error, ValueError):
            raise _Invalid(300, "Invalid attachment content - illegal base64 string.") from None
        content_id = str(item.get("ContentID") or "")
        found.append(
            Attachment(
                content=data,
                filename=item["Name"],
                content_type=str(item.get("ContentType") or "application/octet-stream"),
                inline=bool(content_id),
                content_id=content_id.removeprefix("cid:"),
            )
        )
    return found


def _headers(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid(300, "Headers must be a list of {Name, Value}.")
    found = []
    for item in value:
        name = item.get("Name") if isinstance(item, dict) else None
        text = item.get("Value") if isinstance(item, dict) else None
        if not is_header_name(name) or not isinstance(text, str) or "\n" in text or "\r" in text:
            raise _Invalid(300, f"Invalid header: {name!r}.")
        found.append((str(name), text))
    return found
