"""A pipeline built on Django's mail API (django.core.mail), run as a `cmd:` adapter:

    mailharness run --adapter "cmd:.venv/bin/python examples/senders/django_sender.py"

One EmailMultiAlternatives per (guardian address, student), sent over one connection.

    --bug to-list   the classic mistake: one send_mail() with every guardian in the
                    recipient list, so every parent sees every other parent's address
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import django
from django.conf import settings
from django.core import mail

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, choose_sends, smtp_address


def configure() -> None:
    host, port = smtp_address()
    settings.configure(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=host,
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=60,
    )
    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["to-list"])
    args = parser.parse_args()
    configure()
    inputs = Inputs.from_environment()
    campaign = inputs.campaign
    sends = choose_sends(inputs)
    if args.bug == "to-list":
        everyone = sorted({send.contact["email"] for send in sends})
        mail.send_mail(
            f"Action needed: {campaign['kind']} records",
            "Dear families,\nPlease send the records the school asked for.\n",
            campaign["from"],
            everyone,
        )
        return 0
    messages = []
    for send in sends:
        fields = send.fields()
        message = mail.EmailMultiAlternatives(
            subject=campaign["subject"].format_map(fields),
            body=campaign["text"].format_map(fields),
            from_email=campaign["from"],
            to=[send.contact["email"]],
        )
        if campaign.get("html"):
            message.attach_alternative(campaign["html"].format_map(fields), "text/html")
        messages.append(message)
    with mail.get_connection() as connection:
        connection.send_messages(messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
