"""The Postmark front door: what Postmark delivers for a call, and how it refuses bad input."""

from __future__ import annotations

import base64
import email
import json
from email.policy import default as default_policy
from typing import Any

import pytest
from postmarker.core import PostmarkClient
from postmarker.exceptions import ClientError

from harness.sink.api.postmark import Postmark
from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink
from tests.api.conftest import post

SENDER = "office@school.example.org"
TOKEN = {"X-Postmark-Server-Token": "server-token"}


def client(sink: CaptureSink, path: str = "/") -> PostmarkClient:
    return PostmarkClient(
        server_token="server-token", root_api_url=sink.api_urls["postmark"] + path
    )


def parsed(message: CapturedMessage) -> Any:
    return email.message_from_bytes(message.raw, policy=default_policy)


def body_text(message: CapturedMessage) -> str:
    part = parsed(message).get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def one(**extra: Any) -> dict[str, Any]:
    return {"From": SENDER, "To": "a@example.com", "Subject": "Hi", "TextBody": "hello", **extra}


def test_to_and_cc_are_shown_to_every_recipient_and_bcc_is_not(sink: CaptureSink) -> None:
    answer = client(sink).emails.send(
        From=SENDER,
        To="a@example.com, Bee <b@example.com>, c@example.com",
        Cc="d@example.com",
        Bcc="e@example.com",
        Subject="Hi",
        TextBody="hello",
    )
    assert answer["ErrorCode"] == 0 and answer["Message"] == "OK"
    [message] = sink.messages()
    assert message.rcpt_tos == (
        "a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com",
    )  # fmt: skip
    assert [c.recipient for c in message.copies()] == list(message.rcpt_tos)  # once to each
    headers = parsed(message)
    assert [a.addr_spec for a in headers["To"].addresses] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert str(headers["Cc"]) == "d@example.com"
    assert b"e@example.com" not in message.raw
    assert message.front_door == "postmark"


def test_the_sdk_reaches_the_root_whatever_path_its_url_has(sink: CaptureSink) -> None:
    client(sink, "/some/path/").emails.send(**one())
    assert len(sink.messages()) == 1


def test_a_batch_answers_each_item_and_delivers_only_the_valid_ones(sink: CaptureSink) -> None:
    answers = client(sink).emails.send_batch(
        one(To="a@example.com"),
        one(To="not an address"),
        one(To="c@example.com", TextBody=None, HtmlBody="<p>hi</p>"),
    )
    assert [a["ErrorCode"] for a in answers] == [0, 300, 0]
    assert "Illegal email address" in answers[1]["Message"]
    assert [m.rcpt_tos for m in sink.messages()] == [("a@example.com",), ("c@example.com",)]
    [refusal] = sink.refusals()
    assert (refusal.front_door, refusal.stage) == ("postmark", "request")
    assert json.loads(refusal.reply.partition(" ")[2])["ErrorCode"] == 300


def test_a_template_given_to_the_sink_is_rendered_with_each_model(sink: CaptureSink) -> None:
    api = client(sink)
    template = api.templates.create(
        Name="notice",
        Alias="notice",
        Subject="About {{student}}",
        TextBody="Dear {{parent}}, {{student}} is due.",
    )
    api.emails.send_template_batch(
        {"TemplateId": template.TemplateId, "TemplateModel": {"student": "Ana", "parent": "Mo"},
         "From": SENDER, "To": "a@example.com"},
        {"TemplateAlias": "notice", "TemplateModel": {"student": "Ben", "parent": "Jo"},
         "From": SENDER, "To": "b@example.com"},
    )  # fmt: skip
    ana, ben = sink.messages()
    assert str(parsed(ana)["Subject"]) == "About Ana"
    assert body_text(ana).strip() == "Dear Mo, Ana is due."
    assert body_text(ben).strip() == "Dear Jo, Ben is due."
    api.emails.send_with_template(
        TemplateAlias="notice", TemplateModel={"student": "Cy"}, From=SENDER, To="c@example.com"
    )
    assert body_text(sink.messages()[-1]).strip() == "Dear , Cy is due."


