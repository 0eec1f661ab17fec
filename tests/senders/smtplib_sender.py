"""A vendor-style pipeline written against the `cmd:` contract alone (stdlib only).

Reads $MAILHARNESS_INPUT_DIR/{campaign.json,notices.csv,contacts.csv}, chooses recipients as
the oracle does, and sends one message per (recipient address, student) with smtplib to
$MAILHARNESS_SMTP_HOST:$MAILHARNESS_SMTP_PORT.

    --bug ignore-restricted   also mail contacts restricted for the student (a custody order)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import smtplib
import ssl
import sys
from email.message import EmailMessage
from pathlib import Path


def normalize(address: str) -> str:
    return address.strip().casefold()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def plan(
    notices: list[dict[str, str]], contacts: list[dict[str, str]], *, ignore_restricted: bool
) -> list[tuple[dict[str, str], str, dict[str, str]]]:
    """(notice, address, greeted contact row) for every copy to send."""
    by_student: dict[str, list[dict[str, str]]] = {}
    for row in contacts:
        by_student.setdefault(row["student_id"], []).append(row)
    sends = []
    for notice in notices:
        links = by_student.get(notice["student_id"], [])
        restricted = {
            normalize(row["email"])
            for row in links
            if row["email"].strip() and row["contact_restricted"] == "true"
        }
        chosen: dict[str, dict[str, str]] = {}
        for row in sorted(links, key=lambda r: r["contact_id"]):
            if not row["email"].strip() or row["receives_mail"] != "true":
                continue
            address = normalize(row["email"])
            if not ignore_restricted and (
                row["contact_restricted"] == "true" or address in restricted
            ):
                continue
            chosen.setdefault(address, row)
        for address in sorted(chosen):
            sends.append((notice, address, chosen[address]))
    return sends


def compose(
    campaign: dict[str, str], notice: dict[str, str], contact: dict[str, str]
) -> EmailMessage:
    fields = {
        "student_first_name": notice["first_name"],
        "student_last_name": notice["last_name"],
        "student_id": notice["student_id"],
        "school": notice["school"],
        "grade": notice["grade"],
        "detail": notice["detail"],
        "contact_first_name": contact["first_name"],
        "contact_last_name": contact["last_name"],
    }
    message = EmailMessage()
    message["From"] = campaign["from"]
    message["To"] = contact["email"].strip()
    message["Subject"] = campaign["subject"].format(**fields)
    message.set_content(campaign["text"].format(**fields))
    if campaign.get("html") is not None:
        message.add_alternative(campaign["html"].format(**fields), subtype="html")
    return message


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["ignore-restricted"])
    args = parser.parse_args()

    input_dir = Path(os.environ["MAILHARNESS_INPUT_DIR"])
    campaign = json.loads((input_dir / "campaign.json").read_text(encoding="utf-8"))
    notices = read_csv(input_dir / "notices.csv")
    contacts = read_csv(input_dir / "contacts.csv")
    sends = plan(notices, contacts, ignore_restricted=args.bug == "ignore-restricted")

    host = os.environ["MAILHARNESS_SMTP_HOST"]
    port = int(os.environ["MAILHARNESS_SMTP_PORT"])
    with smtplib.SMTP(host, port, timeout=60) as client:
        if os.environ.get("MAILHARNESS_SMTP_TLS") == "starttls":
            # Verify the sink's (self-signed) certificate with the CA file the contract gives.
            cafile = os.environ.get("MAILHARNESS_SMTP_CAFILE")
            client.starttls(context=ssl.create_default_context(cafile=cafile))
        if "MAILHARNESS_SMTP_USER" in os.environ:
            client.login(
                os.environ["MAILHARNESS_SMTP_USER"], os.environ.get("MAILHARNESS_SMTP_PASSWORD", "")
            )
        for notice, address, contact in sends:
            client.send_message(compose(campaign, notice, contact), campaign["from"], [address])
    print(f"sent {len(sends)} messages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
