"""Amazon SES as a front door: the v1 Query API (`POST /` with `Action=`) and the v2 REST API
(`/v2/email/...`) on one base URL, so boto3's `ses` and `sesv2` clients run unchanged with
`endpoint_url` (or AWS_ENDPOINT_URL_SES / AWS_ENDPOINT_URL_SESV2). Signatures are not verified;
a request without any is refused, as SES refuses it.

What SES delivers: for a simple or templated send, one message to the destination's To + Cc
+ Bcc, showing To and Cc, with the v2 content's `Headers` added and its `Attachments`
attached (disposition, Content-ID and description as given); for a bulk send, one message per
destination entry, rendered with that entry's replacement data over the default data, its
`ReplacementHeaders` replacing the template's headers of the same name; for a raw send, the
caller's bytes as written, routed by `Destinations` (the headers route nothing then), or by the
To, Cc and Bcc headers when no destination is given. SES documents that it overrides
Message-ID and Date and removes its X-SES-* headers; it documents nothing about removing a
`Bcc:` header, so a Bcc header written into a raw message reaches every recipient, as it is
modelled here. Configuration sets, tags, ARNs, feedback addresses and list management route or
account for a send: accepted, not modelled in the bytes.

Templates (CreateTemplate / the v2 templates resource) are shared by both versions, their
names unique per run as in SES, and rendered with Handlebars. A template the sink was never
given (created in the real account only) is judged conservatively: the template data sent for
that destination counts as visible, and the evidence says the template was not rendered.
"""

from __future__ import annotations

import email.utils
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.sink.api.core import ApiError, Call, Delivery, Endpoint
from harness.sink.api.mime import (
    Address,
    Attachment,
    build_message,
    is_address,
    render_handlebars,
)

__all__ = ["SES", "Destination", "SesTemplate"]

MAX_RECIPIENTS = 50  # To + Cc + Bcc of one message
MAX_BULK_DESTINATIONS = 50
BODY_LIMIT = 40 * 1024 * 1024  # SES v2: 40 MB a message (v1: 10 MB)
NOT_RENDERED = "template not rendered"


@dataclass
class SesTemplate:
    name: str
    subject: str
    text: str | None
    html: str | None


@dataclass(frozen=True)
class Destination:
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()

    @property
    def envelope(self) -> tuple[str, ...]:
        return tuple(a.email for a in (*self.to, *self.cc, *self.bcc))

    def evidence(self) -> dict[str, list[str]]:
        return {
            "to": [a.email for a in self.to],
            "cc": [a.email for a in self.cc],
            "bcc": [a.email for a in self.bcc],
        }


