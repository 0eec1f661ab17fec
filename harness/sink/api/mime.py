"""The RFC 5322 bytes a provider delivers for one API message, and the templates it renders.

Providers build the message from the request's fields: From, the To and Cc the recipients see
(Bcc is in the envelope only), Reply-To, Subject, the custom headers, a text and an HTML body
(multipart/alternative when both), and attachments. Templates are rendered with maintained
libraries: Handlebars (SendGrid dynamic templates, SES) with pybars3, Mustache (Postmark's
Mustachio) with chevron.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache
from typing import Any

import chevron
import pybars

__all__ = [
    "Address",
    "Attachment",
    "build_message",
    "is_address",
    "render_handlebars",
    "render_mustache",
]

# What providers accept as an address: something@domain.tld, no spaces (a looser check than
# RFC 5321, like theirs; the sink records what the provider would deliver).
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext


@dataclass(frozen=True)
class Address:
    email: str
    name: str = ""

    def formatted(self) -> str:
        return email.utils.formataddr((self.name, self.email), charset="utf-8")


@dataclass(frozen=True)
class Attachment:
    content: bytes
    filename: str
    content_type: str = "application/octet-stream"
    inline: bool = False
    content_id: str = ""


def is_address(text: object) -> bool:
    return isinstance(text, str) and _ADDRESS.match(text) is not None


def is_header_name(text: object) -> bool:
    return isinstance(text, str) and _HEADER_NAME.match(text) is not None


def build_message(
    *,
    sender: Address,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    reply_to: Sequence[Address] = (),
    subject: str,
    text: str | None,
    html: str | None,
    attachments: Sequence[Attachment] = (),
    headers: Sequence[tuple[str, str]] = (),
    message_id: str,
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender.formatted()
    if to:
        message["To"] = ", ".join(a.formatted() for a in to)
    if cc:
        message["Cc"] = ", ".join(a.formatted() for a in cc)
    if reply_to:
        message["Reply-To"] = ", ".join(a.formatted() for a in reply_to)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(time.time(), localtime=False)
    message["Message-ID"] = message_id
    for name, value in headers:
        message[name] = value
    if text is not None:
        message.set_content(text, cte="quoted-printable")
        if html is not None:
            message.add_alternative(html, subtype="html", cte="quoted-printable")
    else:
        message.set_content(html or "", subtype="html", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not subtype or not maintype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            disposition="inline" if attachment.inline else "attachment",
            cid=f"<{attachment.content_id}>" if attachment.content_id else None,
        )
    return message.as_bytes()


@lru_cache(maxsize=256)
def _handlebars(source: str) -> Any:
    return pybars.Compiler().compile(source)


def render_handlebars(source: str, data: Mapping[str, Any]) -> str:
    """Render a Handlebars template; raises ValueError for a template that does not compile."""
    try:
        template = _handlebars(source)
    except Exception as err:  # pybars raises its own parse errors
        raise ValueError(f"template does not compile: {err}") from None
    return str(template(dict(data)))


def render_mustache(source: str, data: Mapping[str, Any]) -> str:
    """Render a Mustache template; raises ValueError for a template that does not parse."""
    try:
        return str(chevron.render(source, dict(data)))
    except Exception as err:  # chevron raises ChevronError and others
        raise ValueError(f"template does not parse: {err}") from None
