"""`--adapter external`: nothing is run; a pipeline configured by hand sends to the sink.

The runner waits for its first message and judges once the sink has been idle; `send` only
leaves the pipeline's input (the `cmd:` contract's files) where a person can load it.
"""

from __future__ import annotations

from pathlib import Path

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.roster.campaign import Campaign
from harness.roster.model import Roster


class ExternalAdapter:
    spec = "external"

    def __init__(self, input_dir: Path | None = None) -> None:
        self.input_dir = input_dir

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        notes = [f"a pipeline configured by hand sends to {smtp.host}:{smtp.port}"]
        notes += [f"or through the {name} API at {url}" for name, url in smtp.api]
        if self.input_dir is not None:
            from harness.adapters.contract_input import write_input_dir

            self.input_dir.mkdir(parents=True, exist_ok=True)
            write_input_dir(self.input_dir, roster, campaign)
            notes.append(f"its input: {self.input_dir}")
        return AdapterOutcome(spec=self.spec, notes=notes)
