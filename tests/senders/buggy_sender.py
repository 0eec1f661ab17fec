"""A vendor pipeline with one bug each, written against the `cmd:` contract alone (stdlib
only, apart from the bug zoo), for proving that the search shrinks through a subprocess.

Reads $MAILHARNESS_INPUT_DIR/{campaign.json,notices.csv,contacts.csv} and sends one plain
message per (student, chosen address) with smtplib to $MAILHARNESS_SMTP_HOST:PORT.

    --bug restricted     mails contacts under a custody or no-contact order as well
    --bug receives-mail  mails contacts whose link says they receive no mail
    --bug join-shift     renders notices for ASCII names first and non-ASCII names after them
                         (a "fallback" queue), but takes recipients in roster order and pairs
                         the two lists by position: a non-ASCII name before another student
                         shifts every later notice onto the wrong family
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def addresses(links: list[dict[str, str]], bug: str | None) -> list[tuple[str, dict[str, str]]]:
    """(address, greeted contact) for one student's contacts that hear of it (with `bug`)."""
    restricted = {row["email"].strip().casefold() for row in links
                  if row["email"].strip() and row["contact_restricted"] == "true"}  # fmt: skip
    chosen: dict[str, dict[str, str]] = {}
    for row in sorted(links, key=lambda r: r["contact_id"]):
        address = row["email"].strip().casefold()
        if not address:
            continue
        if row["receives_mail"] != "true" and bug != "receives-mail":
            continue
        if (row["contact_restricted"] == "true" or address in restricted) and bug != "restricted":
            continue
        chosen.setdefault(address, row)
    return sorted(chosen.items())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["restricted", "receives-mail", "join-shift"])
    bug = parser.parse_args().bug
    directory = Path(os.environ["MAILHARNESS_INPUT_DIR"])
    campaign = json.loads((directory / "campaign.json").read_text(encoding="utf-8"))
    notices = rows(directory / "notices.csv")
    links_of: dict[str, list[dict[str, str]]] = {}
    for row in rows(directory / "contacts.csv"):
        links_of.setdefault(row["student_id"], []).append(row)

    recipients = [addresses(links_of.get(n["student_id"], []), bug) for n in notices]
    rendered = notices
    if bug == "join-shift":
        ascii_names = [n for n in notices if (n["first_name"] + n["last_name"]).isascii()]
        rendered = ascii_names + [n for n in notices if n not in ascii_names]

    sent = 0
    host, port = os.environ["MAILHARNESS_SMTP_HOST"], int(os.environ["MAILHARNESS_SMTP_PORT"])
    with smtplib.SMTP(host, port, timeout=60) as client:
        for notice, to in zip(rendered, recipients, strict=True):
            for address, contact in to:
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
                message["To"] = address
                message["Subject"] = campaign["subject"].format_map(fields)
                message.set_content(campaign["text"].format_map(fields))
                client.send_message(message, campaign["from"], [address])
                sent += 1
    print(f"sent {sent} messages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
