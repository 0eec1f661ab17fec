"""The Amazon SES front door, driven with boto3's `ses` (v1, Query) and `sesv2` (v2, REST)
clients, unchanged but for the endpoint: what SES delivers, and how it refuses bad input."""

from __future__ import annotations

import email
import json
from email.policy import default as default_policy
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink
from tests.api.conftest import post

SENDER = "office@school.example.org"


def client(sink: CaptureSink, version: str = "ses") -> Any:
    return boto3.client(
        version,
        endpoint_url=sink.api_urls["ses"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def parsed(message: CapturedMessage) -> Any:
    return email.message_from_bytes(message.raw, policy=default_policy)


def text_of(message: CapturedMessage) -> str:
    body = parsed(message).get_body(("plain", "html"))
    return str(body.get_content()) if body is not None else ""


def shown(message: CapturedMessage, header: str) -> list[str]:
    value = parsed(message)[header]
    return [a.addr_spec for a in value.addresses] if value is not None else []


THREE = ["a@example.com", "b@example.com", "c@example.com"]


def test_v1_send_email_to_three_is_one_message_shown_to_all_three(sink: CaptureSink) -> None:
    answer = client(sink).send_email(
        Source=SENDER,
        Destination={"ToAddresses": THREE, "BccAddresses": ["audit@example.net"]},
        Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "hello"}}},
    )
    assert answer["MessageId"]
    [message] = sink.messages()
    assert [c.recipient for c in message.copies()] == [*THREE, "audit@example.net"]
    assert shown(message, "To") == THREE
    assert parsed(message)["Bcc"] is None  # blind copies are in the envelope only
    assert message.front_door == "ses"
    assert json.loads(message.evidence)["bcc"] == ["audit@example.net"]


def test_v2_send_email_simple_is_the_same(sink: CaptureSink) -> None:
    answer = client(sink, "sesv2").send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": THREE[:1], "CcAddresses": THREE[1:]},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Html": {"Data": "<p>x</p>"}}}},
    )
    assert answer["MessageId"]
    [message] = sink.messages()
    assert message.rcpt_tos == tuple(THREE)
    assert (shown(message, "To"), shown(message, "Cc")) == (THREE[:1], THREE[1:])


RAW = (
    b"From: office@school.example.org\r\nTo: a@example.com\r\n"
    b"Bcc: b@example.com, c@example.com\r\nSubject: x\r\n\r\nhello\r\n"
)


@pytest.mark.parametrize("version", ["ses", "sesv2"])
def test_raw_email_is_routed_by_destinations_and_delivered_as_written(
    sink: CaptureSink, version: str
) -> None:
    if version == "ses":
        client(sink).send_raw_email(Destinations=["a@example.com"], RawMessage={"Data": RAW})
    else:
        client(sink, "sesv2").send_email(
            Destination={"ToAddresses": ["a@example.com"]}, Content={"Raw": {"Data": RAW}}
        )
    [message] = sink.messages()
    assert message.rcpt_tos == ("a@example.com",)  # the Bcc header routed nothing
    assert message.raw == RAW  # and it travels as written: SES documents no removal


def test_raw_email_without_destinations_is_routed_by_its_headers(sink: CaptureSink) -> None:
    client(sink).send_raw_email(RawMessage={"Data": RAW})
    [message] = sink.messages()
    assert message.rcpt_tos == tuple(THREE)
    assert json.loads(message.evidence)["routed_by_headers"] is True


def test_templates_are_rendered_with_handlebars_in_both_versions(sink: CaptureSink) -> None:
    v1, v2 = client(sink), client(sink, "sesv2")
    v1.create_template(
        Template={
            "TemplateName": "notice",
            "SubjectPart": "Records for {{child}}",
            "TextPart": "{{child}} is missing {{detail}}",
        }
    )
    assert v2.get_email_template(TemplateName="notice")["TemplateContent"]["Subject"] == (
        "Records for {{child}}"
    )
    v1.send_templated_email(
        Source=SENDER,
        Destination={"ToAddresses": ["a@example.com"]},
        Template="notice",
        TemplateData=json.dumps({"child": "Ann Lee", "detail": "Tdap"}),
    )
    v2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["b@example.com"]},
        Content={"Template": {"TemplateName": "notice", "TemplateData": '{"child": "Ben Roe"}'}},
    )
    ann, ben = sorted(sink.messages(), key=lambda m: m.rcpt_tos)
    assert (parsed(ann)["Subject"], text_of(ann).strip()) == (
        "Records for Ann Lee",
        "Ann Lee is missing Tdap",
    )
    assert parsed(ben)["Subject"] == "Records for Ben Roe"


