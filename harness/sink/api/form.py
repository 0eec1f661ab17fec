"""Form bodies (application/x-www-form-urlencoded and multipart/form-data), as Mailgun and the
SES Query API receive them: every field in order, repeated names kept."""

from __future__ import annotations

import email.parser
import email.policy
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["FormField", "parse_form"]


@dataclass(frozen=True)
class FormField:
    name: str
    value: bytes  # a text field's UTF-8 bytes, or a file's content
    filename: str | None = None  # set for a file
    content_type: str = "text/plain"

    @property
    def text(self) -> str:
        return self.value.decode("utf-8", "replace")


def parse_form(
    body: bytes, headers: Mapping[str, str], refuse: Callable[[str], Exception]
) -> list[FormField]:
    """The fields of a form body; `refuse(reason)` is raised for another content type or a
    body that is not a form."""
    content_type = headers.get("Content-Type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = urllib.parse.parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)
            )
        except (UnicodeDecodeError, ValueError) as err:
            raise refuse(f"malformed form body: {err}") from None
        return [FormField(name, value.encode()) for name, value in pairs]
    if kind == "multipart/form-data":
        return _multipart(body, content_type, refuse)
    raise refuse(f"unsupported content type {kind or '(none)'}: send a form")


def _multipart(
    body: bytes, content_type: str, refuse: Callable[[str], Exception]
) -> list[FormField]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise refuse("malformed multipart/form-data body")
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise refuse("a multipart/form-data part without a name")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        value = payload if isinstance(payload, bytes) else b""
        fields.append(FormField(name, value, filename, part.get_content_type()))
    return fields
