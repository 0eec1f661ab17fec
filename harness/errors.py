"""The one exception family for errors of the user's making.

The CLI turns every `HarnessError` into one line on stderr and exit code 2. Anything else
escaping is a bug in mailharness itself.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A bad roster, spec, template or setting: one clear line for the user."""


class RosterError(HarnessError):
    """A roster file that is not valid JSON or breaks the schema."""


class CampaignError(HarnessError):
    """A campaign or template the harness cannot render."""


class AdapterError(HarnessError):
    """The pipeline under test failed: unknown spec, crash, non-zero exit, timeout."""


class SinkError(HarnessError):
    """The capturing sink could not start or could not see the run (port in use, no mail)."""


class UsageError(HarnessError):
    """Options that cannot go together, or that the chosen mode does not take."""
