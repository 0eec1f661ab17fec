"""`check_pipeline`: one run judged, failing as an AssertionError that a person can read.

The public entry point for tests written without the command line: a vendor's pytest suite
(through the plugin's `check_pipeline` fixture), a Hypothesis `@given` test, or the stateful
machine. The adapter may be a spec string, an `Adapter`, or a plain function
`(roster, campaign, smtp) -> None`.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import shlex
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.adapters.base import Adapter, AdapterOutcome, SmtpTarget
from harness.oracle.checks import CHECKS, Violation
from harness.result import RunResult
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.sink.server import CaptureSink

__all__ = ["AdapterLike", "PipelineFailure", "as_adapter", "check_pipeline", "shared_sink"]

SendFunction = Callable[[Roster, Campaign, SmtpTarget], object]
AdapterLike = str | Adapter | SendFunction

# Adapter specs that `mailharness run --adapter` accepts again (a local function has none).
REPRODUCIBLE_FORMS = ("reference", "mutant", "python", "cmd", "http")
# How many violations the failure message spells out; the rest are counted.
LISTED_VIOLATIONS = 10
_ORDER = {spec.id: index for index, spec in enumerate(CHECKS)}


class PipelineFailure(AssertionError):
    """The pipeline broke at least one check. `result` holds every violation."""

    def __init__(self, message: str, result: RunResult, reproduce: str | None) -> None:
        super().__init__(message)
        self.result = result
        self.reproduce = reproduce

    @property
    def violations(self) -> list[Violation]:
        return self.result.violations


class FunctionAdapter:
    """A plain function `(roster, campaign, smtp)` as an adapter, errors and all."""

    def __init__(self, function: SendFunction) -> None:
        self.function = function
        self.spec = _function_spec(function)

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        from harness.adapters.python_adapter import call_sender

        return call_sender(self.spec, self.function, roster, campaign, smtp)


def _function_spec(function: SendFunction) -> str:
    """`python:module:qualname` when that names the function again, else a description."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if module and qualname and module != "__main__" and "<" not in qualname:
        return f"python:{module}:{qualname}"
    return f"function {qualname or function!r}"


def as_adapter(adapter: AdapterLike) -> Adapter:
    """A spec string is resolved, an `Adapter` kept, a plain function wrapped."""
    if isinstance(adapter, str):
        from harness.adapters.registry import resolve

        return resolve(adapter)
    if hasattr(adapter, "send") and hasattr(adapter, "spec"):
        return adapter
    if callable(adapter):
        return FunctionAdapter(adapter)
    raise TypeError(
        f"adapter must be a spec string, an Adapter or a function, got {type(adapter).__name__}"
    )


_shared: CaptureSink | None = None
_shared_lock = threading.Lock()
# One run at a time on the shared sink: run_once clears the sink it runs on.
_shared_run_lock = threading.Lock()


def shared_sink() -> CaptureSink:
    """One loopback sink for this process, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            _shared = CaptureSink().start()
            atexit.register(_shared.stop)
        return _shared


def check_pipeline(
    adapter: AdapterLike,
    roster: Roster,
    campaign: Campaign | str | None = None,
    *,
    sink: CaptureSink | None = None,
    grace: float = 0.05,
    reproduce_dir: Path | None = None,
    reproducible: bool = True,
) -> RunResult:
    """Send `campaign` (a Campaign, a kind such as "vaccine", default "vaccine") about `roster`
    through `adapter` into `sink` (default: one shared loopback sink) and judge every copy.

    Returns the RunResult when no check fires; raises PipelineFailure (an AssertionError)
    listing the violations otherwise, with a `mailharness run` command that reproduces the
    run when the adapter has a spec (the roster is written under `reproduce_dir`, default a
    temporary directory). Raises HarnessError subclasses when the run could not be judged.
    """
    from harness.roster.campaign_io import resolve_campaign
    from harness.runner import run_once

    resolved = as_adapter(adapter)
    chosen = campaign if campaign is not None else "vaccine"
    kind = chosen if isinstance(chosen, str) else None
    the_campaign = resolve_campaign(roster, chosen) if isinstance(chosen, str) else chosen
    with _shared_run_lock if sink is None else contextlib.nullcontext():
        target = sink if sink is not None else shared_sink()
        result = run_once(roster, the_campaign, resolved, target, grace=grace)
    if result.passed:
        return result
    command = None
    if reproducible and resolved.spec.split(":", 1)[0] in REPRODUCIBLE_FORMS:
        command = reproduce_command(resolved.spec, roster, the_campaign, kind, reproduce_dir)
    raise PipelineFailure(describe_failure(result, command), result, command)


def reproduce_command(
    spec: str, roster: Roster, campaign: Campaign, kind: str | None, directory: Path | None
) -> str:
    """Write the roster (and a campaign that is no built-in kind) and name the command."""
    from harness.roster.campaign_io import campaign_to_dict
    from harness.roster.io import roster_to_dict, save_roster

    where = directory or Path(tempfile.gettempdir()) / "mailharness-reproduce"
    where.mkdir(parents=True, exist_ok=True)
    # Named by content: a test that fails again (or a shrinking Hypothesis run) rewrites the
    # same few files instead of piling up new ones.
    key = _digest(roster_to_dict(roster))
    roster_path = where / f"roster-{key}.json"
    if not roster_path.exists():
        save_roster(roster, roster_path)
    args = ["mailharness", "run", "--adapter", spec, "--roster", str(roster_path)]
    if kind is None:
        data = campaign_to_dict(campaign)
        campaign_path = where / f"campaign-{_digest(data)}.json"
        campaign_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        kind = str(campaign_path)
    return shlex.join([*args, "--campaign", kind])


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def describe_failure(result: RunResult, reproduce: str | None) -> str:
    """Every violation on a line of its own, the most severe first, then the command."""
    violations = sorted(result.violations, key=lambda v: _ORDER[v.check])
    roster, campaign = result.plan.roster, result.plan.campaign
    counts = Counter(v.check for v in violations)
    by_check = ", ".join(f"{check} x{n}" for check, n in counts.items())
    lines = [
        f"pipeline {result.outcome.spec} broke {len(violations)} check(s) ({by_check}) "
        f"on {len(roster.students)} students, campaign {campaign.id} "
        f"({len(campaign.selected)} selected, {result.copies} copies captured)",
    ]
    for violation in violations[:LISTED_VIOLATIONS]:
        lines.append(
            f"  {violation.severity} {violation.check} to {violation.recipient}: "
            f"{_students(roster, violation.students)}"
        )
        if violation.evidence:
            first = violation.evidence[0]
            lines.append(f"      {first.location}: {first.text!r}")
    if len(violations) > LISTED_VIOLATIONS:
        lines.append(f"  ... and {len(violations) - LISTED_VIOLATIONS} more")
    if reproduce is not None:
        lines.append(f"Reproduce with: {reproduce}")
    return "\n".join(lines)


def _students(roster: Roster, ids: Sequence[str], shown: int = 5) -> str:
    if not ids:
        return "(no student named)"
    named = []
    for student_id in ids[:shown]:
        student = roster.student_by_id.get(student_id)
        named.append(f"{student_id} ({student.full_name})" if student else student_id)
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(named) + more
