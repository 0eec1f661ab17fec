"""Mailgun's Messages API as a front door: `POST /v3/{domain}/messages` (form data or
multipart), `POST /v3/{domain}/messages.mime`, and the templates it renders
(`POST /v3/{domain}/templates`).

What Mailgun delivers for one call: without `recipient-variables`, one message to every `to`,
`cc` and `bcc`, whose To shows every `to` (its batch-sending docs warn of exactly this); with
`recipient-variables`, one message per `to` that shows only that address, with
`%recipient.NAME%` filled in from that recipient's variables (batch sending). `v:` variables
travel in the X-Mailgun-Variables header the recipient receives; `h:` headers are added
(`h:Reply-To` is the Reply-To); `text`, `amp-html` and `html` are the bodies (the AMP part,
text/x-amp-html, is what AMP-capable mail clients show, so it is delivered and judged; any one
of them, or a `template`, is enough); `inline` files are inline parts with their file name as
Content-ID. A `template` the sink knows is rendered (Handlebars) with `t:variables`, and
`t:text=yes` adds the text version Mailgun generates from it; with a template, `from` may be
left out (the template's own From applies: the sink uses postmaster@domain). A template the
sink was never given is judged conservatively: the variables sent count as visible.
`o:testmode`: validated, answered, nothing delivered. The other `o:` options (tags, DKIM,
delivery time, tracking, TLS) and `t:version` are accepted and change nothing the recipient
reads (tracking only rewrites link targets).

Answers as Mailgun does: 200 `{"id", "message": "Queued. Thank you."}`; 400 `{"message"}`
for invalid input; 401 `Forbidden` without Basic auth (user `api`), or with a wrong key when
the sink was given one.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint
from harness.sink.api.form import FormField, parse_form
from harness.sink.api.mime import (
    Address,
    Attachment,
    build_message,
    html_to_text,
    is_address,
    is_header_name,
    render_handlebars,
)

__all__ = ["Mailgun"]

BODY_LIMIT = 25 * 1024 * 1024  # Mailgun: 25 MB a message
MAX_RECIPIENTS = 1000  # to + cc + bcc of one call
NOT_RENDERED = "template not rendered"
_RECIPIENT_VARIABLE = re.compile(r"%recipient\.([A-Za-z0-9_.-]+)%")


def _bad(message: str) -> ApiError:
    return ApiError(400, {"message": message})


class Mailgun:
    """The Mailgun front door. `key`: the only API key accepted (else any)."""

    name = "mailgun"
    body_limit = BODY_LIMIT

    def __init__(self, key: str | None = None) -> None:
        self._key = key
        self._templates: dict[tuple[str, str], str] = {}  # (domain, name) -> source
        self._ids = itertools.count(1)

    def routes(self) -> Iterable[tuple[str, str, Endpoint]]:
        return [
            ("POST", "/v3/{domain}/messages", self.messages),
            ("POST", "/v3/{domain}/messages.mime", self.messages_mime),
            ("POST", "/v3/{domain}/templates", self.create_template),
        ]

    def error(self, status: int, message: str) -> ApiError:
        return ApiError(status, {"message": message})

    # -- endpoints ----------------------------------------------------------------------------

    async def create_template(self, call: Call) -> Answer:
        fields = self._read(call)
        name, source = _one(fields, "name"), _one(fields, "template")
        if not name:
            raise _bad("'name' parameter is missing")
        if source is None:
            raise _bad("'template' parameter is missing")
        try:
            render_handlebars(source, {})
        except ValueError as err:
            raise _bad(str(err)) from None
        self._templates[(call.match["domain"], name.lower())] = source
        return Answer(200, {"message": "template has been stored", "template": {"name": name}})

    async def messages(self, call: Call) -> Answer:
        fields = self._read(call)
        template = _one(fields, "template")
        sender = _sender(fields, call.match["domain"] if template is not None else None)
        to = _recipients(fields, "to", required=True)
        cc, bcc = _recipients(fields, "cc"), _recipients(fields, "bcc")
        if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
            raise _bad(f"Too many recipients: the limit is {MAX_RECIPIENTS} per message")
        subject = _one(fields, "subject") or ""
        text, html, amp = _one(fields, "text"), _one(fields, "html"), _one(fields, "amp-html")
        if text is None and html is None and amp is None and template is None:
            raise _bad(
                "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified"
            )
        per_recipient = _json_field(fields, "recipient-variables")
        t_variables = _one(fields, "t:variables")
        if t_variables is not None:
            _json_text(t_variables, "t:variables")
        attachments = [
            _attachment(f, inline=f.name == "inline") for f in fields if f.name in _FILE_FIELDS
        ]
        headers = [(f.name[2:], f.text) for f in fields if f.name.startswith("h:")]
        for name, value in headers:
            if not is_header_name(name) or "\n" in value or "\r" in value:
                raise _bad(f"invalid header h:{name}")
        variables = {f.name[2:]: f.text for f in fields if f.name.startswith("v:")}
        if _flag(_one(fields, "o:testmode")):
            return Answer(200, {"id": self._message_id(call), "message": "Queued. Thank you."})

        source = self._templates.get((call.match["domain"], template.lower())) if template else None
        evidence: dict[str, Any] = call.evidence()
        if _one(fields, "from") is None:
            evidence["from"] = f"not given: the template's From (the sink uses {sender.email})"
        for key in ("o:tag", "o:deliverytime", "template", "t:version", "t:text", "t:variables"):
            if _one(fields, key) is not None:
                evidence[key] = _one(fields, key)
        if variables:
            evidence["v:"] = variables
        text_from_html = _flag(_one(fields, "t:text"))

        def message(shown_to: Sequence[Address], values: Mapping[str, Any]) -> bytes:
            own = [*headers]
            if variables:
                own.append(("X-Mailgun-Variables", json.dumps(variables, ensure_ascii=False)))
            shown_text, shown_html = text, html
            if template is not None:
                shown_text, shown_html = self._rendered(source, template, t_variables, values)
                if text_from_html and shown_text is None and shown_html is not None:
                    shown_text = html_to_text(shown_html)  # t:text=yes: Mailgun generates it
            return build_message(
                sender=sender,
                to=shown_to,
                cc=cc,
                subject=_fill(subject, values),
                text=None if shown_text is None else _fill(shown_text, values),
                html=None if shown_html is None else _fill(shown_html, values),
                amp=None if amp is None else _fill(amp, values),
                attachments=attachments,
                headers=[(n, _fill(v, values)) for n, v in own],
                message_id=self._message_id(call),
            )

        if per_recipient is None:
            raw = message(to, {})
            rcpts = tuple(a.email for a in (*to, *cc, *bcc))
            evidence |= {"to": [a.email for a in to], "cc": _emails(cc), "bcc": _emails(bcc)}
            return self._queued(call, [Delivery(sender.email, rcpts, raw, evidence)])
        if not isinstance(per_recipient, dict):
            raise _bad("'recipient-variables' parameter is not a valid JSON object")
        deliveries = []
        for address in to:
            values = per_recipient.get(address.email)
            values = values if isinstance(values, dict) else {}
            raw = message([address], values)
            own_evidence = evidence | {
                "to": [address.email],
                "cc": _emails(cc),
                "bcc": _emails(bcc),
                "recipient-variables": values,
            }
            rcpts = (address.email, *_emails(cc), *_emails(bcc))
            deliveries.append(Delivery(sender.email, rcpts, raw, own_evidence))
        return self._queued(call, deliveries)

    async def messages_mime(self, call: Call) -> Answer:
        """A message the caller built: delivered as it is to the `to` recipients (the envelope:
        its own To, Cc and Bcc headers travel as written)."""
        fields = self._read(call)
        to = _recipients(fields, "to", required=True)
        files = [f for f in fields if f.name == "message"]
        if not files or not files[0].value:
            raise _bad("'message' parameter is missing")
        raw = files[0].value
        sender = email.utils.parseaddr(_header(raw, "From"))[1]
        if _flag(_one(fields, "o:testmode")):
            return Answer(200, {"id": self._message_id(call), "message": "Queued. Thank you."})
        evidence = call.evidence(to=_emails(to))
        return self._queued(call, [Delivery(sender, tuple(_emails(to)), raw, evidence)])

    # -- helpers ------------------------------------------------------------------------------

    def _read(self, call: Call) -> list[FormField]:
        scheme, _, encoded = call.headers.get("Authorization", "").partition(" ")
        try:
            user, _, key = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = key = ""
        if scheme.lower() != "basic" or user != "api" or not key:
            raise ApiError(401, b"Forbidden", content_type="text/plain")
        if self._key is not None and key != self._key:
            raise ApiError(401, b"Forbidden", content_type="text/plain")
        return parse_form(call.body, call.headers, _bad)

    def _message_id(self, call: Call) -> str:
        return f"<{call.id}.{next(self._ids)}@mailgun.mailharness.test>"

    def _queued(self, call: Call, deliveries: list[Delivery]) -> Answer:
        answer = {"id": self._message_id(call), "message": "Queued. Thank you."}
        return Answer(200, answer, deliveries)

    def _rendered(
        self,
        source: str | None,
        template: str,
        t_variables: str | None,
        values: Mapping[str, Any],
    ) -> tuple[str | None, str | None]:
        """(text, html) of a stored template for one recipient; the variables themselves, as
        text, for a template the sink was never given."""
        data = _json_text(_fill(t_variables, values), "t:variables") if t_variables else {}
        data = data if isinstance(data, dict) else {}
        if source is not None:
            return None, render_handlebars(source, data)
        visible = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        note = (
            f"[mailharness: {NOT_RENDERED}: Mailgun template {template} is unknown to the "
            "sink; the variables sent for this recipient follow]\n"
        )
        return note + visible, None


_FILE_FIELDS = frozenset({"attachment", "inline"})


def _one(fields: Sequence[FormField], name: str) -> str | None:
    for field in fields:
        if field.name == name:
            return field.text
    return None


def _flag(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("yes", "true", "1")


def _emails(addresses: Sequence[Address]) -> list[str]:
    return [a.email for a in addresses]


def _sender(fields: Sequence[FormField], template_domain: str | None) -> Address:
    """The From; with a template, Mailgun's docs make it optional (the template's own From
    applies), and the sink, which does not keep template headers, uses postmaster@domain."""
    value = _one(fields, "from")
    if value is None and template_domain is not None:
        return Address(f"postmaster@{template_domain}")
    if not value:
        raise _bad("'from' parameter is missing")
    name, address = email.utils.parseaddr(value)
    if not is_address(address):
        raise _bad(f"'from' parameter is not a valid address. please check documentation: {value}")
    return Address(address, name)


def _recipients(fields: Sequence[FormField], name: str, *, required: bool = False) -> list[Address]:
    """Every address of a field, repeated or comma-separated ("Ann <a@x.org>, b@y.org")."""
    values = [f.text for f in fields if f.name == name]
    if required and not any(v.strip() for v in values):
        raise _bad(f"'{name}' parameter is missing")
    found = []
    for display, email_address in email.utils.getaddresses(values):
        if not email_address and not display:
            continue
        if not is_address(email_address):
            raise _bad(f"'{name}' parameter is not a valid address. please check documentation")
        found.append(Address(email_address, display))
    return found


def _attachment(field: FormField, *, inline: bool) -> Attachment:
    if field.filename is None:
        raise _bad(f"'{field.name}' must be a file")
    return Attachment(
        content=field.value,
        filename=field.filename,
        content_type=field.content_type
        if field.content_type != "text/plain" or field.filename.endswith(".txt")
        else "application/octet-stream",
        inline=inline,
        content_id=field.filename if inline else "",
    )


def _json_field(fields: Sequence[FormField], name: str) -> Any:
    value = _one(fields, name)
    return None if value is None else _json_text(value, name)


def _json_text(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        raise _bad(f"'{name}' parameter is not a valid JSON") from None


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """`%recipient.NAME%` replaced by the recipient's variable; left as written when it has
    none (Mailgun sends it so, and the oracle sees an unrendered placeholder)."""
    if "%recipient" not in text or not values:
        return text

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return match.group(0) if found is None else str(found)

    return _RECIPIENT_VARIABLE.sub(value, text)


def _header(raw: bytes, name: str) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(head + b"\r\n\r\n")
    return str(parsed.get(name, ""))
