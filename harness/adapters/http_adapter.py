"""`http:URL`: the pipeline is a vendor's web endpoint. The harness POSTs the campaign input
as one JSON document -- campaign, notices, contacts, roster (the cmd contract's files, as
JSON) and `smtp` (where to send) -- and the endpoint sends to the sink before it answers.

Any 2xx answer means done; anything else, a refused connection or a timeout is an
AdapterError, never a pass.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.contract_input import input_document
from harness.errors import AdapterError
from harness.roster.campaign import Campaign
from harness.roster.model import Roster

RESPONSE_LIMIT = 64 * 1024


class HttpAdapter:
    def __init__(self, spec: str, url: str, timeout: float = 300.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AdapterError(
                f"adapter spec {spec!r}: expected http:URL with an http(s) URL, "
                "e.g. http:http://127.0.0.1:8000/send"
            )
        self._spec, self.url, self.timeout = spec, url, timeout

    @property
    def spec(self) -> str:
        return self._spec

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        document = input_document(roster, campaign)
        document["smtp"] = smtp_document(smtp)
        request = urllib.request.Request(
            self.url,
            data=json.dumps(document, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "mailharness"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(RESPONSE_LIMIT).decode("utf-8", "replace")
                return AdapterOutcome(spec=self.spec, exit_code=response.status, stdout=body)
        except urllib.error.HTTPError as exc:
            body = exc.read(RESPONSE_LIMIT).decode("utf-8", "replace")
            first = body.strip().splitlines()[0] if body.strip() else exc.reason
            raise AdapterError(f"adapter {self.spec} answered {exc.code}: {first}") from None
        except TimeoutError:
            raise AdapterError(f"adapter {self.spec} timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise AdapterError(
                    f"adapter {self.spec} timed out after {self.timeout:g} s"
                ) from None
            raise AdapterError(
                f"adapter {self.spec}: cannot reach {self.url}: {exc.reason}"
            ) from None


def smtp_document(smtp: SmtpTarget) -> dict[str, Any]:
    document: dict[str, Any] = {"host": smtp.host, "port": smtp.port, "tls": smtp.tls}
    if smtp.user is not None:
        document["user"] = smtp.user
        document["password"] = smtp.password
    if smtp.api:
        document["api"] = dict(smtp.api)  # provider -> the base URL of its front door
    return document
