"""The Mailgun front door, driven with requests as Mailgun's own docs do: what Mailgun delivers
for a call, and how it refuses bad input."""

from __future__ import annotations

import email
import json
from email.policy import default as default_policy
from typing import Any

import pytest
import requests

from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink

SENDER = "Maple Grove <office@school.example.org>"
AUTH = ("api", "key-test")


def send(sink: CaptureSink, data: Any, files: Any = None, **kwargs: Any) -> requests.Response:
    url = f"{sink.api_urls['mailgun']}/v3/mg.school.example.org/messages"
    return requests.post(url, auth=kwargs.pop("auth", AUTH), data=data, files=files, timeout=30)


def parsed(message: CapturedMessage) -> Any:
    return email.message_from_bytes(message.raw, policy=default_policy)


def text_of(message: CapturedMessage) -> str:
    body = parsed(message).get_body(("plain", "html"))
    return str(body.get_content()) if body is not None else ""


def test_repeated_to_without_recipient_variables_is_one_message_showing_everyone(
    sink: CaptureSink,
) -> None:
    to = ["a@example.com", "b@example.com", "c@example.com"]
    data = {"from": SENDER, "to": to, "subject": "Hi", "text": "hello"}
    response = send(sink, data)
    assert response.status_code == 200
    assert response.json()["message"] == "Queued. Thank you."
    [message] = sink.messages()
    assert [c.recipient for c in message.copies()] == to  # delivered once to each
    assert [a.addr_spec for a in parsed(message)["To"].addresses] == to
    assert (message.front_door, message.call) == ("mailgun", "mailgun-1")


def test_recipient_variables_give_each_to_its_own_message_showing_only_itself(
    sink: CaptureSink,
) -> None:
    variables = {
        "a@example.com": {"child": "Ann Lee"},
        "b@example.com": {"child": "Ben Roe"},
        "c@example.com": {"child": "Cara Diaz"},
    }
    data = {
        "from": SENDER,
        "to": "a@example.com, b@example.com,c@example.com",  # one comma-separated field
        "subject": "About %recipient.child%",
        "text": "Dear family of %recipient.child%",
        "recipient-variables": json.dumps(variables),
    }
    assert send(sink, data).status_code == 200
    messages = sorted(sink.messages(), key=lambda m: m.rcpt_tos)
    assert [m.rcpt_tos for m in messages] == [(a,) for a in variables]
    for message, (address, values) in zip(messages, variables.items(), strict=True):
        assert [a.addr_spec for a in parsed(message)["To"].addresses] == [address]
        assert parsed(message)["Subject"] == f"About {values['child']}"
        assert text_of(message).strip() == f"Dear family of {values['child']}"
        assert json.loads(message.evidence)["recipient-variables"] == values


def test_cc_is_shown_bcc_only_in_the_envelope_and_v_variables_travel_in_a_header(
    sink: CaptureSink,
) -> None:
    data = {
        "from": SENDER,
        "to": "a@example.com",
        "cc": "Rosa Diaz <rosa@example.org>",
        "bcc": "audit@example.net",
        "subject": "Hi",
        "html": "<p>hello</p>",
        "h:X-Campaign": "vaccine-1",
        "v:student": "S-AAAAAAA1",
    }
    assert send(sink, data).status_code == 200
    [message] = sink.messages()
    assert message.rcpt_tos == ("a@example.com", "rosa@example.org", "audit@example.net")
    shown = parsed(message)
    assert shown["Bcc"] is None and "audit@example.net" not in message.raw.decode()
    assert str(shown["Cc"]) == "Rosa Diaz <rosa@example.org>"
    assert shown["X-Campaign"] == "vaccine-1"
    assert json.loads(shown["X-Mailgun-Variables"]) == {"student": "S-AAAAAAA1"}


