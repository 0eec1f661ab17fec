"""The bytes a front door delivers read back, through the stdlib's parser, as what was asked."""

from __future__ import annotations

import email
from email.policy import default as default_policy
from typing import Any

from harness.sink.api.mime import Address, Attachment, build_message


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
