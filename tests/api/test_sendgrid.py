"""The SendGrid front door: what SendGrid delivers for a call, and how it refuses bad input."""

from __future__ import annotations

import base64
import email
import json
from email.policy import default as default_policy
from typing import Any

import pytest
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Bcc, Cc, Mail, Personalization, To

from harness.sink.api.sendgrid import SendGrid
from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink
from tests.api.conftest import post

SENDER = "office@school.example.org"
KEY = {"Authorization": "Bearer SG.test"}


def client(sink: CaptureSink) -> SendGridAPIClient:
    return SendGridAPIClient("SG.test", host=sink.api_urls["sendgrid"])


def headers(message: CapturedMessage) -> Any:
    return email.message_from_bytes(message.raw, policy=default_policy)


def body_text(message: CapturedMessage) -> str:
    part = headers(message).get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def minimal(**extra: Any) -> dict[str, Any]:
    return {
        "personalizations": [{"to": [{"email": "a@example.com"}]}],
        "from": {"email": SENDER},
        "subject": "Hello",
        "content": [{"type": "text/plain", "value": "hello"}],
        **extra,
    }


def test_one_personalization_with_three_to_is_one_message_shown_to_all_three(
    sink: CaptureSink,
) -> None:
    to = ["a@example.com", "b@example.com", "c@example.com"]
    mail = Mail(from_email=SENDER, to_emails=to, subject="Hi", plain_text_content="hello")
    response = client(sink).send(mail)
    assert response.status_code == 202
    [message] = sink.messages()
    assert message.rcpt_tos == tuple(to)
    assert [c.recipient for c in message.copies()] == to  # delivered once to each
    assert [a.addr_spec for a in headers(message)["To"].addresses] == to
    assert (message.front_door, message.call) == ("sendgrid", response.headers["X-Message-Id"])
    assert json.loads(message.evidence)["to"] == to


def test_each_personalization_is_its_own_message_and_bcc_stays_in_the_envelope(
    sink: CaptureSink,
) -> None:
    mail = Mail(from_email=SENDER, subject="Hi", plain_text_content="hello -name-")
    for name in ("ann", "bob"):
        p = Personalization()
        p.add_to(To(f"{name}@example.com"))
        p.add_cc(Cc(f"{name}-cc@example.com"))
        p.add_bcc(Bcc(f"{name}-bcc@example.com"))
        mail.add_personalization(p)
    body = mail.get()
    for p in body["personalizations"]:
        p["substitutions"] = {"-name-": p["to"][0]["email"].split("@")[0].title()}
    response = client(sink).client.mail.send.post(request_body=body)
    assert response.status_code == 202
    ann, bob = sorted(sink.messages(), key=lambda m: m.rcpt_tos)
    assert ann.rcpt_tos == ("ann@example.com", "ann-cc@example.com", "ann-bcc@example.com")
    assert str(headers(ann)["To"]) == "ann@example.com"
    assert str(headers(ann)["Cc"]) == "ann-cc@example.com"
    assert b"bcc" not in ann.raw
    assert body_text(ann).strip() == "hello Ann"
    assert body_text(bob).strip() == "hello Bob"
    assert bob.call == ann.call


def test_a_template_given_to_the_sink_is_rendered_per_personalization(sink: CaptureSink) -> None:
    api = client(sink).client
    created = api.templates.post(request_body={"name": "notice", "generation": "dynamic"})
    template_id = json.loads(created.body)["id"]
    api.templates._(template_id).versions.post(
        request_body={
            "name": "v1",
            "subject": "About {{student}}",
            "plain_content": "{{#if student}}Dear {{parent}}, {{student}} is due.{{/if}}",
            "active": 1,
        }
    )
    body = minimal(template_id=template_id)
    del body["content"], body["subject"]
    body["personalizations"] = [
        {
            "to": [{"email": "a@example.com"}],
            "dynamic_template_data": {"student": "Ana", "parent": "Mo"},
        },
        {
            "to": [{"email": "b@example.com"}],
            "dynamic_template_data": {"student": "Ben", "parent": "Jo"},
        },
    ]
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 202
    ana, ben = sink.messages()
    assert str(headers(ana)["Subject"]) == "About Ana"
    assert body_text(ana).strip() == "Dear Mo, Ana is due."
    assert body_text(ben).strip() == "Dear Jo, Ben is due."
    assert json.loads(ana.evidence)["template"] == {"id": template_id, "rendered": True}


def test_an_unknown_template_is_judged_on_the_data_sent_for_each_recipient(
    sink: CaptureSink,
) -> None:
    body = minimal(template_id="d-0123456789abcdef0123456789abcdef")
    del body["content"]
    body["personalizations"][0]["dynamic_template_data"] = {"student": "Ana Lopez", "id": "S-1"}
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 202
    [message] = sink.messages()
    text = body_text(message)
    assert "template not rendered" in text
    assert "Ana Lopez" in text and "S-1" in text
    evidence = json.loads(message.evidence)
    assert evidence["template"]["rendered"] is False
    assert evidence["template"]["note"] == "template not rendered"