def test_attachments_and_stored_templates(sink: CaptureSink) -> None:
    base = f"{sink.api_urls['mailgun']}/v3/mg.school.example.org"
    stored = requests.post(
        f"{base}/templates",
        auth=AUTH,
        data={"name": "notice", "template": "<p>{{child}} is missing {{detail}}</p>"},
        timeout=30,
    )
    assert stored.status_code == 200
    data = {
        "from": SENDER,
        "to": "a@example.com",
        "subject": "Records",
        "template": "notice",
        "t:variables": json.dumps({"child": "Ann Lee", "detail": "Tdap"}),
    }
    files = [("attachment", ("class.csv", b"id,name\nS-1,Ann Lee\n", "text/csv"))]
    assert send(sink, data, files).status_code == 200
    [message] = sink.messages()
    assert text_of(message).strip() == "<p>Ann Lee is missing Tdap</p>"
    [attached] = list(parsed(message).iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == (
        "class.csv",
        "id,name\nS-1,Ann Lee\n",
    )


def test_an_unknown_template_is_judged_on_the_variables_sent(sink: CaptureSink) -> None:
    data = {
        "from": SENDER,
        "to": "a@example.com",
        "subject": "Records",
        "template": "lives-only-in-the-real-account",
        "t:variables": json.dumps({"child": "Ann Lee"}),
    }
    assert send(sink, data).status_code == 200
    [message] = sink.messages()
    assert "Ann Lee" in text_of(message)
    assert "template not rendered" in text_of(message)


def test_messages_mime_is_delivered_as_written_to_the_envelope(sink: CaptureSink) -> None:
    raw = b"From: office@school.example.org\r\nTo: a@example.com\r\nSubject: x\r\n\r\nhello\r\n"
    url = f"{sink.api_urls['mailgun']}/v3/mg.school.example.org/messages.mime"
    files = {"message": ("message.mime", raw)}
    data = {"to": ["a@example.com", "b@example.com"]}
    assert requests.post(url, auth=AUTH, data=data, files=files, timeout=30).status_code == 200
    [message] = sink.messages()
    assert (message.raw, message.rcpt_tos) == (raw, ("a@example.com", "b@example.com"))


def test_testmode_is_answered_and_nothing_delivered(sink: CaptureSink) -> None:
    data = {"from": SENDER, "to": "a@example.com", "text": "x", "o:testmode": "yes"}
    assert send(sink, data).status_code == 200
    assert sink.messages() == []


def bodies(message: CapturedMessage) -> dict[str, str]:
    """content type -> text of every body part of a message."""
    return {
        part.get_content_type(): str(part.get_content()).replace("\r\n", "\n")
        for part in parsed(message).walk()
        if part.get_content_maintype() == "text" and not part.get_filename()
    }


AMP = "<!doctype html><html \u26a14email><body>Trip (AMP) for %recipient.child%</body></html>"


def test_every_documented_optional_field_is_accepted_and_visible(sink: CaptureSink) -> None:
    data = [
        ("from", SENDER),
        ("to", "Ana's parent <ana.parent@example.com>"),
        ("cc", "ana.guardian@example.com"),
        ("bcc", "audit@school.example.org"),
        ("subject", "Field trip"),
        ("text", "Trip on Friday"),
        ("html", '<p>Trip on Friday <img src="cid:logo.png"></p>'),
        ("amp-html", AMP.replace("%recipient.child%", "Ana")),
        ("o:tag", "trips"),
        ("o:tag", "grade-3"),
        ("o:dkim", "yes"),
        ("o:deliverytime", "Fri, 14 Oct 2033 23:10:10 -0000"),
        ("o:tracking", "yes"),
        ("o:tracking-clicks", "htmlonly"),
        ("o:tracking-opens", "yes"),
        ("o:require-tls", "yes"),
        ("o:skip-verification", "no"),
        ("h:Reply-To", "Front desk <desk@school.example.org>"),
        ("h:X-Campaign", "trip-7"),
        ("v:family", "F-1"),
    ]
    files = [
        ("attachment", ("permission.pdf", b"%PDF-1.4 form", "application/pdf")),
        ("inline", ("logo.png", b"\x89PNG fake logo", "image/png")),
    ]
    response = send(sink, data, files)
    assert response.status_code == 200
    [message] = sink.messages()
    assert message.rcpt_tos == (
        "ana.parent@example.com", "ana.guardian@example.com", "audit@school.example.org",
    )  # fmt: skip
    shown = parsed(message)
    assert str(shown["Reply-To"]) == "Front desk <desk@school.example.org>"
    assert str(shown["X-Campaign"]) == "trip-7"
    assert json.loads(shown["X-Mailgun-Variables"]) == {"family": "F-1"}
    found = bodies(message)
    assert found["text/plain"].strip() == "Trip on Friday"
    assert "Trip (AMP) for Ana" in found["text/x-amp-html"]  # AMP clients show this part
    assert "Trip on Friday" in found["text/html"]
    kinds = [part.get_content_type() for part in shown.walk()]
    assert kinds.index("text/x-amp-html") < kinds.index("text/html")  # AMP before HTML
    pdf, logo = shown.iter_attachments()
    assert (pdf.get_filename(), pdf.get_content_disposition()) == ("permission.pdf", "attachment")
    assert (logo.get_content_disposition(), str(logo["Content-ID"])) == ("inline", "<logo.png>")
    assert json.loads(message.evidence)["o:tag"] == "trips"


def test_amp_html_alone_is_a_body_and_takes_recipient_variables(sink: CaptureSink) -> None:
    data = {
        "from": SENDER,
        "to": ["a@example.com", "b@example.com"],
        "subject": "Trip",
        "amp-html": AMP,
        "recipient-variables": json.dumps(
            {"a@example.com": {"child": "Ana"}, "b@example.com": {"child": "Ben"}}
        ),
    }
    assert send(sink, data).status_code == 200
    ana, ben = sorted(sink.messages(), key=lambda m: m.rcpt_tos)
    assert "Trip (AMP) for Ana" in bodies(ana)["text/x-amp-html"]
    assert "Trip (AMP) for Ben" in bodies(ben)["text/x-amp-html"]


def test_a_stored_template_with_t_text_gets_a_text_part_and_needs_no_from(
    sink: CaptureSink,
) -> None:
    base = f"{sink.api_urls['mailgun']}/v3/mg.school.example.org"
    template = "<html><head><style>p {}</style></head><body><p>{{child}} &amp; the trip</p></body>"
    stored = requests.post(
        f"{base}/templates", auth=AUTH, data={"name": "trip", "template": template}, timeout=30
    )
    assert stored.status_code == 200
    data = {
        "to": "a@example.com",
        "template": "trip",
        "t:version": "initial",
        "t:text": "yes",
        "t:variables": json.dumps({"child": "Ana Lee"}),
    }
    assert send(sink, data).status_code == 200
    [message] = sink.messages()
    found = bodies(message)
    assert found["text/plain"].strip() == "Ana Lee & the trip"
    assert "<p>Ana Lee &amp; the trip</p>" in found["text/html"]
    assert "not given" in json.loads(message.evidence)["from"]


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        ({"to": "a@example.com", "text": "x"}, 400, "'from' parameter is missing"),
        ({"from": SENDER, "text": "x"}, 400, "'to' parameter is missing"),
        ({"from": SENDER, "to": "not an address", "text": "x"}, 400, "not a valid address"),
        ({"from": SENDER, "to": "a@example.com"}, 400, "Need at least one of"),
        (
            {"from": SENDER, "to": "a@example.com", "text": "x", "recipient-variables": "{"},
            400,
            "not a valid JSON",
        ),
        (
            {"from": SENDER, "to": [f"p{i}@example.com" for i in range(1001)], "text": "x"},
            400,
            "Too many recipients",
        ),
    ],
)
def test_bad_input_is_refused_as_mailgun_refuses_it(
    sink: CaptureSink, data: dict[str, Any], status: int, says: str
) -> None:
    response = send(sink, data)
    assert response.status_code == status
    assert says in response.json()["message"]
    assert sink.messages() == []
    [refusal] = sink.refusals()
    assert (refusal.stage, refusal.front_door) == ("request", "mailgun")
    assert refusal.reply.startswith(f"{status} ")


def test_a_missing_key_and_a_body_that_is_no_form_are_refused(sink: CaptureSink) -> None:
    data = {"from": SENDER, "to": "a@example.com", "text": "x"}
    response = send(sink, data, auth=None)
    assert (response.status_code, response.text) == (401, "Forbidden")
    url = f"{sink.api_urls['mailgun']}/v3/mg.school.example.org/messages"
    as_json = requests.post(url, auth=AUTH, json=data, timeout=30)
    assert as_json.status_code == 400
    assert sink.messages() == []
    assert len(sink.refusals()) == 2
