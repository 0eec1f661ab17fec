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
from sendgrid.helpers.mail import (
    Asm,
    Attachment,
    BatchId,
    Bcc,
    BypassListManagement,
    Category,
    Cc,
    ClickTracking,
    Content,
    ContentId,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    FooterHtml,
    FooterSettings,
    FooterText,
    Ganalytics,
    Header,
    IpPoolName,
    Mail,
    MailSettings,
    OpenTracking,
    Personalization,
    ReplyTo,
    SandBoxMode,
    SendAt,
    SubscriptionHtml,
    SubscriptionText,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

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


def parts(message: CapturedMessage) -> dict[str, str]:
    """content type -> decoded text of every body part of a message."""
    return {
        part.get_content_type(): str(part.get_content()).replace("\r\n", "\n")
        for part in headers(message).walk()
        if part.get_content_maintype() == "text" and not part.get_filename()
    }


PNG = base64.b64encode(b"\x89PNG fake logo").decode()


def test_every_documented_optional_field_from_the_sdk_is_accepted_and_visible(
    sink: CaptureSink,
) -> None:
    mail = Mail(
        from_email=SENDER,
        to_emails=To("ana.parent@example.com", "Ana's parent"),
        subject="Field trip",
        plain_text_content="Trip on Friday.",
        html_content="<html><body><p>Trip on Friday.</p></body></html>",
        amp_html_content="<!doctype html><html \u26a14email><body>Trip (AMP)</body></html>",
    )
    mail.add_content(Content("text/calendar; method=REQUEST", "BEGIN:VCALENDAR\nEND:VCALENDAR"))
    mail.reply_to = ReplyTo("desk@school.example.org", "Front desk")
    mail.header = Header("X-Campaign", "trip-7")
    mail.custom_arg = CustomArg("run", "7")
    mail.category = [Category("trips"), Category("grade-3")]
    mail.batch_id = BatchId("HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi")
    mail.send_at = SendAt(1617260400)
    mail.asm = Asm(12, [12, 13])
    mail.ip_pool_name = IpPoolName("transactional")
    mail.attachment = Attachment(FileContent(PNG), FileName("logo.png"), FileType("image/png"),
                                 Disposition("inline"), ContentId("logo"))  # fmt: skip
    mail.mail_settings = MailSettings(
        bypass_list_management=BypassListManagement(True),
        footer_settings=FooterSettings(True, FooterText("Maple Grove PTA"),
                                       FooterHtml("<p>Maple Grove PTA</p>")),
        sandbox_mode=SandBoxMode(False),
    )  # fmt: skip
    mail.tracking_settings = TrackingSettings(
        click_tracking=ClickTracking(True, False),
        open_tracking=OpenTracking(True),
        subscription_tracking=SubscriptionTracking(
            True,
            SubscriptionText("Stop these: <% %>"),
            SubscriptionHtml("<p><% Unsubscribe %></p>"),
        ),
        ganalytics=Ganalytics(True, "school", "email", None, None, "trip"),
    )
    response = client(sink).send(mail)
    assert response.status_code == 202
    [message] = sink.messages()
    shown = parts(message)
    assert shown["text/plain"].startswith("Trip on Friday.")
    assert "Maple Grove PTA" in shown["text/plain"]  # the footer
    assert "Stop these: https://unsubscribe.mailharness.test/" in shown["text/plain"]
    html = shown["text/html"]
    assert html.index("<p>Maple Grove PTA</p>") < html.index("</body>")
    assert ">Unsubscribe</a>" in html
    assert "Trip (AMP)" in shown["text/x-amp-html"]
    assert "BEGIN:VCALENDAR" in shown["text/calendar"]
    parsed = headers(message)
    assert str(parsed["Reply-To"]) == "Front desk <desk@school.example.org>"
    assert str(parsed["X-Campaign"]) == "trip-7"
    [logo] = list(parsed.iter_attachments())
    assert (logo.get_content_disposition(), str(logo["Content-ID"])) == ("inline", "<logo>")
    evidence = json.loads(message.evidence)
    assert evidence["asm"] == {"group_id": 12, "groups_to_display": [12, 13]}
    assert sorted(evidence["categories"]) == ["grade-3", "trips"]


def test_every_documented_optional_field_as_raw_json_is_accepted_and_visible(
    sink: CaptureSink,
) -> None:
    body = {
        "personalizations": [
            {
                "to": [{"email": "ana.parent@example.com", "name": "Ana's parent"}],
                "cc": [{"email": "ana.guardian@example.com"}],
                "bcc": [{"email": "audit@school.example.org"}],
                "from": {"email": "grade3@school.example.org", "name": "Grade 3"},
                "subject": "Trip for -child-",
                "headers": {"X-Family": "F-1", "X-Campaign": "trip-7-ana"},
                "substitutions": {"-child-": "Ana", "-desk-": "desk-ana"},
                "custom_args": {"family": "F-1"},
                "send_at": 1617260400,
            },
            {"to": [{"email": "ben.parent@example.com"}], "substitutions": {"-child-": "Ben",
                                                                             "-desk-": "desk"}},
        ],
        "from": {"email": SENDER, "name": "Maple Grove"},
        "reply_to_list": [{"email": "-desk-@school.example.org", "name": "Desk"}],
        "subject": "Trip",
        "content": [  # HTML first: SendGrid's docs give no order
            {"type": "text/html", "value": "<body><p>Trip for -child-</p>%open%</body>"},
            {"type": "text/plain", "value": "Trip for -child-"},
        ],
        "attachments": [{"content": PNG, "type": "image/png", "filename": "logo.png",
                         "disposition": "inline", "content_id": "logo"}],
        "headers": {"X-Campaign": "trip-7", "Message-ID": "<trip-7@school.example.org>"},
        "categories": ["trips"],
        "custom_args": {"run": "7"},
        "send_at": 1617260400,
        "batch_id": "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
        "asm": {"group_id": 12, "groups_to_display": [12]},
        "ip_pool_name": "transactional",
        "mail_settings": {
            "bypass_list_management": {"enable": True},
            "footer": {"enable": True, "text": "Maple Grove PTA", "html": "<p>PTA</p>"},
            "sandbox_mode": {"enable": False},
        },
        "tracking_settings": {
            "click_tracking": {"enable": True, "enable_text": False},
            "open_tracking": {"enable": True, "substitution_tag": "%open%"},
            "subscription_tracking": {"enable": True, "substitution_tag": "[unsubscribe]"},
            "ganalytics": {"enable": True, "utm_source": "school", "utm_campaign": "trip"},
        },
    }  # fmt: skip
    body["content"][1]["value"] += "\nLeave the list: [unsubscribe]"
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 202
    ana, ben = sink.messages()
    assert ana.rcpt_tos == (
        "ana.parent@example.com", "ana.guardian@example.com", "audit@school.example.org",
    )  # fmt: skip
    a, b = headers(ana), headers(ben)
    assert str(a["From"]) == "Grade 3 <grade3@school.example.org>"  # the personalization's
    assert str(b["From"]) == f"Maple Grove <{SENDER}>"
    assert (str(a["Subject"]), str(b["Subject"])) == ("Trip for Ana", "Trip")
    assert str(a["Reply-To"]) == "Desk <desk-ana@school.example.org>"
    assert (str(a["X-Family"]), str(a["X-Campaign"]), str(b["X-Campaign"])) == (
        "F-1", "trip-7-ana", "trip-7",
    )  # fmt: skip
    assert b["X-Family"] is None
    assert str(a["Message-ID"]) == "<trip-7@school.example.org>"
    text = parts(ana)["text/plain"]
    assert text.startswith("Trip for Ana\nLeave the list: https://unsubscribe.mailharness.test/")
    assert text.rstrip().endswith("Maple Grove PTA")
    html = parts(ana)["text/html"]
    assert "<p>Trip for Ana</p>" in html and "%open%" not in html
    assert html.index("<p>PTA</p>") < html.index("</body>")
    assert "Trip for Ben" in parts(ben)["text/plain"]
    [logo] = list(a.iter_attachments())
    assert str(logo["Content-ID"]) == "<logo>"
    assert json.loads(ana.evidence)["from"] == "grade3@school.example.org"


def test_a_footer_that_is_not_enabled_adds_nothing(sink: CaptureSink) -> None:
    body = minimal(mail_settings={"footer": {"enable": False, "text": "PTA footer"}})
    assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 202
    [message] = sink.messages()
    assert "PTA footer" not in message.raw.decode()


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
    "bad personalization from": (minimal(personalizations=[{"to": [{"email": "a@example.com"}],
                                                            "from": {"email": "nope"}}]), {}, 400,
                                 "personalizations.0.from.email"),
    "reserved header": (minimal(headers={"Reply-To": "x@example.com"}), {}, 400,
                        "headers.Reply-To"),
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
