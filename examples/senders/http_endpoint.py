"""A vendor's web endpoint for the `http:` adapter, stdlib only: it takes the posted campaign
input, chooses recipients, sends one message per (guardian address, student) through the SMTP
server named in the post, and answers 200 once everything is sent.

    .venv/bin/python examples/senders/http_endpoint.py --port 8025 &
    mailharness run --adapter http:http://127.0.0.1:8025/send

    --bug every-contact   mail every contact with an email, flags ignored
"""

from __future__ import annotations

import argparse
import json
import smtplib
import sys
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from contract import Inputs, choose_sends


def send_campaign(document: dict[str, Any], *, every_contact: bool = False) -> int:
    inputs = Inputs.from_document(document)
    campaign, smtp = inputs.campaign, document["smtp"]
    sends = choose_sends(inputs, every_contact=every_contact)
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=60) as client:
        for send in sends:
            fields = send.fields()
            message = EmailMessage()
            message["From"] = campaign["from"]
            message["To"] = send.contact["email"]
            message["Subject"] = campaign["subject"].format_map(fields)
            message.set_content(campaign["text"].format_map(fields))
            client.send_message(message)
    return len(sends)


def make_handler(*, every_contact: bool = False) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            document = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            sent = send_campaign(document, every_contact=every_contact)
            body = json.dumps({"sent": sent}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--bug", choices=["every-contact"])
    args = parser.parse_args()
    handler = make_handler(every_contact=args.bug == "every-contact")
    with ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
