"""The fields of a SendGrid v3 Mail Send request, read as SendGrid reads them, and the settings
that change what a recipient reads (sendgrid.py builds the messages).

- `content`: every block is a body of its MIME type, in either order: text/plain, text/html,
  text/x-amp-html (the SDK's AMP content) and any other type (text/calendar, ...), which is
  delivered as one more alternative.
- `mail_settings.footer` (`enable: true`): its `text` is appended to the text body and its
  `html` to the HTML body (before `</body>`), as SendGrid's footer setting does.
- `tracking_settings.subscription_tracking` (`enable: true`): its `text` and `html` are
  appended with the subscription link at `<% %>` (`<% label %>` in HTML is the link's label);
  with a `substitution_tag`, the link replaces that tag instead. The link is the sink's
  placeholder (https://unsubscribe.mailharness.test/...).
- `tracking_settings.open_tracking.substitution_tag` (`enable: true`): replaced by the
  tracking pixel (an `<img>`) in the HTML body, by nothing in the others.
- Click tracking and Google Analytics only rewrite link targets, and `asm`, `ip_pool_name`,
  `categories`, `batch_id`, `send_at` and the bypass settings only route or account for the
  send: accepted, not modelled in the bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from harness.sink.api.core import ApiError
from harness.sink.api.mime import Address, Attachment, is_address, is_header_name

__all__ = [
    "Bodies",
    "Settings",
    "address",
    "addresses",
    "attachments",
    "bad",
    "content",
    "errors",
    "headers",
    "reply_to",
    "sandbox",
    "settings",
    "substitute",
]

# The headers SendGrid's docs say may not be overridden (x-sg-id, x-sg-eid, received and
# dkim-signature are SendGrid's own and are not written by the sink either way).
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "reply-to", "content-type",
                              "content-transfer-encoding"})  # fmt: skip
UNSUBSCRIBE_URL = "https://unsubscribe.mailharness.test/sendgrid/{id}"
OPEN_PIXEL = '<img src="https://open.mailharness.test/sendgrid/{id}" width="1" height="1" alt="">'
_LINK = re.compile(r"<%\s*(.*?)\s*%>", re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def errors(*items: tuple[str, str | None]) -> dict[str, Any]:
    return {"errors": [{"message": m, "field": f, "help": None} for m, f in items]}


def bad(message: str, field: str | None) -> ApiError:
    return ApiError(400, errors((message, field)))


@dataclass(frozen=True)
class Bodies:
    """The bodies of one message: text/plain, text/html, AMP, and any other kinds."""

    text: str | None = None
    html: str | None = None
    amp: str | None = None
    others: tuple[tuple[str, str], ...] = ()

    def map(self, change: Callable[[str], str]) -> Bodies:
        return Bodies(
            None if self.text is None else change(self.text),
            None if self.html is None else change(self.html),
            None if self.amp is None else change(self.amp),
            tuple((kind, change(value)) for kind, value in self.others),
        )


@dataclass(frozen=True)
class Settings:
    """The mail and tracking settings that change the bytes a recipient reads."""

    footer_text: str | None = None
    footer_html: str | None = None
    subscription: bool = False
    subscription_text: str | None = None
    subscription_html: str | None = None
    subscription_tag: str | None = None
    open_tag: str | None = None

    def apply(self, bodies: Bodies, message_id: str) -> Bodies:
        """The bodies as SendGrid delivers them with these settings."""
        if self.open_tag:
            tag, pixel = self.open_tag, OPEN_PIXEL.format(id=message_id)
            html = None if bodies.html is None else bodies.html.replace(tag, pixel)
            bodies = replace(bodies.map(lambda value: value.replace(tag, "")), html=html)
        if self.subscription:
            url = UNSUBSCRIBE_URL.format(id=message_id)
            if self.subscription_tag:
                sub_tag = self.subscription_tag
                bodies = bodies.map(lambda value: value.replace(sub_tag, url))
            else:
                bodies = _append(bodies, _link_text(self.subscription_text, url),
                                 _link_html(self.subscription_html, url))  # fmt: skip
        return _append(bodies, self.footer_text, self.footer_html)


def _on(value: Any) -> bool:
    return isinstance(value, dict) and value.get("enable") is True


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def settings(body: Mapping[str, Any]) -> Settings:
    mail, tracking = _object(body.get("mail_settings")), _object(body.get("tracking_settings"))
    footer = _object(mail.get("footer")) if _on(mail.get("footer")) else {}
    subscription = tracking.get("subscription_tracking")
    chosen = _object(subscription) if _on(subscription) else {}
    opened = tracking.get("open_tracking")
    return Settings(
        footer_text=_text(footer.get("text")),
        footer_html=_text(footer.get("html")),
        subscription=_on(subscription),
        subscription_text=_text(chosen.get("text")),
        subscription_html=_text(chosen.get("html")),
        subscription_tag=_text(chosen.get("substitution_tag")),
        open_tag=_text(_object(opened).get("substitution_tag")) if _on(opened) else None,
    )


def _link_text(text: str | None, url: str) -> str | None:
    if text is None:
        return None
    return _LINK.sub(lambda m: f"{m.group(1)} {url}" if m.group(1) else url, text)


def _link_html(html: str | None, url: str) -> str | None:
    if html is None:
        return None
    return _LINK.sub(lambda m: f'<a href="{url}">{m.group(1) or url}</a>', html)


def _append(bodies: Bodies, text: str | None, html: str | None) -> Bodies:
    if text is not None and bodies.text is not None:
        bodies = replace(bodies, text=bodies.text.rstrip("\n") + "\n\n" + text)
    if html is not None and bodies.html is not None:
        ends = list(_BODY_END.finditer(bodies.html))
        at = ends[-1].start() if ends else len(bodies.html)
        bodies = replace(bodies, html=bodies.html[:at] + html + bodies.html[at:])
    return bodies


def substitute(value: str, substitutions: Mapping[str, Any]) -> str:
    for key, replacement in substitutions.items():
        value = value.replace(str(key), str(replacement))
    return value


def sandbox(body: Mapping[str, Any]) -> bool:
    return _on(_object(body.get("mail_settings")).get("sandbox_mode"))


def address(value: Any, field: str, missing: str) -> Address:
    if not isinstance(value, dict) or "email" not in value:
        raise bad(missing, f"{field}.email")
    if not is_address(value["email"]):
        raise bad("Does not contain a valid address.", f"{field}.email")
    name = value.get("name", "")
    return Address(value["email"], name if isinstance(name, str) else "")


def addresses(value: Any, field: str, required: bool) -> list[Address]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise bad(
            "The to array is required for all personalization objects, and must have at least "
            "one email object with a valid email address."
            if required
            else f"The {field} must be an array.",
            field,
        )
    return [
        address(item, f"{field}.{j}", "Does not contain a valid address.")
        for j, item in enumerate(value)
    ]


def reply_to(body: Mapping[str, Any]) -> list[Address]:
    if "reply_to" in body and "reply_to_list" in body:
        raise bad("The reply_to and reply_to_list fields are mutually exclusive.", "reply_to")
    if "reply_to" in body:
        return [address(body["reply_to"], "reply_to", "Does not contain a valid address.")]
    if "reply_to_list" in body:
        return addresses(body["reply_to_list"], "reply_to_list", True)
    return []


def content(body: Mapping[str, Any], templated: bool) -> Bodies:
    value = body.get("content")
    if value is None and templated:
        return Bodies()
    if not isinstance(value, list) or not value:
        raise bad(
            "Unless a valid template_id is provided, the content parameter is required. There "
            "must be at least one defined content block. We typically suggest both text/plain "
            "and text/html blocks are included, but only one block is required.",
            "content",
        )
    found: dict[str, str] = {}
    others: list[tuple[str, str]] = []
    for i, block in enumerate(value):
        text = block.get("value") if isinstance(block, dict) else None
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(text, str) or not text:
            raise bad(
                "The content value must be a string at least one character in length.",
                f"content.{i}.value",
            )
        if not isinstance(kind, str) or not kind:
            raise bad("The content type must be a string at least one character in length.",
                      f"content.{i}.type")  # fmt: skip
        base = kind.split(";")[0].strip().lower()
        if base in ("text/plain", "text/html", "text/x-amp-html"):
            found[base] = text
        else:
            others.append((kind, text))
    return Bodies(
        found.get("text/plain"), found.get("text/html"), found.get("text/x-amp-html"),
        tuple(others),
    )  # fmt: skip


def attachments(value: Any) -> list[Attachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad("The attachments must be an array.", "attachments")
    found = []
    for i, item in enumerate(value):
        where = f"attachments.{i}"
        if not isinstance(item, dict):
            raise bad("The attachment must be an object.", where)
        data, filename = item.get("content"), item.get("filename")
        if not isinstance(filename, str) or not filename:
            raise bad("The attachment filename parameter is required.", f"{where}.filename")
        try:
            decoded = base64.b64decode(str(data), validate=True)
        except (binascii.Error, ValueError):
            message = "The attachment content must be base64 encoded."
            raise bad(message, f"{where}.content") from None
        if not isinstance(data, str) or not data:
            raise bad("The attachment content is required.", f"{where}.content")
        found.append(
            Attachment(
                content=decoded,
                filename=filename,
                content_type=str(item.get("type") or "application/octet-stream"),
                inline=item.get("disposition") == "inline",
                content_id=str(item.get("content_id") or ""),
            )
        )
    return found


def headers(value: Any, field: str) -> dict[str, tuple[str, str]]:
    """lower-cased name -> (name, value) of a `headers` object."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad("The headers must be an object.", field)
    found = {}
    for name, text in value.items():
        if not is_header_name(name) or not isinstance(text, str) or "\n" in text or "\r" in text:
            raise bad(f"Invalid header: {name}", f"{field}.{name}")
        if name.lower() in RESERVED_HEADERS:
            raise bad(f"The header {name} is reserved and cannot be set.", f"{field}.{name}")
        found[name.lower()] = (name, text)
    return found