def test_an_unknown_template_is_judged_on_the_model_sent(sink: CaptureSink) -> None:
    client(sink).emails.send_with_template(
        TemplateAlias="lives-in-the-real-account",
        TemplateModel={"student": "Ana Lopez", "id": "S-1"},
        From=SENDER,
        To="a@example.com",
    )
    [message] = sink.messages()
    assert "template not rendered" in body_text(message)
    assert "Ana Lopez" in body_text(message) and "S-1" in body_text(message)
    assert json.loads(message.evidence)["template"]["rendered"] is False


def test_attachments_and_headers_reach_the_message(sink: CaptureSink) -> None:
    content = base64.b64encode(b"a,b\n").decode()
    client(sink).emails.send(
        **one(
            Attachments=[{"Name": "x.csv", "Content": content, "ContentType": "text/csv"}],
            Headers={"X-Campaign": "flu"},
        )
    )
    [message] = sink.messages()
    [attachment] = list(parsed(message).iter_attachments())
    assert attachment.get_filename() == "x.csv"
    assert str(parsed(message)["X-Campaign"]) == "flu"


LOGO = base64.b64encode(b"\x89PNG fake logo").decode()


def test_every_documented_optional_field_from_the_sdk_is_accepted_and_visible(
    sink: CaptureSink,
) -> None:
    api = client(sink)
    answer = api.emails.send(
        From=f"Maple Grove <{SENDER}>",
        To="Ana's parent <ana.parent@example.com>",
        Cc="ana.guardian@example.com",
        Bcc="audit@school.example.org",
        Subject="Field trip",
        Tag="trips",
        HtmlBody='<p>Trip on Friday <img src="cid:logo.png"></p>',
        TextBody="Trip on Friday",
        ReplyTo="Front desk <desk@school.example.org>",
        Metadata={"family": "F-1"},
        Headers={"X-Campaign": "trip-7"},
        Attachments=[("logo.png", LOGO, "image/png", "cid:logo.png")],
        TrackOpens=True,
        TrackLinks="HtmlAndText",
        MessageStream="outbound",
    )
    assert answer["ErrorCode"] == 0
    template = api.templates.create(Name="trip", Subject="Trip for {{child}}",
                                    HtmlBody="<p>{{child}}</p>", TextBody="{{child}}")  # fmt: skip
    answer = api.emails.send_with_template(
        TemplateId=template.TemplateId,
        TemplateModel={"child": "Ben"},
        InlineCss=True,
        From=SENDER,
        To="ben.parent@example.com",
        ReplyTo="desk@school.example.org",
        Tag="trips",
        Headers={"X-Campaign": "trip-7"},
        TrackOpens=True,
        TrackLinks="HtmlOnly",
        Metadata={"family": "F-2"},
        MessageStream="outbound",
        Attachments=[("logo.png", LOGO, "image/png", "cid:logo.png")],
    )
    assert answer["ErrorCode"] == 0
    ana, ben = sink.messages()
    assert ana.rcpt_tos == (
        "ana.parent@example.com", "ana.guardian@example.com", "audit@school.example.org",
    )  # fmt: skip
    for message in (ana, ben):
        shown = parsed(message)
        [reply_to] = shown["Reply-To"].addresses
        assert reply_to.addr_spec == "desk@school.example.org"
        assert str(shown["X-Campaign"]) == "trip-7"
        [logo] = list(shown.iter_attachments())
        assert (logo.get_content_disposition(), str(logo["Content-ID"])) == (
            "inline",
            "<logo.png>",
        )
    assert str(parsed(ana)["Reply-To"]) == "Front desk <desk@school.example.org>"
    assert body_text(ben).strip() == "Ben"
    assert json.loads(ana.evidence)["Metadata"] == {"family": "F-1"}


def test_every_documented_optional_field_as_raw_json_is_accepted_in_a_batch(
    sink: CaptureSink,
) -> None:
    item = one(
        Cc="c@example.com",
        Bcc="d@example.com",
        Tag="trips",
        HtmlBody="<p>hello</p>",
        ReplyTo="desk@school.example.org, office@school.example.org",
        Headers=[{"Name": "X-Campaign", "Value": "trip-7"}],
        TrackOpens=True,
        TrackLinks="TextOnly",
        Metadata={"family": "F-1"},
        MessageStream="outbound",
        Attachments=[{"Name": "logo.png", "Content": LOGO, "ContentType": "image/png",
                      "ContentID": "cid:logo.png"}],
    )  # fmt: skip
    got, answers, _ = post(sink.api_urls["postmark"] + "/email/batch", [item, item], TOKEN)
    assert got == 200 and [a["ErrorCode"] for a in answers] == [0, 0]
    for message in sink.messages():
        shown = parsed(message)
        assert [a.addr_spec for a in shown["Reply-To"].addresses] == [
            "desk@school.example.org",
            "office@school.example.org",
        ]
        assert str(shown["X-Campaign"]) == "trip-7"


