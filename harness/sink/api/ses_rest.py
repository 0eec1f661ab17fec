"""SES v2, the REST API under `/v2/email/`: outbound emails (Simple, Raw and Template
content), outbound bulk emails, and the templates resource. JSON in and out; errors carry their
type in `x-amzn-ErrorType`, as botocore reads them.

Simple and Template content take `Headers` (up to 15 `{Name, Value}`, the name printable ASCII
without a colon) and `Attachments` (`RawContent` base64 in the JSON, `FileName`, and optional
`ContentType`, `ContentDisposition` ATTACHMENT or INLINE, `ContentId`, `ContentDescription`,
`ContentTransferEncoding`); a template is named by `TemplateName` or by `TemplateArn`
(`arn:...:template/NAME`)."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint
from harness.sink.api.mime import Attachment, is_header_name
from harness.sink.api.ses import (
    MAX_BULK_DESTINATIONS,
    SesError,
    SesTemplate,
    invalid,
    missing_template,
    template_data,
)

if TYPE_CHECKING:
    from harness.sink.api.ses import SES, Destination

__all__ = ["routes"]

# v1 error codes as the v2 API names them (and the status it answers with).
_V2_ERRORS = {
    "TemplateDoesNotExist": (404, "NotFoundException"),
    "AlreadyExists": (400, "AlreadyExistsException"),
    "MessageRejected": (400, "MessageRejected"),
    "MissingAuthenticationToken": (403, "MissingAuthenticationTokenException"),
}


def routes(ses: SES) -> list[tuple[str, str, Endpoint]]:
    def endpoint(handler: Any) -> Endpoint:
        async def serve(call: Call) -> Answer:
            try:
                ses.check_signed(call)
                return handler(ses, call)  # type: ignore[no-any-return]
            except SesError as err:
                status, kind = _V2_ERRORS.get(err.code, (err.status, "BadRequestException"))
                raise ApiError(
                    status, {"message": err.message}, headers={"x-amzn-ErrorType": kind}
                ) from None

        return serve

    return [
        ("POST", "/v2/email/outbound-emails", endpoint(_send_email)),
        ("POST", "/v2/email/outbound-bulk-emails", endpoint(_send_bulk_email)),
        ("POST", "/v2/email/templates", endpoint(_create_template)),
        ("GET", "/v2/email/templates/{name}", endpoint(_get_template)),
        ("PUT", "/v2/email/templates/{name}", endpoint(_update_template)),
    ]


def _body(call: Call) -> dict[str, Any]:
    body = call.json(lambda reason: invalid(f"Could not parse the request body: {reason}"))
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{name} must be an object.")
    return value


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{name} must be a list of strings.")
    return value


def _text(value: Any, name: str) -> str | None:
    data = _object(value, name).get("Data")
    if data is not None and not isinstance(data, str):
        raise invalid(f"{name}.Data must be a string.")
    return data


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"{name} must be a list.")
    return value


MAX_HEADERS = 15


def _headers(value: Any, name: str) -> list[tuple[str, str]]:
    """A MessageHeaderList: SES's rules for a header's name and value."""
    found: list[tuple[str, str]] = []
    for n, item in enumerate(_list(value, name)):
        item = _object(item, f"{name}.{n}")
        key, text = item.get("Name"), item.get("Value")
        if not isinstance(key, str) or not is_header_name(key) or len(key) > 126:
            raise invalid(f"{name}.{n}.Name must be 1 to 126 printable characters, no colon.")
        if not isinstance(text, str) or "\r" in text or "\n" in text or len(text) > 870:
            raise invalid(f"{name}.{n}.Value must be up to 870 characters on one line.")
        found.append((key, text))
    if len(found) > MAX_HEADERS:
        raise invalid(f"{name} can contain no more than {MAX_HEADERS} headers.")
    return found


def _attachments(value: Any, name: str) -> list[Attachment]:
    found = []
    for n, item in enumerate(_list(value, name)):
        item = _object(item, f"{name}.{n}")
        filename = item.get("FileName")
        if not isinstance(filename, str) or not filename:
            raise invalid(f"{name}.{n}.FileName is required.")
        try:
            data = base64.b64decode(str(item.get("RawContent", "")), validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"{name}.{n}.RawContent is not valid base64.") from None
        kind = item.get("ContentType") or mimetypes.guess_type(filename)[0]
        found.append(
            Attachment(
                content=data,
                filename=filename,
                content_type=str(kind or "application/octet-stream"),
                inline=str(item.get("ContentDisposition", "")).upper() == "INLINE",
                content_id=str(item.get("ContentId") or ""),
                description=str(item.get("ContentDescription") or ""),
            )
        )
    return found


def _destination(ses: SES, value: Any) -> Destination:
    found = _object(value, "Destination")
    return ses.destination(
        _strings(found.get("ToAddresses"), "ToAddresses"),
        _strings(found.get("CcAddresses"), "CcAddresses"),
        _strings(found.get("BccAddresses"), "BccAddresses"),
    )


def _evidence(call: Call, body: Mapping[str, Any]) -> dict[str, Any]:
    evidence: dict[str, Any] = call.evidence()
    if "EmailTags" in body:
        evidence["tags"] = body["EmailTags"]
    return evidence


def _source(body: Mapping[str, Any], required: bool) -> str:
    source = body.get("FromEmailAddress")
    if source is None and not required:
        return ""
    if not isinstance(source, str) or not source:
        raise invalid("FromEmailAddress is required.")
    return source


def _send_email(ses: SES, call: Call) -> Answer:
    body = _body(call)
    content = _object(body.get("Content"), "Content")
    reply_to = _strings(body.get("ReplyToAddresses"), "ReplyToAddresses")
    evidence = _evidence(call, body)
    delivery: Delivery
    if "Raw" in content:
        data = _object(content["Raw"], "Content.Raw").get("Data")
        try:
            raw = base64.b64decode(str(data), validate=True)
        except (binascii.Error, ValueError):
            raise invalid("Content.Raw.Data is not valid base64.") from None
        destination = _object(body.get("Destination"), "Destination")
        destinations = [
            *_strings(destination.get("ToAddresses"), "ToAddresses"),
            *_strings(destination.get("CcAddresses"), "CcAddresses"),
            *_strings(destination.get("BccAddresses"), "BccAddresses"),
        ]
        delivery = ses.raw(call, _source(body, False) or None, destinations, raw, evidence)
    elif "Template" in content:
        delivery = _templated(ses, call, body, content["Template"], None, reply_to, evidence)
    elif "Simple" in content:
        simple = _object(content["Simple"], "Content.Simple")
        message_body = _object(simple.get("Body"), "Content.Simple.Body")
        delivery = ses.simple(
            call,
            _source(body, True),
            _destination(ses, body.get("Destination")),
            _text(simple.get("Subject"), "Subject") or "",
            _text(message_body.get("Text"), "Text"),
            _text(message_body.get("Html"), "Html"),
            reply_to,
            evidence,
            _headers(simple.get("Headers"), "Content.Simple.Headers"),
            _attachments(simple.get("Attachments"), "Content.Simple.Attachments"),
        )
    else:
        raise invalid("Content must be Simple, Raw or Template.")
    return Answer(200, {"MessageId": ses.message_id(call)}, [delivery])


def _templated(
    ses: SES,
    call: Call,
    body: Mapping[str, Any],
    template: Any,
    replacement: str | None,
    reply_to: list[str],
    evidence: dict[str, Any],
    destination: Any = None,
    replacement_headers: list[tuple[str, str]] | None = None,
) -> Delivery:
    template = _object(template, "Template")
    name = template.get("TemplateName")
    arn = template.get("TemplateArn")
    if not name and isinstance(arn, str) and "template/" in arn:
        name = arn.rsplit("template/", 1)[1]  # arn:aws:ses:REGION:ACCOUNT:template/NAME
    headers = _headers(template.get("Headers"), "Template.Headers")
    if replacement_headers:  # an entry's header replaces the template's of the same name
        replaced = {key.lower() for key, _ in replacement_headers}
        headers = [h for h in headers if h[0].lower() not in replaced] + replacement_headers
    inline = _object(template.get("TemplateContent"), "TemplateContent")
    if inline:  # the template given in the request itself
        name = f"(inline in {call.id})"
        ses.templates[name] = SesTemplate(
            name, inline.get("Subject", ""), inline.get("Text"), inline.get("Html")
        )
    if not isinstance(name, str) or not name:
        raise invalid("TemplateName is required.")
    default = template_data(template.get("TemplateData"))
    return ses.templated(
        call,
        _source(body, True),
        _destination(ses, destination if destination is not None else body.get("Destination")),
        name,
        replacement,
        reply_to,
        evidence,
        default,
        headers,
        _attachments(template.get("Attachments"), "Template.Attachments"),
    )


def _send_bulk_email(ses: SES, call: Call) -> Answer:
    body = _body(call)
    default = _object(_object(body.get("DefaultContent"), "DefaultContent").get("Template"), "T")
    entries = body.get("BulkEmailEntries")
    if not isinstance(entries, list) or not entries:
        raise invalid("BulkEmailEntries is required.")
    if len(entries) > MAX_BULK_DESTINATIONS:
        raise invalid(f"Too many destinations: the limit is {MAX_BULK_DESTINATIONS}.")
    reply_to = _strings(body.get("ReplyToAddresses"), "ReplyToAddresses")
    deliveries = []
    for n, entry in enumerate(entries):
        entry = _object(entry, f"BulkEmailEntries.{n}")
        replacement = _object(
            _object(entry.get("ReplacementEmailContent"), "ReplacementEmailContent").get(
                "ReplacementTemplate"
            ),
            "ReplacementTemplate",
        ).get("ReplacementTemplateData")
        evidence = _evidence(call, body) | {"entry": n}
        headers = _headers(entry.get("ReplacementHeaders"), f"BulkEmailEntries.{n}.Headers")
        deliveries.append(
            _templated(
                ses,
                call,
                body,
                default,
                replacement,
                reply_to,
                evidence,
                entry.get("Destination"),
                headers,
            )
        )
    results = [{"Status": "SUCCESS", "MessageId": ses.message_id(call)} for _ in deliveries]
    return Answer(200, {"BulkEmailEntryResults": results}, deliveries)


def _template_from(name: str, content: Any) -> SesTemplate:
    found = _object(content, "TemplateContent")
    return SesTemplate(name, found.get("Subject", ""), found.get("Text"), found.get("Html"))


def _create_template(ses: SES, call: Call) -> Answer:
    body = _body(call)
    name = body.get("TemplateName")
    if not isinstance(name, str) or not name:
        raise invalid("TemplateName is required.")
    ses.store_template(_template_from(name, body.get("TemplateContent")), create=True)
    return Answer(200, {})


def _update_template(ses: SES, call: Call) -> Answer:
    body = _body(call)
    name = call.match["name"]
    ses.store_template(_template_from(name, body.get("TemplateContent")), create=False)
    return Answer(200, {})


def _get_template(ses: SES, call: Call) -> Answer:
    name = call.match["name"]
    template = ses.templates.get(name)
    if template is None:
        raise missing_template(name)
    content = {"Subject": template.subject, "Text": template.text, "Html": template.html}
    content = {k: v for k, v in content.items() if v is not None}
    return Answer(200, {"TemplateName": name, "TemplateContent": content})
