"""The reference notice as bytes, built directly: a district's 400,000 notices in minutes.

`compose_notice` builds an `EmailMessage` under `email.policy.default`, which costs
milliseconds a message; here the same notice is written as MIME text from a few templates
(RFC 2047 words for non-ASCII headers, quoted-printable UTF-8 parts). A test parses both
forms and compares what a recipient sees.
"""

from __future__ import annotations

import binascii
import itertools
import os
from email.header import Header
from email.utils import formataddr, parseaddr

from harness.roster.campaign import Campaign, notice_fields, render
from harness.roster.model import Contact, Student

__all__ = ["notice_bytes"]

_CRLF = b"\r\n"
_MESSAGE_IDS = itertools.count(1)
_ID_DOMAIN = "district.example.org"


def _one_line(value: str) -> str:
    return " ".join(value.split()) if ("\r" in value or "\n" in value) else value


def _header_value(value: str) -> str:
    """A header value on one line, RFC 2047 encoded (and folded) when it is not ASCII."""
    value = _one_line(value)
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _address(contact: Contact) -> str:
    return formataddr((_one_line(contact.full_name), contact.email or ""), charset="utf-8")


def _sender(sender: str) -> str:
    sender = _one_line(sender)
    if sender.isascii():
        return sender
    return formataddr(parseaddr(sender), charset="utf-8")


def _text_part(text: str, subtype: str) -> bytes:
    data = text.replace("\r\n", "\n").encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"  # as EmailMessage.set_content ends every text part
    body = binascii.b2a_qp(data, istext=True).replace(b"\n", _CRLF)  # soft breaks too
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + body


def _attachment_part(content_type: str, filename: str, data: bytes) -> bytes:
    name = _header_value(filename).replace('"', "")
    return (
        (
            f"Content-Type: {content_type}\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
        ).encode()
        + binascii.b2a_base64(data).replace(b"\n", b"")
        + _CRLF
    )


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f"=_mailharness_{os.getpid()}_{next(_MESSAGE_IDS)}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    dash = f"--{boundary}".encode()
    body = b"".join(dash + _CRLF + part + _CRLF for part in parts)
    return head + body + dash + b"--" + _CRLF


def notice_bytes(campaign: Campaign, student: Student, contact: Contact) -> bytes:
    """The notice `compose_notice(campaign, student, contact)` builds, as bytes with CRLF."""
    fields = notice_fields(campaign, student, contact)
    message_id = f"<{os.getpid()}.{next(_MESSAGE_IDS)}@{_ID_DOMAIN}>"
    headers = (
        f"From: {_sender(campaign.sender)}\r\n"
        f"To: {_address(contact)}\r\n"
        f"Subject: {_header_value(render(campaign.subject, fields))}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
    ).encode()
    body = _text_part(render(campaign.text, fields), "plain")
    if campaign.html is not None:
        html = _text_part(render(campaign.html, fields), "html")
        body = _multipart("alternative", [body, html])
    if campaign.attachment is not None:
        attachment = campaign.attachment
        data = render(attachment.template, fields).encode()
        body = _multipart(
            "mixed", [body, _attachment_part(attachment.content_type, attachment.filename, data)]
        )
    return headers + body