def test_bulk_templated_sends_one_message_per_destination_with_its_own_data(
    sink: CaptureSink,
) -> None:
    v1 = client(sink)
    v1.create_template(
        Template={"TemplateName": "t", "SubjectPart": "For {{child}}", "TextPart": "{{child}}"}
    )
    answer = v1.send_bulk_templated_email(
        Source=SENDER,
        Template="t",
        DefaultTemplateData='{"child": "your child"}',
        Destinations=[
            {
                "Destination": {"ToAddresses": [address]},
                "ReplacementTemplateData": json.dumps({"child": child}),
            }
            for address, child in (("a@example.com", "Ann Lee"), ("b@example.com", "Ben Roe"))
        ],
    )
    assert [s["Status"] for s in answer["Status"]] == ["Success", "Success"]
    ann, ben = sorted(sink.messages(), key=lambda m: m.rcpt_tos)
    assert (ann.rcpt_tos, text_of(ann).strip()) == (("a@example.com",), "Ann Lee")
    assert (ben.rcpt_tos, text_of(ben).strip()) == (("b@example.com",), "Ben Roe")
    v2 = client(sink, "sesv2")
    results = v2.send_bulk_email(
        FromEmailAddress=SENDER,
        DefaultContent={"Template": {"TemplateName": "t", "TemplateData": "{}"}},
        BulkEmailEntries=[
            {
                "Destination": {"ToAddresses": ["c@example.com"]},
                "ReplacementEmailContent": {
                    "ReplacementTemplate": {"ReplacementTemplateData": '{"child": "Cara Diaz"}'}
                },
            }
        ],
    )["BulkEmailEntryResults"]
    assert [r["Status"] for r in results] == ["SUCCESS"]
    cara = max(sink.messages(), key=lambda m: m.seq)
    assert text_of(cara).strip() == "Cara Diaz"


def test_a_template_the_sink_never_got_is_judged_on_its_data(sink: CaptureSink) -> None:
    client(sink).send_templated_email(
        Source=SENDER,
        Destination={"ToAddresses": ["a@example.com"]},
        Template="only-in-the-real-account",
        TemplateData=json.dumps({"child": "Ann Lee"}),
    )
    [message] = sink.messages()
    assert "Ann Lee" in text_of(message)
    assert json.loads(message.evidence)["template"]["rendered"] is False


def bodies(message: CapturedMessage) -> dict[str, str]:
    """content type -> text of every body part of a message."""
    return {
        part.get_content_type(): str(part.get_content()).replace("\r\n", "\n")
        for part in parsed(message).walk()
        if part.get_content_maintype() == "text" and not part.get_filename()
    }


ARN = "arn:aws:ses:us-east-1:123456789012:identity/school.example.org"


def test_v1_every_documented_optional_field_is_accepted_and_visible(sink: CaptureSink) -> None:
    v1 = client(sink)
    optional = {
        "ReplyToAddresses": ["Front desk <desk@school.example.org>"],
        "ReturnPath": "bounces@school.example.org",
        "SourceArn": ARN,
        "ReturnPathArn": ARN,
        "Tags": [{"Name": "campaign", "Value": "trip-7"}],
        "ConfigurationSetName": "school-notices",
    }
    v1.send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["a@example.com"], "CcAddresses": ["b@example.com"],
                     "BccAddresses": ["audit@example.net"]},
        Message={
            "Subject": {"Data": "Sortie scolaire", "Charset": "UTF-8"},
            "Body": {"Text": {"Data": "Sortie vendredi", "Charset": "UTF-8"},
                     "Html": {"Data": "<p>Sortie vendredi</p>", "Charset": "ISO-8859-1"}},
        },
        **optional,
    )  # fmt: skip
    template = {"TemplateName": "trip", "SubjectPart": "Trip: {{child}}", "TextPart": "{{child}}"}
    v1.create_template(Template={**template, "HtmlPart": "<p>{{child}}</p>"})
    v1.send_templated_email(
        Source=SENDER,
        Destination={"ToAddresses": ["c@example.com"]},
        Template="trip",
        TemplateArn="arn:aws:ses:us-east-1:123456789012:template/trip",
        TemplateData='{"child": "Ana"}',
        **optional,
    )
    v1.send_bulk_templated_email(
        Source=SENDER,
        Template="trip",
        DefaultTemplateData='{"child": "your child"}',
        DefaultTags=[{"Name": "campaign", "Value": "trip-7"}],
        Destinations=[{"Destination": {"ToAddresses": ["d@example.com"]},
                       "ReplacementTags": [{"Name": "family", "Value": "F-4"}],
                       "ReplacementTemplateData": '{"child": "Dan"}'}],
        **{k: v for k, v in optional.items() if k != "Tags"},
    )  # fmt: skip
    v1.send_raw_email(
        Source=SENDER,
        Destinations=["e@example.com"],
        RawMessage={"Data": RAW},
        FromArn=ARN,
        SourceArn=ARN,
        ReturnPathArn=ARN,
        Tags=[{"Name": "campaign", "Value": "trip-7"}],
        ConfigurationSetName="school-notices",
    )
    simple, templated, bulk, raw = sorted(sink.messages(), key=lambda m: m.seq)
    assert [m.rcpt_tos[0] for m in (simple, templated, bulk, raw)] == [
        "a@example.com", "c@example.com", "d@example.com", "e@example.com",
    ]  # fmt: skip
    for message in (simple, templated, bulk):
        assert str(parsed(message)["Reply-To"]) == "Front desk <desk@school.example.org>"
    assert bodies(simple) == {"text/plain": "Sortie vendredi\n",
                              "text/html": "<p>Sortie vendredi</p>\n"}  # fmt: skip
    assert parsed(templated)["Subject"] == "Trip: Ana"
    assert text_of(bulk).strip() == "Dan"
    assert json.loads(simple.evidence)["tags"] == {"campaign": "trip-7"}