class SesError(ApiError):
    """An SES error: its code and message, written by the API version that answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, {"code": code, "message": message})
        self.code = code
        self.message = message


def invalid(message: str) -> SesError:
    return SesError(400, "InvalidParameterValue", message)


class SES:
    """The SES front door (v1 Query and v2 REST on one port)."""

    name = "ses"
    body_limit = BODY_LIMIT

    def __init__(self) -> None:
        self.templates: dict[str, SesTemplate] = {}
        self._ids = itertools.count(1)

    def routes(self) -> Iterable[tuple[str, str, Endpoint]]:
        from harness.sink.api import ses_query, ses_rest

        return [*ses_query.routes(self), *ses_rest.routes(self)]

    def error(self, status: int, message: str) -> ApiError:
        return SesError(status, "InternalFailure" if status >= 500 else "InvalidAction", message)

    # -- shared by both versions ------------------------------------------------------------

    def message_id(self, call: Call) -> str:
        return f"{call.id}-{next(self._ids):06d}-ses-mailharness"

    def check_signed(self, call: Call) -> None:
        if not call.headers.get("Authorization") and "X-Amz-Signature" not in call.query:
            raise SesError(
                403, "MissingAuthenticationToken", "Request is missing Authentication Token"
            )

    def destination(self, to: Sequence[str], cc: Sequence[str], bcc: Sequence[str]) -> Destination:
        found = Destination(
            tuple(map(address, to)), tuple(map(address, cc)), tuple(map(address, bcc))
        )
        count = len(found.envelope)
        if count == 0:
            raise invalid("Missing required header 'To'.")
        if count > MAX_RECIPIENTS:
            raise invalid(f"Recipient count exceeds {MAX_RECIPIENTS}.")
        return found

    def simple(
        self,
        call: Call,
        source: str,
        destination: Destination,
        subject: str,
        text: str | None,
        html: str | None,
        reply_to: Sequence[str],
        evidence: dict[str, Any],
        headers: Sequence[tuple[str, str]] = (),
        attachments: Sequence[Attachment] = (),
    ) -> Delivery:
        sender = address(source)
        if text is None and html is None:
            raise invalid("Message body must contain text or html.")
        raw = build_message(
            sender=sender,
            to=destination.to,
            cc=destination.cc,
            reply_to=[address(a) for a in reply_to],
            subject=subject,
            text=text,
            html=html,
            attachments=attachments,
            headers=headers,
            message_id=f"<{self.message_id(call)}@email.amazonses.com>",
        )
        evidence = {"request": evidence.pop("request"), **destination.evidence(), **evidence}
        return Delivery(sender.email, destination.envelope, raw, evidence)

    def templated(
        self,
        call: Call,
        source: str,
        destination: Destination,
        template_name: str,
        data_text: str | None,
        reply_to: Sequence[str],
        evidence: dict[str, Any],
        default: Mapping[str, Any] | None = None,
        headers: Sequence[tuple[str, str]] = (),
        attachments: Sequence[Attachment] = (),
    ) -> Delivery:
        data = {**(default or {}), **template_data(data_text)}
        template = self.templates.get(template_name)
        if template is None:
            evidence["template"] = {"name": template_name, "rendered": False, "note": NOT_RENDERED}
            visible = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
            text = (
                f"[mailharness: {NOT_RENDERED}: SES template {template_name} is unknown to the "
                "sink; the template data sent for this destination follows]\n" + visible
            )
            shown: tuple[str, str | None, str | None] = (
                f"[{NOT_RENDERED}: {template_name}]",
                text,
                None,
            )
        else:
            evidence["template"] = {"name": template_name, "rendered": True, "data": data}
            shown = (
                render(template.subject, data),
                None if template.text is None else render(template.text, data),
                None if template.html is None else render(template.html, data),
            )
        return self.simple(
            call, source, destination, *shown, reply_to, evidence, headers, attachments
        )

    def raw(
        self,
        call: Call,
        source: str | None,
        destinations: Sequence[str],
        data: bytes,
        evidence: dict[str, Any],
    ) -> Delivery:
        """The caller's bytes as written; routed by `destinations`, else by the headers."""
        if b"\n\n" not in data.replace(b"\r\n", b"\n"):
            raise SesError(400, "MessageRejected", "Message must contain a header and a body.")
        head = email.message_from_bytes(data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0])
        sender = source or email.utils.parseaddr(str(head.get("From", "")))[1]
        if not is_address(sender):
            raise SesError(400, "MessageRejected", "Missing required header 'From'.")
        if destinations:
            rcpts = tuple(address(d).email for d in destinations)
        else:
            written = [str(v) for h in ("To", "Cc", "Bcc") for v in head.get_all(h, [])]
            rcpts = tuple(a for _, a in email.utils.getaddresses(written) if a)
        if not rcpts:
            raise invalid("Missing required header 'To'.")
        if len(rcpts) > MAX_RECIPIENTS:
            raise invalid(f"Recipient count exceeds {MAX_RECIPIENTS}.")
        evidence = {
            **evidence,
            "destinations": list(destinations),
            "routed_by_headers": not destinations,
        }
        return Delivery(sender, rcpts, data, evidence)

    def store_template(self, template: SesTemplate, *, create: bool) -> None:
        for source in (template.subject, template.text, template.html):
            try:
                render_handlebars(source or "", {})
            except ValueError as err:
                raise SesError(400, "InvalidTemplate", str(err)) from None
        if create and template.name in self.templates:
            raise SesError(400, "AlreadyExists", f"Template {template.name} already exists.")
        if not create and template.name not in self.templates:
            raise missing_template(template.name)
        self.templates[template.name] = template


def missing_template(name: str) -> SesError:
    return SesError(400, "TemplateDoesNotExist", f"Template {name} does not exist.")


def address(text: str) -> Address:
    name, found = email.utils.parseaddr(text)
    if not is_address(found):
        raise invalid(f"Missing final '@domain' in address: {text}")
    return Address(found, name)


def template_data(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise invalid("Template data is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid("Template data must be a JSON object.")
    return data


def render(source: str, data: Mapping[str, Any]) -> str:
    return render_handlebars(source, data)
