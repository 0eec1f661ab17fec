"""A pipeline that sends through Amazon SES (API v2) with boto3, run as a `cmd:` adapter:

    mailharness run --adapter "cmd:python examples/senders/ses_sender.py"

Nothing in it changes to test against mailharness: boto3 reads the endpoint from
AWS_ENDPOINT_URL_SESV2 (and AWS_ENDPOINT_URL_SES for the v1 `ses` client), which mailharness
sets, with a region and dummy credentials. Outside the harness the same line is:

    boto3.client("sesv2", endpoint_url=os.environ["MAILHARNESS_SES_URL"])

The campaign becomes an SES template (Handlebars; triple braces in the text part, which SES
would otherwise HTML-escape), and every (guardian address, student) one entry of a bulk send,
50 entries per call, each with its own replacement data.

    --bug bulk-shift       the entries' destinations sorted by address, their replacement data
                           by student id, joined by position: families get each other's notices
    --bug raw-bcc-header   one raw message per school, routed by Destinations, with every
                           guardian written in a Bcc header that travels with the message
"""

from __future__ import annotations

import argparse
import json
import string
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, Send, choose_sends

PER_CALL = 50  # SES: destinations per bulk call, recipients per message


def handlebars(template: str, *, escape: bool) -> str:
    """A str.format template as Handlebars: {school} -> {{school}} (or {{{school}}})."""
    opening, closing = ("{{", "}}") if escape else ("{{{", "}}}")
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(f"{opening}{field}{closing}")
    return "".join(out)


def entries(sends: list[Send], shifted: bool) -> list[dict[str, Any]]:
    data = [send.fields() for send in sends]
    if shifted:  # the bug: two lists sorted two ways, joined by position
        sends = sorted(sends, key=lambda s: s.address)
        data = sorted(data, key=lambda d: d["student_id"])
    return [
        {
            "Destination": {"ToAddresses": [send.contact["email"]]},
            "ReplacementEmailContent": {
                "ReplacementTemplate": {
                    "ReplacementTemplateData": json.dumps(fields, ensure_ascii=False)
                }
            },
        }
        for send, fields in zip(sends, data, strict=True)
    ]


def raw_bcc(client: Any, sends: list[Send], campaign: dict[str, str]) -> int:
    by_school: dict[str, dict[str, str]] = {}
    for send in sends:
        by_school.setdefault(send.notice["school"], {})[send.address] = send.contact["email"]
    for school, addresses in sorted(by_school.items()):
        emails = list(addresses.values())
        for start in range(0, len(emails), PER_CALL):
            group = emails[start : start + PER_CALL]
            message = EmailMessage()
            message["From"] = campaign["from"]
            message["To"] = campaign["from"]
            message["Bcc"] = ", ".join(group)
            message["Subject"] = f"Action needed: {campaign['kind']} records at {school}"
            message.set_content("Dear families,\n\nPlease check your child's records.\n")
            client.send_raw_email(Destinations=group, RawMessage={"Data": bytes(message)})
    return len(sends)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["bulk-shift", "raw-bcc-header"])
    args = parser.parse_args()
    inputs = Inputs.from_environment()
    campaign = inputs.campaign
    sends = choose_sends(inputs)
    if args.bug == "raw-bcc-header":
        print(f"sent {raw_bcc(boto3.client('ses'), sends, campaign)} notices")
        return 0
    client = boto3.client("sesv2")
    name = f"notice-{campaign['id']}-{uuid.uuid4().hex[:8]}"  # template names are per account
    content = {
        "Subject": handlebars(campaign["subject"], escape=False),
        "Text": handlebars(campaign["text"], escape=False),
    }
    if campaign.get("html"):
        content["Html"] = handlebars(campaign["html"], escape=True)
    client.create_email_template(TemplateName=name, TemplateContent=content)
    bulk = entries(sends, shifted=args.bug == "bulk-shift")
    for start in range(0, len(bulk), PER_CALL):
        answer = client.send_bulk_email(
            FromEmailAddress=campaign["from"],
            DefaultContent={"Template": {"TemplateName": name, "TemplateData": "{}"}},
            BulkEmailEntries=bulk[start : start + PER_CALL],
        )
        failed = [r for r in answer["BulkEmailEntryResults"] if r["Status"] != "SUCCESS"]
        if failed:
            print(f"SES refused {len(failed)} entries: {failed[:3]}", file=sys.stderr)
            return 1
    print(f"sent {len(bulk)} notices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