LOGO = b"\x89PNG fake logo"


def test_v2_every_documented_optional_field_is_accepted_and_visible(sink: CaptureSink) -> None:
    v2 = client(sink, "sesv2")
    optional: dict[str, Any] = {
        "FromEmailAddressIdentityArn": ARN,
        "ReplyToAddresses": ["Front desk <desk@school.example.org>"],
        "FeedbackForwardingEmailAddress": "bounces@school.example.org",
        "FeedbackForwardingEmailAddressIdentityArn": ARN,
        "ConfigurationSetName": "school-notices",
        "ListManagementOptions": {"ContactListName": "families", "TopicName": "trips"},
    }
    headers = [{"Name": "X-Campaign", "Value": "trip-7"}]
    attachments = [
        {"RawContent": b"%PDF-1.4 form", "FileName": "permission.pdf",
         "ContentType": "application/pdf", "ContentDisposition": "ATTACHMENT",
         "ContentDescription": "Permission form", "ContentTransferEncoding": "BASE64"},
        {"RawContent": LOGO, "FileName": "logo.png", "ContentType": "image/png",
         "ContentDisposition": "INLINE", "ContentId": "logo"},
    ]  # fmt: skip
    v2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["a@example.com"], "BccAddresses": ["audit@example.net"]},
        Content={"Simple": {
            "Subject": {"Data": "Field trip", "Charset": "UTF-8"},
            "Body": {"Text": {"Data": "Trip on Friday", "Charset": "UTF-8"},
                     "Html": {"Data": '<p>Trip <img src="cid:logo"></p>', "Charset": "UTF-8"}},
            "Headers": headers,
            "Attachments": attachments,
        }},
        EmailTags=[{"Name": "campaign", "Value": "trip-7"}],
        **optional,
    )  # fmt: skip
    v2.create_email_template(
        TemplateName="trip",
        TemplateContent={"Subject": "Trip: {{child}}", "Text": "{{child}}", "Html": "<p>x</p>"},
    )
    v2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["b@example.com"]},
        Content={"Template": {
            "TemplateArn": "arn:aws:ses:us-east-1:123456789012:template/trip",
            "TemplateData": '{"child": "Ben"}',
            "Headers": headers,
            "Attachments": attachments[:1],
        }},
        EmailTags=[{"Name": "campaign", "Value": "trip-7"}],
        **optional,
    )  # fmt: skip
    v2.send_bulk_email(
        FromEmailAddress=SENDER,
        DefaultContent={"Template": {"TemplateName": "trip", "TemplateData": "{}",
                                     "Headers": headers, "Attachments": attachments[:1]}},
        DefaultEmailTags=[{"Name": "campaign", "Value": "trip-7"}],
        BulkEmailEntries=[{
            "Destination": {"ToAddresses": ["c@example.com"]},
            "ReplacementTags": [{"Name": "family", "Value": "F-3"}],
            "ReplacementHeaders": [{"Name": "X-Family", "Value": "F-3"}],
            "ReplacementEmailContent": {
                "ReplacementTemplate": {"ReplacementTemplateData": '{"child": "Cy"}'}},
        }],
        **{k: v for k, v in optional.items() if k != "ListManagementOptions"},
    )  # fmt: skip
    simple, templated, bulk = sorted(sink.messages(), key=lambda m: m.seq)
    for message in (simple, templated, bulk):
        shown = parsed(message)
        assert str(shown["Reply-To"]) == "Front desk <desk@school.example.org>"
        assert str(shown["X-Campaign"]) == "trip-7"
        pdf = next(shown.iter_attachments())
        assert (pdf.get_filename(), pdf.get_content_disposition()) == (
            "permission.pdf",
            "attachment",
        )
        assert pdf.get_content() == b"%PDF-1.4 form"
    assert simple.rcpt_tos == ("a@example.com", "audit@example.net")
    assert bodies(simple)["text/plain"].strip() == "Trip on Friday"
    logo = list(parsed(simple).iter_attachments())[1]
    assert (logo.get_content_disposition(), str(logo["Content-ID"])) == ("inline", "<logo>")
    assert logo.get_content() == LOGO
    assert (parsed(templated)["Subject"], text_of(templated).strip()) == ("Trip: Ben", "Ben")
    assert (str(parsed(bulk)["X-Family"]), text_of(bulk).strip()) == ("F-3", "Cy")


