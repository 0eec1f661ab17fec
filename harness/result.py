"""What one run found: the model the reports and the command line read.

Plain values: at run time this module imports only the delivery matrix (a plain value of the
oracle's), so reading, building or rendering a report never loads the sink or its SMTP server
(aiosmtpd). `runner.run_once` and
`mailharness check` fill it; `report.json_report` turns it into report.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.oracle.matrix import DeliveryMatrix

if TYPE_CHECKING:
    from harness.adapters.base import AdapterOutcome
    from harness.oracle.checks import Violation
    from harness.oracle.plan import Plan

__all__ = ["RunResult"]


@dataclass
class RunResult:
    plan: Plan
    outcome: AdapterOutcome
    violations: list[Violation]
    messages: int
    copies: int
    recipients: int
    connections: int
    timings: dict[str, float] = field(default_factory=dict)
    refusals: int = 0  # commands the sink answered with an injected fault
    # message seq -> the headers people read (From, To, Subject...), for flagged messages
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    # Copies per (recipient, student), allowed or not, and address-header shapes.
    matrix: DeliveryMatrix = field(default_factory=DeliveryMatrix)

    @property
    def passed(self) -> bool:
        return not self.violations
