"""SES v1, the Query API: `POST /` with a form body naming the `Action`, answered in SES's XML.

Actions: SendEmail, SendRawEmail, SendTemplatedEmail, SendBulkTemplatedEmail, CreateTemplate,
UpdateTemplate, GetTemplate. Lists arrive flattened (`Destination.ToAddresses.member.1`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint
from harness.sink.api.form import parse_form
from harness.sink.api.ses import (
    MAX_BULK_DESTINATIONS,
    SesError,
    SesTemplate,
    invalid,
    missing_template,
    template_data,
)

if TYPE_CHECKING:
    from harness.sink.api.ses import SES

__all__ = ["routes"]

_NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/"
Fields = dict[str, str]


def routes(ses: SES) -> list[tuple[str, str, Endpoint]]:
    async def query(call: Call) -> Answer:
        try:
            ses.check_signed(call)
            fields = _fields(call)
            action = fields.get("Action", "")
            handler = _ACTIONS.get(action)
            if handler is None:
                raise SesError(400, "InvalidAction", f"Unrecognized action: {action or '(none)'}")
            return handler(ses, call, fields)
        except SesError as err:
            raise _xml_error(err, call) from None

    return [("POST", "/", query)]


def _fields(call: Call) -> Fields:
    def refuse(reason: str) -> SesError:
        return SesError(400, "MalformedQueryString", reason)

    form = parse_form(call.body, call.headers, refuse)
    return {**call.query, **{f.name: f.text for f in form}}


def _members(fields: Fields, prefix: str) -> list[str]:
    """prefix.member.1, prefix.member.2, ... in order of N."""
    pattern = re.compile(re.escape(prefix) + r"\.member\.(\d+)$")
    found = [(int(m.group(1)), v) for k, v in fields.items() if (m := pattern.match(k))]
    return [v for _, v in sorted(found)]


def _required(fields: Fields, name: str) -> str:
    value = fields.get(name)
    if value is None or value == "":
        raise SesError(
            400,
            "ValidationError",
            f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
            "Member must not be null",
        )
    return value


def _destination(ses: SES, fields: Fields, prefix: str) -> Any:
    return ses.destination(
        _members(fields, f"{prefix}.ToAddresses"),
        _members(fields, f"{prefix}.CcAddresses"),
        _members(fields, f"{prefix}.BccAddresses"),
    )


def _evidence(call: Call, action: str, fields: Fields) -> dict[str, Any]:
    evidence: dict[str, Any] = {"request": f"{call.method} {call.path} Action={action}"}
    tags = {
        fields[k]: fields.get(k.replace(".Name", ".Value"), "")
        for k in fields
        if re.match(r"Tags\.member\.\d+\.Name$", k)
    }
    if tags:
        evidence["tags"] = tags
    return evidence


def _send_email(ses: SES, call: Call, fields: Fields) -> Answer:
    source = _required(fields, "Source")
    destination = _destination(ses, fields, "Destination")
    delivery = ses.simple(
        call,
        source,
        destination,
        _required(fields, "Message.Subject.Data"),
        fields.get("Message.Body.Text.Data"),
        fields.get("Message.Body.Html.Data"),
        _members(fields, "ReplyToAddresses"),
        _evidence(call, "SendEmail", fields),
    )
    return _sent(ses, call, "SendEmail", [delivery])


def _send_raw_email(ses: SES, call: Call, fields: Fields) -> Answer:
    encoded = _required(fields, "RawMessage.Data")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("RawMessage.Data is not valid base64.") from None
    delivery = ses.raw(
        call,
        fields.get("Source"),
        _members(fields, "Destinations"),
        data,
        _evidence(call, "SendRawEmail", fields),
    )
    return _sent(ses, call, "SendRawEmail", [delivery])


def _send_templated_email(ses: SES, call: Call, fields: Fields) -> Answer:
    delivery = ses.templated(
        call,
        _required(fields, "Source"),
        _destination(ses, fields, "Destination"),
        _required(fields, "Template"),
        _required(fields, "TemplateData"),
        _members(fields, "ReplyToAddresses"),
        _evidence(call, "SendTemplatedEmail", fields),
    )
    return _sent(ses, call, "SendTemplatedEmail", [delivery])


def _send_bulk_templated_email(ses: SES, call: Call, fields: Fields) -> Answer:
    source = _required(fields, "Source")
    template = _required(fields, "Template")
    default = template_data(_required(fields, "DefaultTemplateData"))
    entries = sorted(
        {int(m.group(1)) for k in fields if (m := re.match(r"Destinations\.member\.(\d+)\.", k))}
    )
    if not entries:
        _required(fields, "Destinations")
    if len(entries) > MAX_BULK_DESTINATIONS:
        raise invalid(f"Too many destinations: the limit is {MAX_BULK_DESTINATIONS}.")
    deliveries = []
    for n in entries:
        prefix = f"Destinations.member.{n}"
        evidence = _evidence(call, "SendBulkTemplatedEmail", fields) | {"destination": n}
        deliveries.append(
            ses.templated(
                call,
                source,
                _destination(ses, fields, f"{prefix}.Destination"),
                template,
                fields.get(f"{prefix}.ReplacementTemplateData"),
                _members(fields, "ReplyToAddresses"),
                evidence,
                default,
            )
        )
    statuses = "".join(
        f"<member><Status>Success</Status><MessageId>{escape(ses.message_id(call))}</MessageId>"
        "</member>"
        for _ in deliveries
    )
    return _xml(call, "SendBulkTemplatedEmail", f"<Status>{statuses}</Status>", deliveries)


def _template(fields: Fields) -> SesTemplate:
    return SesTemplate(
        name=_required(fields, "Template.TemplateName"),
        subject=fields.get("Template.SubjectPart", ""),
        text=fields.get("Template.TextPart"),
        html=fields.get("Template.HtmlPart"),
    )


def _create_template(ses: SES, call: Call, fields: Fields) -> Answer:
    ses.store_template(_template(fields), create=True)
    return _xml(call, "CreateTemplate", "")


def _update_template(ses: SES, call: Call, fields: Fields) -> Answer:
    ses.store_template(_template(fields), create=False)
    return _xml(call, "UpdateTemplate", "")


def _get_template(ses: SES, call: Call, fields: Fields) -> Answer:
    name = _required(fields, "TemplateName")
    template = ses.templates.get(name)
    if template is None:
        raise missing_template(name)
    parts: list[tuple[str, str | None]] = [
        ("TemplateName", name),
        ("SubjectPart", template.subject),
    ]
    parts += [("TextPart", template.text), ("HtmlPart", template.html)]
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in parts if v is not None)
    return _xml(call, "GetTemplate", f"<Template>{inner}</Template>")


_ACTIONS: dict[str, Callable[[SES, Call, Fields], Answer]] = {
    "SendEmail": _send_email,
    "SendRawEmail": _send_raw_email,
    "SendTemplatedEmail": _send_templated_email,
    "SendBulkTemplatedEmail": _send_bulk_templated_email,
    "CreateTemplate": _create_template,
    "UpdateTemplate": _update_template,
    "GetTemplate": _get_template,
}


def _sent(ses: SES, call: Call, action: str, deliveries: list[Delivery]) -> Answer:
    message_id = escape(ses.message_id(call))
    return _xml(call, action, f"<MessageId>{message_id}</MessageId>", deliveries)


def _xml(call: Call, action: str, result: str, deliveries: Iterable[Delivery] = ()) -> Answer:
    body = (
        f'<{action}Response xmlns="{_NAMESPACE}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{escape(call.id)}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Answer(200, body.encode(), list(deliveries), content_type="text/xml")


def _xml_error(err: SesError, call: Call) -> ApiError:
    kind = "Sender" if err.status < 500 else "Receiver"
    body = (
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message></Error>"
        f"<RequestId>{escape(call.id)}</RequestId></ErrorResponse>"
    )
    return ApiError(err.status, body.encode(), content_type="text/xml")
