"""The bytes a front door delivers read back, through the stdlib's parser, as what was asked."""

from __future__ import annotations

import email
from email.policy import default as default_policy
from typing import Any

from harness.sink.api.mime import Address, Attachment, build_message, html_to_text


def parse(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=default_policy)


def test_every_field_reads_back_as_given_whatever_its_characters() -> None:
    to = [Address(f"p{i}@example.com", f"Zoë Ørsted {i}") for i in range(60)]
    raw = build_message(
        sender=Address("office@school.example.org", "École Sainte-Anne"),
        to=to,
        cc=[Address("cc@example.com", 'A "quoted" name')],
        reply_to=[Address("desk@example.org")],
        subject="Vaccins : rappel pour Zoë",
        text="Bonjour,\nligne 2 é\n",
        html="<p>Bonjour é</p>",
        attachments=[Attachment(b"\x00\x01 data", 'résumé "x".pdf', "application/pdf")],
        headers=[("X-Campaign", "flu")],
        message_id="<c-1@sendgrid.mailharness.test>",
    )
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")
    message = parse(raw)
    assert not message.defects
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        (a.name, a.email) for a in to
    ]
    assert message["Cc"].addresses[0].display_name == 'A "quoted" name'
    assert str(message["From"]) == "École Sainte-Anne <office@school.example.org>"
    assert str(message["Subject"]) == "Vaccins : rappel pour Zoë"
    assert str(message["X-Campaign"]) == "flu"
    text = message.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n") == "Bonjour,\nligne 2 é\n"
    assert message.get_body(("html",)).get_content().strip() == "<p>Bonjour é</p>"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == 'résumé "x".pdf'
    assert attachment.get_content() == b"\x00\x01 data"


def test_a_line_break_in_a_field_cannot_add_a_header() -> None:
    raw = build_message(
        sender=Address("office@school.example.org", "Office\r\nBcc: x@evil.example"),
        to=[Address("a@example.com")],
        subject="Hi\r\nBcc: everyone@example.com",
        text="x",
        html=None,
        message_id="<m@x>",
    )
    message = parse(raw)
    assert message["Bcc"] is None
    assert "everyone@example.com" in str(message["Subject"])


def test_the_bodies_are_alternatives_plainest_first_amp_before_html() -> None:
    raw = build_message(
        sender=Address("office@school.example.org"),
        to=[Address("a@example.com")],
        subject="Trip",
        text="text",
        html="<p>html</p>",
        amp="<html \u26a14email>amp</html>",
        other_bodies=[("text/calendar; method=REQUEST; charset=latin-1", "BEGIN:VCALENDAR")],
        attachments=[Attachment(b"x", "a.pdf", "application/pdf", description="Permission form")],
        message_id="<m@x>",
    )
    message = parse(raw)
    assert not message.defects
    [alternative] = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/x-amp-html", "text/html", "text/calendar"]
    calendar = list(alternative.iter_parts())[-1]
    assert (calendar.get_param("method"), calendar.get_param("charset")) == ("REQUEST", "utf-8")
    assert calendar.get_content().strip() == "BEGIN:VCALENDAR"
    [attachment] = list(message.iter_attachments())
    assert str(attachment["Content-Description"]) == "Permission form"


def test_html_to_text_keeps_what_the_html_shows() -> None:
    source = (
        "<html><head><title>t</title><style>p {color: red}</style></head>"
        "<body><p>Ana &amp; Ben</p><p>Trip on<br>Friday</p><script>x()</script></body></html>"
    )
    assert html_to_text(source) == "Ana & Ben\n\nTrip on\nFriday\n"