def test_attachments_reply_to_and_headers_reach_the_message(sink: CaptureSink) -> None:
    body = minimal(
        attachments=[{"content": base64.b64encode(b"a,b\n1,2\n").decode(), "filename": "x.csv",
                      "type": "text/csv"}],
        reply_to={"email": "desk@school.example.org", "name": "Desk"},
        headers={"X-Campaign": "flu"},
        content=[{"type": "text/plain", "value": "t"}, {"type": "text/html", "value": "<p>h</p>"}],
    )  # fmt: skip
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 202
    [message] = sink.messages()
    parsed = headers(message)
    assert str(parsed["Reply-To"]) == "Desk <desk@school.example.org>"
    assert str(parsed["X-Campaign"]) == "flu"
    [attachment] = list(parsed.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("x.csv", "a,b\n1,2\n")
    assert parsed.get_body(("html",)) is not None


def test_sandbox_mode_is_validated_and_delivers_nothing(sink: CaptureSink) -> None:
    body = minimal(mail_settings={"sandbox_mode": {"enable": True}})
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 200
    bad = {**body, "from": {}}
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", bad, KEY)[0] == 400
    assert sink.messages() == []


def _many(n: int, per: int = 1) -> list[dict[str, Any]]:
    return [{"to": [{"email": f"r{i}-{j}@example.com"} for j in range(per)]} for i in range(n)]


BAD: dict[str, tuple[dict[str, Any] | bytes, dict[str, str], int, str | None]] = {
    "malformed JSON": (b'{"personalizations": [', {}, 400, None),
    "not an object": (b"[]", {}, 400, None),
    "no personalizations": (minimal(personalizations=[]), {}, 400, "personalizations"),
    "1,001 personalizations": (minimal(personalizations=_many(1001)), {}, 400, "personalizations"),
    "1,001 recipients": (minimal(personalizations=_many(7, 143)), {}, 400, "personalizations"),
    "no from": ({k: v for k, v in minimal().items() if k != "from"}, {}, 400, "from.email"),
    "empty content": (minimal(content=[{"type": "text/plain", "value": ""}]), {}, 400,
                      "content.0.value"),
    "no content": ({k: v for k, v in minimal().items() if k != "content"}, {}, 400, "content"),
    "no subject": ({k: v for k, v in minimal().items() if k != "subject"}, {}, 400, "subject"),
    "bad address": (minimal(personalizations=[{"to": [{"email": "nope"}]}]), {}, 400,
                    "personalizations.0.to.0.email"),
    "duplicate address": (minimal(personalizations=[{"to": [{"email": "a@example.com"}],
                                                     "bcc": [{"email": "A@example.com"}]}]),
                          {}, 400, "personalizations.0"),
    "invalid base64": (minimal(attachments=[{"content": "!!!", "filename": "a.pdf"}]), {}, 400,
                       "attachments.0.content"),
    "wrong content type": (minimal(), {"Content-Type": "text/plain"}, 415, None),
    "missing key": (minimal(), {"Authorization": ""}, 401, None),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gets_sendgrids_answer_and_nothing_is_stored(
    sink: CaptureSink, case: str
) -> None:
    body, extra, status, field = BAD[case]
    url = sink.api_urls["sendgrid"] + "/v3/mail/send"
    got, answer, _ = post(url, body, {**KEY, **extra})
    assert got == status
    [error] = answer["errors"]
    assert set(error) == {"message", "field", "help"} and error["message"]
    assert error["field"] == field
    assert sink.messages() == []
    [refusal] = sink.refusals()
    assert (refusal.front_door, refusal.stage) == ("sendgrid", "request")
    assert refusal.reply.startswith(f"{status} ")
    assert refusal.raw == (body if isinstance(body, bytes) else json.dumps(body).encode())
    assert post(url, minimal(), KEY)[0] == 202  # the door keeps serving
    assert len(sink.messages()) == 1


def test_a_configured_key_is_required() -> None:
    with CaptureSink(api=[SendGrid(key="SG.right")]) as sink:
        url = sink.api_urls["sendgrid"] + "/v3/mail/send"
        assert post(url, minimal(), {"Authorization": "Bearer SG.wrong"})[0] == 401
        assert post(url, minimal(), {"Authorization": "Bearer SG.right"})[0] == 202
        assert len(sink.messages()) == 1


def test_a_body_over_the_limit_gets_413_and_nothing_is_stored() -> None:
    door = SendGrid()
    door.body_limit = 2048
    with CaptureSink(api=[door]) as sink:
        big = minimal(content=[{"type": "text/plain", "value": "x" * 4096}])
        status, answer, _ = post(sink.api_urls["sendgrid"] + "/v3/mail/send", big, KEY)
        assert status == 413 and answer["errors"][0]["message"]
        assert sink.messages() == []
        assert [r.reply[:3] for r in sink.refusals()] == ["413"]


def test_the_sdk_sees_sendgrids_error_shape(sink: CaptureSink) -> None:
    with pytest.raises(HTTPError) as refused:
        client(sink).client.mail.send.post(request_body={"personalizations": []})
    assert refused.value.status_code == 400
    assert json.loads(refused.value.body)["errors"][0]["field"] == "personalizations"


def test_an_unknown_path_is_a_404_in_sendgrids_shape(sink: CaptureSink) -> None:
    status, answer, _ = post(sink.api_urls["sendgrid"] + "/v3/mail/nope", minimal(), KEY)
    assert status == 404 and answer["errors"][0]["message"]
    assert sink.messages() == []
