"""A pipeline built on the `mailmerge` command-line tool (PyPI: mailmerge), run as a `cmd:`
adapter:

    mailharness run --adapter "cmd:.venv/bin/python examples/senders/mailmerge_sender.py"

It writes what mailmerge reads -- a Jinja2 template, a CSV database with one row per copy, a
server config -- from the campaign input, then runs `mailmerge --no-limit --no-dry-run`.

    --bug every-contact   the database is built from every contact row with an email,
                          ignoring receives_mail and custody restrictions
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, choose_sends, smtp_address

FIELDS = (
    "student_first_name",
    "student_last_name",
    "student_id",
    "school",
    "grade",
    "detail",
    "contact_first_name",
    "contact_last_name",
)


def jinja(template: str) -> str:
    """A str.format template as a Jinja2 one: {field} becomes {{field}}."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal.replace("{", "{{ '{' }}").replace("}", "{{ '}' }}"))
        if field is not None:
            out.append("{{" + field + "}}")
    return "".join(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=["every-contact"])
    args = parser.parse_args()
    inputs = Inputs.from_environment()
    campaign = inputs.campaign
    sends = choose_sends(inputs, every_contact=args.bug == "every-contact")
    host, port = smtp_address()
    work = Path(tempfile.mkdtemp(prefix="mailmerge-"))
    try:
        (work / "mailmerge_template.txt").write_text(
            f"TO: {{{{email}}}}\nFROM: {campaign['from']}\n"
            f"SUBJECT: {jinja(campaign['subject'])}\n\n{jinja(campaign['text'])}\n",
            encoding="utf-8",
        )
        with (work / "mailmerge_database.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["email", *FIELDS])
            writer.writeheader()
            for send in sends:
                writer.writerow({"email": send.contact["email"], **send.fields()})
        (work / "mailmerge_server.conf").write_text(
            f"[smtp_server]\nhost = {host}\nport = {port}\nsecurity = Never\nratelimit = 0\n",
            encoding="utf-8",
        )
        mailmerge = shutil.which("mailmerge") or str(Path(sys.executable).parent / "mailmerge")
        result = subprocess.run(
            [mailmerge, "--no-limit", "--no-dry-run", "--output-format", "text"],
            cwd=work,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
        return result.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
