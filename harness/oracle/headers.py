"""The headers a person looks at first in a captured message: From, To, Cc, Subject, Date."""

from __future__ import annotations

import email
from email.policy import compat32

from harness.oracle.decode import decode_header_value

__all__ = ["SHOWN_HEADERS", "copy_headers"]

SHOWN_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date")
MAX_HEADER = 2000  # characters kept of one header value (a To: line of 2,000 parents)


def copy_headers(raw: bytes) -> dict[str, str]:
    """The shown headers present in the message, decoded, in SHOWN_HEADERS order. Never
    raises: a message too broken to parse shows no headers."""
    try:
        message = email.message_from_bytes(raw, policy=compat32)
        found = {name.lower(): str(value) for name, value in message.raw_items()}
    except Exception:
        return {}
    headers = {}
    for name in SHOWN_HEADERS:
        value = found.get(name.lower())
        if value is not None:
            text = decode_header_value(value).strip()
            if len(text) > MAX_HEADER:
                text = f"{text[:MAX_HEADER]}... ({len(text) - MAX_HEADER} more characters)"
            headers[name] = text
    return headers
