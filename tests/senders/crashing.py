"""A python: adapter whose pipeline crashes on the first roster."""

from __future__ import annotations

from typing import Any


def send(roster: Any, campaign: Any, smtp: Any) -> None:
    raise RuntimeError("template engine exploded")