def test_v2_raw_json_with_headers_and_attachments_is_accepted(sink: CaptureSink) -> None:
    body = {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": ["a@example.com"]},
        "ReplyToAddresses": ["desk@school.example.org"],
        "ConfigurationSetName": "school-notices",
        "EmailTags": [{"Name": "campaign", "Value": "trip-7"}],
        "Content": {"Simple": {
            "Subject": {"Data": "Trip"},
            "Body": {"Text": {"Data": "Trip on Friday"}},
            "Headers": [{"Name": "X-Campaign", "Value": "trip-7"}],
            "Attachments": [{"RawContent": "JVBERi0xLjQ=", "FileName": "permission.pdf"}],
        }},
    }  # fmt: skip
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=x"}
    status, answer, _ = post(sink.api_urls["ses"] + "/v2/email/outbound-emails", body, signed)
    assert status == 200 and answer["MessageId"]
    [message] = sink.messages()
    shown = parsed(message)
    assert (str(shown["X-Campaign"]), str(shown["Reply-To"])) == (
        "trip-7",
        "desk@school.example.org",
    )
    [pdf] = list(shown.iter_attachments())
    assert (pdf.get_content_type(), pdf.get_content()) == ("application/pdf", b"%PDF-1.4")


def test_v2_headers_are_the_ones_ses_allows(sink: CaptureSink) -> None:
    v2 = client(sink, "sesv2")
    content = {"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}},
                          "Headers": [{"Name": "Bad Name", "Value": "x"}]}}  # fmt: skip
    assert error(
        lambda: v2.send_email(
            FromEmailAddress=SENDER, Destination={"ToAddresses": ["a@example.com"]},
            Content=content,
        )
    ) == (400, "BadRequestException")  # fmt: skip
    assert sink.messages() == []


def error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_bad_input_is_refused_as_ses_refuses_it(sink: CaptureSink) -> None:
    v1, v2 = client(sink), client(sink, "sesv2")
    many = [f"p{i}@example.com" for i in range(51)]
    message = {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}
    assert error(
        lambda: v1.send_email(Source=SENDER, Destination={"ToAddresses": many}, Message=message)
    ) == (400, "InvalidParameterValue")
    assert error(lambda: v1.get_template(TemplateName="nope")) == (400, "TemplateDoesNotExist")
    assert error(lambda: v2.get_email_template(TemplateName="nope")) == (404, "NotFoundException")
    template = {"TemplateName": "dup", "SubjectPart": "x", "TextPart": "x"}
    v1.create_template(Template=template)
    assert error(lambda: v1.create_template(Template=template)) == (400, "AlreadyExists")
    assert error(
        lambda: v1.send_email(
            Source="not an address", Destination={"ToAddresses": ["a@example.com"]}, Message=message
        )
    ) == (400, "InvalidParameterValue")
    assert sink.messages() == []
    assert len(sink.refusals()) == 5
    assert {r.front_door for r in sink.refusals()} == {"ses"}


def test_unsigned_malformed_and_unknown_requests_are_refused(sink: CaptureSink) -> None:
    url = sink.api_urls["ses"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body, _ = post(url + "/", b"Action=SendEmail", form)
    assert status == 403 and b"MissingAuthenticationToken" in body
    signed = {**form, "Authorization": "AWS4-HMAC-SHA256 Credential=x"}
    status, body, _ = post(url + "/", b"Action=Nope", signed)
    assert status == 400 and b"InvalidAction" in body
    status, body, _ = post(url + "/", b"Action=SendRawEmail&RawMessage.Data=%%%", signed)
    assert status == 400
    status, body, headers = post(
        url + "/v2/email/outbound-emails",
        b"{not json",
        {"Authorization": "AWS4-HMAC-SHA256 Credential=x"},
    )
    assert (status, headers["x-amzn-ErrorType"]) == (400, "BadRequestException")
    assert sink.messages() == []
    assert len(sink.refusals()) == 4