BAD: dict[str, tuple[str, Any, dict[str, str], int, int]] = {
    "malformed JSON": ("/email", b'{"From": ', {}, 422, 402),
    "wrong content type": ("/email", one(), {"Content-Type": "text/plain"}, 415, 409),
    "missing token": ("/email", one(), {"X-Postmark-Server-Token": ""}, 401, 10),
    "no recipients": ("/email", one(To=""), {}, 422, 300),
    "no body": ("/email", one(TextBody=None), {}, 422, 300),
    "51 recipients": ("/email", one(To=", ".join(f"r{i}@example.com" for i in range(51))),
                      {}, 422, 300),
    "invalid base64": ("/email", one(Attachments=[{"Name": "a", "Content": "!!",
                                                   "ContentType": "text/plain"}]), {}, 422, 300),
    "501 batch messages": ("/email/batch", [one()] * 501, {}, 422, 410),
    "batch not a list": ("/email/batch", one(), {}, 422, 402),
    "no template": ("/email/withTemplate", one(), {}, 422, 1101),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gets_postmarks_answer_and_nothing_is_stored(
    sink: CaptureSink, case: str
) -> None:
    path, body, extra, status, code = BAD[case]
    base = sink.api_urls["postmark"]
    got, answer, _ = post(base + path, body, {**TOKEN, **extra})
    assert got == status
    assert answer["ErrorCode"] == code and answer["Message"]
    assert sink.messages() == []
    [refusal] = sink.refusals()
    assert (refusal.front_door, refusal.stage, refusal.reply[:3]) == (
        "postmark",
        "request",
        str(status),
    )
    assert post(base + "/email", one(), TOKEN)[0] == 200  # the door keeps serving
    assert len(sink.messages()) == 1


def test_the_sdk_sees_postmarks_error() -> None:
    with CaptureSink(api=[Postmark(token="right")]) as sink:
        with pytest.raises(ClientError) as refused:
            client(sink).emails.send(**one())  # its token is not the sink's
        assert refused.value.error_code == 10
        assert sink.messages() == []


def attachment_of(size: int) -> dict[str, str]:
    """An attachment whose base64 form, as sent, is `size` bytes long."""
    content = base64.b64encode(b"x" * (size // 4 * 3)).decode()
    return {"Name": "scan.pdf", "Content": content, "ContentType": "application/pdf"}


def test_a_message_over_10_mb_is_refused_alone(sink: CaptureSink) -> None:
    limit = 10 * 1024 * 1024
    under, over = attachment_of(limit - 4096), attachment_of(limit)
    base = sink.api_urls["postmark"]
    got, answer, _ = post(base + "/email", one(Attachments=[over]), TOKEN)
    assert (got, answer["ErrorCode"]) == (422, 300) and "10 MB" in answer["Message"]
    assert sink.messages() == []
    # In a batch, only the item over the limit is refused; a message just under it is sent.
    got, answers, _ = post(
        base + "/email/batch",
        [one(To="a@example.com", Attachments=[over]), one(To="b@example.com", Attachments=[under])],
        TOKEN,
    )
    assert got == 200 and [a["ErrorCode"] for a in answers] == [300, 0]
    assert [m.rcpt_tos for m in sink.messages()] == [("b@example.com",)]


@pytest.mark.parametrize("field", ["TextBody", "HtmlBody"])
def test_a_body_over_5_mb_is_refused(sink: CaptureSink, field: str) -> None:
    limit = 5 * 1024 * 1024
    base = sink.api_urls["postmark"]
    got, answer, _ = post(base + "/email", one(**{field: "é" * (limit // 2 + 1)}), TOKEN)
    assert (got, answer["ErrorCode"]) == (422, 300) and field in answer["Message"]
    assert post(base + "/email", one(**{field: "é" * (limit // 2 - 64)}), TOKEN)[0] == 200
    assert len(sink.messages()) == 1
