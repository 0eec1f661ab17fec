"""A pipeline that sends through SendGrid's v3 Mail Send API with SendGrid's own Python SDK
(PyPI: sendgrid), run as a `cmd:` adapter:

    mailharness run --adapter "cmd:python examples/senders/sendgrid_sender.py"

The one line a vendor changes to test against mailharness is the client's host:

    SendGridAPIClient(api_key, host=os.environ["MAILHARNESS_SENDGRID_URL"])

One personalization per (guardian address, student), the notice's fields as that
personalization's substitutions, up to 1,000 personalizations per call.

    --bug shared-personalization   every guardian of a school in one personalization's `to`:
                                   one message that shows every family to every family
"""

from __future__ import annotations

import argparse
import os
import string
import sys
from pathlib import Path
from typing import Any

from sendgrid import SendGridAPIClient

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, Send, choose_sends

PER_CALL = 1000  # SendGrid's limit of personalizations per request


def tokens(template: str) -> str:
    """A str.format template with SendGrid substitution tags: {school} becomes -school-."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(f"-{field}-")
    return "".join(out)


def personalization(send: Send, campaign: dict[str, str]) -> dict[str, Any]:
    fields = send.fields()
    name = f"{send.contact['first_name']} {send.contact['last_name']}"
    return {
        "to": [{"email": send.contact["email"], "name": name}],
        "subject": campaign["subject"].format_map(fields),
        "substitutions": {f"-{key}-": value for key, value in fields.items()},
    }


def shared(sends: list[Send]) -> list[dict[str, Any]]:
    """The bug: one personalization per school, every guardian in its `to`."""
    by_school: dict[str, dict[str, str]] = {}
    for send in sends:
        by_school.setdefault(send.notice["school"], {}).setdefault(
            send.address, send.contact["email"]
        )
    return [
        {"to": [{"email": e} for e in addresses.values()], "subject": f"Action needed at {school}"}
        for school, addresses in sorted(by_school.items())
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["shared-personalization"])
    args = parser.parse_args()
    inputs = Inputs.from_environment()
    campaign = inputs.campaign
    sends = choose_sends(inputs)
    client = SendGridAPIClient(
        os.environ.get("SENDGRID_API_KEY", "SG.mailharness"),
        host=os.environ["MAILHARNESS_SENDGRID_URL"],
    )
    if args.bug == "shared-personalization":
        personalizations = shared(sends)
        content = [{"type": "text/plain", "value": "Dear families,\n\nPlease check your "
                    "child's records before the deadline.\n"}]  # fmt: skip
    else:
        personalizations = [personalization(send, campaign) for send in sends]
        content = [{"type": "text/plain", "value": tokens(campaign["text"])}]
        if campaign.get("html"):
            content.append({"type": "text/html", "value": tokens(campaign["html"])})
    for start in range(0, len(personalizations), PER_CALL):
        body = {
            "personalizations": personalizations[start : start + PER_CALL],
            "from": {"email": campaign["from"]},
            "content": content,
        }
        response = client.client.mail.send.post(request_body=body)
        if response.status_code != 202:
            print(f"SendGrid answered {response.status_code}: {response.body!r}", file=sys.stderr)
            return 1
    print(f"sent {len(personalizations)} personalizations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
