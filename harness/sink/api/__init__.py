"""Email providers' HTTP APIs served by the sink beside SMTP (see docs/frontdoors.md)."""

from __future__ import annotations

from harness.sink.api.core import Provider


def default_providers() -> list[Provider]:
    """A fresh front door for every provider the sink emulates."""
    from harness.sink.api.mailgun import Mailgun
    from harness.sink.api.postmark import Postmark
    from harness.sink.api.sendgrid import SendGrid
    from harness.sink.api.ses import SES

    return [SendGrid(), Postmark(), Mailgun(), SES()]
