"""`python:module:function`: the pipeline is a function called in this process."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.errors import AdapterError
from harness.roster.campaign import Campaign
from harness.roster.model import Roster


class PythonAdapter:
    """Calls `function(roster, campaign, smtp)` from `module`.

    The module is imported when the adapter is built, so a bad spec fails before the sink
    starts. The current directory is importable while it is imported (as with `python -m`),
    so `python:send:run` finds `./send.py`. `function` may be a dotted path (`Sender.run`).
    """

    def __init__(self, spec: str, module: str, function: str) -> None:
        self.spec = spec
        self.module = module
        self.function = function
        self._callable = _load(spec, module, function)

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        return call_sender(self.spec, self._callable, roster, campaign, smtp)


def call_sender(
    spec: str,
    function: Callable[..., object],
    roster: Roster,
    campaign: Campaign,
    smtp: SmtpTarget,
) -> AdapterOutcome:
    """Call `function(roster, campaign, smtp)`; anything it raises is an AdapterError."""
    try:
        result = function(roster, campaign, smtp)
    except (Exception, SystemExit) as exc:
        raise AdapterError(f"adapter {spec} raised {type(exc).__name__}: {_one_line(exc)}") from exc
    if isinstance(result, AdapterOutcome):
        return result
    return AdapterOutcome(spec=spec)


def _load(spec: str, module_name: str, function: str) -> Callable[..., Any]:
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise AdapterError(
            f"adapter {spec}: cannot import {module_name}: {type(exc).__name__}: {_one_line(exc)}"
        ) from exc
    finally:
        if added:
            sys.path.remove(cwd)
    target: object = module
    for part in function.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AdapterError(
                f"adapter {spec}: module {module_name} has no attribute {function!r}"
            ) from None
    if not callable(target):
        raise AdapterError(
            f"adapter {spec}: {module_name}.{function} is not callable "
            f"(it is a {type(target).__name__})"
        )
    return target


def _one_line(exc: BaseException) -> str:
    """The first non-empty line of the message, so the CLI can print one line."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return "(no message)"
