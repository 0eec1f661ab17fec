"""A pipeline that sends through Mailgun's Messages API with `requests`, as Mailgun's own docs
show, run as a `cmd:` adapter:

    mailharness run --adapter "cmd:python examples/senders/mailgun_sender.py"

The one line a vendor changes to test against mailharness is the API's base URL:

    base = os.environ["MAILHARNESS_MAILGUN_URL"]  # was https://api.mailgun.net

Batch sending: up to 1,000 recipients per call, each `to` with its own recipient-variables,
so every family gets a message that shows only its own address, with its notice filled in
from `%recipient.NAME%`. Variables are keyed by address, so an address (a guardian of two
siblings) is in a call at most once: its second notice goes in the next call.

    --bug no-recipient-variables   the same calls without recipient-variables: one message
                                   whose To shows every guardian of the student's school
"""

from __future__ import annotations

import argparse
import json
import os
import string
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, Send, choose_sends

PER_CALL = 1000  # Mailgun's limit of recipients per call
DOMAIN = "mg.district.example.org"


def tokens(template: str) -> str:
    """A str.format template with Mailgun's recipient variables: {school} -> %recipient.school%."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(f"%recipient.{field}%")
    return "".join(out)


def calls(sends: list[Send], bug: bool) -> list[list[Send]]:
    """Correct: each call a batch of copies; the bug: one call per school, no variables."""
    if bug:
        by_school: dict[str, dict[str, Send]] = {}
        for send in sends:
            by_school.setdefault(send.notice["school"], {}).setdefault(send.address, send)
        return [list(group.values()) for _, group in sorted(by_school.items())]
    batches: list[dict[str, Send]] = []
    for send in sends:
        for batch in batches:
            if len(batch) < PER_CALL and send.address not in batch:
                batch[send.address] = send
                break
        else:
            batches.append({send.address: send})
    return [list(batch.values()) for batch in batches]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["no-recipient-variables"])
    args = parser.parse_args()
    inputs = Inputs.from_environment()
    campaign = inputs.campaign
    base = os.environ["MAILHARNESS_MAILGUN_URL"]
    auth = ("api", os.environ.get("MAILGUN_API_KEY", "key-mailharness"))
    sent = 0
    for batch in calls(choose_sends(inputs), args.bug is not None):
        data: dict[str, object] = {
            "from": campaign["from"],
            "to": [send.contact["email"] for send in batch],
            "subject": tokens(campaign["subject"]),
            "text": tokens(campaign["text"]),
        }
        if args.bug:
            data["subject"] = f"Action needed: {campaign['kind']} records"
            data["text"] = "Dear families,\n\nPlease check your child's records.\n"
        else:
            data["recipient-variables"] = json.dumps(
                {send.contact["email"]: send.fields() for send in batch}, ensure_ascii=False
            )
            if campaign.get("html"):
                data["html"] = tokens(campaign["html"])
        response = requests.post(f"{base}/v3/{DOMAIN}/messages", auth=auth, data=data, timeout=60)
        if response.status_code != 200:
            print(f"Mailgun answered {response.status_code}: {response.text}", file=sys.stderr)
            return 1
        sent += len(batch)
    print(f"sent {sent} notices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
