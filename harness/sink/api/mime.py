"""The RFC 5322 bytes a provider delivers for one API message, and the templates it renders.

Providers build the message from the request's fields: From, the To and Cc the recipients see
(Bcc is in the envelope only), Reply-To, Subject, the custom headers, the bodies (a text, an
AMP and an HTML body, in that order, then any other kind the request gives: one
multipart/alternative when more than one), and attachments. Templates are rendered with maintained
libraries: Handlebars (SendGrid dynamic templates, SES) with pybars3, Mustache (Postmark's
Mustachio) with chevron.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import html.parser
import re
import secrets
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.header import Header
from functools import lru_cache
from typing import Any

import chevron
import pybars

__all__ = [
    "Address",
    "Attachment",
    "build_message",
    "html_to_text",
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
    description: str = ""


def recipient_lists(
    to: Sequence[Address], cc: Sequence[Address], bcc: Sequence[Address]
) -> dict[str, list[str]]:
    """The addresses of a call's To, Cc and Bcc, as evidence."""
    return {"to": [a.email for a in to], "cc": [a.email for a in cc], "bcc": [a.email for a in bcc]}


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
    amp: str | None = None,
    other_bodies: Sequence[tuple[str, str]] = (),
    attachments: Sequence[Attachment] = (),
    headers: Sequence[tuple[str, str]] = (),
    message_id: str,
    date: str | None = None,
) -> bytes:
    """The message's bytes, written directly (the stdlib's EmailMessage took 7 ms a message,
    too slow for a call of 1,000): headers RFC 2047-encoded where not ASCII, address lists
    folded after each address, text parts quoted-printable, attachments base64.

    The bodies are alternatives, plainest first: text/plain, text/x-amp-html (AMP for Email
    puts it before text/html), text/html, then `other_bodies` ((content type, value) as the
    request gave them, e.g. text/calendar)."""
    lines = [b"From: " + _addresses(sender)]
    if to:
        lines.append(b"To: " + _addresses(*to))
    if cc:
        lines.append(b"Cc: " + _addresses(*cc))
    if reply_to:
        lines.append(b"Reply-To: " + _addresses(*reply_to))
    lines.append(b"Subject: " + _unstructured(subject))
    lines.append(b"Date: " + (date or _now(int(time.time()))).encode())
    lines.append(b"Message-ID: " + _unstructured(message_id))
    lines += [name.encode() + b": " + _unstructured(value) for name, value in headers]
    lines.append(b"MIME-Version: 1.0")
    bodies = [(kind, value) for kind, value in (("text/plain", text), ("text/x-amp-html", amp),
              ("text/html", html)) if value is not None]  # fmt: skip
    bodies += other_bodies
    parts = [_text_part(value, kind) for kind, value in bodies] or [_text_part("", "text/html")]
    body = parts[0] if len(parts) == 1 else _multipart("alternative", parts)
    if attachments:
        body = _multipart("mixed", [body, *(_attachment_part(a) for a in attachments)])
    return b"\r\n".join(lines) + b"\r\n" + body


@lru_cache(maxsize=1)
def _now(second: int) -> str:
    return email.utils.formatdate(second)


def _clean(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _unstructured(value: str) -> bytes:
    value = _clean(value)
    if value.isascii() and len(value) < 900:
        return value.encode()
    return Header(value, "utf-8", maxlinelen=76).encode(linesep="\r\n").encode()


def _addresses(*addresses: Address) -> bytes:
    parts = []
    for a in addresses:
        name = _clean(a.name)
        if not name:
            parts.append(a.email)
        elif name.isascii():
            parts.append(email.utils.formataddr((name, a.email)))
        else:
            parts.append(f"{Header(name, 'utf-8').encode()} <{a.email}>")
    return ",\r\n ".join(parts).encode("utf-8", "surrogateescape")


@lru_cache(maxsize=64)  # a bulk call repeats one body for every recipient
def _text_part(text: str, kind: str) -> bytes:
    """One body, of content type `kind` ("text/plain", or "text/calendar; method=REQUEST":
    its parameters kept, the charset UTF-8)."""
    params = [p.strip() for p in _clean(kind).split(";")]
    params = [params[0] or "text/plain"] + [
        p for p in params[1:] if p and not p.lower().startswith("charset=")
    ]
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8", "surrogateescape")
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    return (
        (
            f'Content-Type: {"; ".join(params)}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("utf-8", "surrogateescape")
        + encoded
        + (b"" if encoded.endswith(b"\r\n") else b"\r\n")
    )


def _attachment_part(attachment: Attachment) -> bytes:
    maintype, _, subtype = attachment.content_type.partition("/")
    kind = attachment.content_type if maintype and subtype else "application/octet-stream"
    kind = _clean(kind).split(";")[0].strip() or "application/octet-stream"
    disposition = "inline" if attachment.inline else "attachment"
    head = [f"Content-Type: {kind}", "Content-Transfer-Encoding: base64",
            f"Content-Disposition: {disposition}; {_filename(attachment.filename)}"]  # fmt: skip
    if attachment.content_id:
        head.append(f"Content-ID: <{_clean(attachment.content_id)}>")
    if attachment.description:
        head.append("Content-Description: " + _unstructured(attachment.description).decode())
    data = base64.encodebytes(attachment.content).replace(b"\n", b"\r\n")
    return "\r\n".join(head).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + data


def _filename(name: str) -> str:
    name = _clean(name)
    if name.isascii():
        return 'filename="' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "filename*=utf-8''" + urllib.parse.quote(name, safe="")


def _multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    boundary = "=_mailharness_" + secrets.token_hex(12)
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()]
    for part in parts:
        # The CRLF before a boundary belongs to the boundary (RFC 2046): the part keeps its own.
        out += [f"--{boundary}\r\n".encode(), part, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


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


class _TextOfHtml(html.parser.HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                         "table", "ul", "ol", "blockquote", "pre", "hr"})  # fmt: skip
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.out.append(data)


def html_to_text(source: str) -> str:
    """The text an HTML body shows (a provider's generated text/plain version): tags dropped,
    entities decoded, a line break at each block, blank runs squeezed."""
    parser = _TextOfHtml()
    parser.feed(source)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
