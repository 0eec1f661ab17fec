"""A pipeline that sends through Postmark's batch API with the postmarker client (PyPI:
postmarker), run as a `cmd:` adapter:

    mailharness run --adapter "cmd:python examples/senders/postmark_sender.py"

The one line a vendor changes to test against mailharness is the client's root URL:

    PostmarkClient(server_token=token, root_api_url=os.environ["MAILHARNESS_POSTMARK_URL"])

One message per (guardian address, student), sent in batches of up to 500; a batch answers
200 with an ErrorCode per item, so the items that failed (and only those) are retried.

    --bug resend-batch   a whole batch is sent again when one of its items failed: every
                         family whose item had gone through gets its notice twice
"""

from __future__ import annotations

import argparse
import os
import sys
from email.utils import formataddr
from pathlib import Path
from typing import Any

from postmarker.core import PostmarkClient

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, Send, choose_sends

PER_BATCH = 500  # Postmark's limit of messages per batch
ATTEMPTS = 3


def message(send: Send, campaign: dict[str, str]) -> dict[str, Any]:
    fields = send.fields()
    name = f"{send.contact['first_name']} {send.contact['last_name']}"
    item = {
        "From": campaign["from"],
        "To": formataddr((name, send.contact["email"])),
        "Subject": campaign["subject"].format_map(fields),
        "TextBody": campaign["text"].format_map(fields),
        "MessageStream": "outbound",
    }
    if campaign.get("html"):
        item["HtmlBody"] = campaign["html"].format_map(fields)
    return item


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["resend-batch"])
    args = parser.parse_args()
    inputs = Inputs.from_environment()
    client = PostmarkClient(
        server_token=os.environ.get("POSTMARK_SERVER_TOKEN", "mailharness"),
        root_api_url=os.environ["MAILHARNESS_POSTMARK_URL"],
    )
    messages = [message(send, inputs.campaign) for send in choose_sends(inputs)]
    if args.bug == "resend-batch" and messages:
        # A typo in one item's address, corrected on the retry (as a vendor's fix-up step might).
        messages[0]["To"] = messages[0]["To"].replace("@", " at ", 1)
    for start in range(0, len(messages), PER_BATCH):
        pending = messages[start : start + PER_BATCH]
        for _ in range(ATTEMPTS):
            answers = client.emails.send_batch(*pending)
            failed = [m for m, a in zip(pending, answers, strict=True) if a["ErrorCode"] != 0]
            if not failed:
                break
            for item in failed:
                item["To"] = item["To"].replace(" at ", "@", 1)
            pending = pending if args.bug == "resend-batch" else failed
        else:
            print(f"Postmark refused {len(failed)} messages: {answers[0]}", file=sys.stderr)
            return 1
    print(f"sent {len(messages)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
