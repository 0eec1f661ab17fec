"""Fault injection: seeded, reproducible refusals, dropped connections and slow replies.

A rule is written `STAGE:ACTION:RATE[:DELAY]`:

- STAGE is `mail`, `rcpt` or `data` (the command answered with the fault);
- ACTION is a 4xx or 5xx reply code (`451`, `550`), `drop` (close the connection without a
  reply; at `data`, after the whole message arrived and before it is stored), or `slow`
  (store as usual, then wait DELAY seconds, default 3, before the reply);
- RATE is the probability, from 0 to 1, that one command gets this fault.

The API front doors draw at STAGE `api`, once per request: a reply code (`api:429:RATE`,
`api:500:RATE`) answers the call with that status in the provider's error shape and a
`Retry-After` header, delivering nothing; `api:timeout:RATE[:DELAY]` stores the call's
messages as usual and answers only DELAY seconds later (default 3), after a client with a
shorter timeout has given up, so a client that retries delivers twice.

Each stage draws from its own `random.Random` seeded by (seed, stage), one draw per command in
the order the commands arrive, so a given sender run against a given seed meets the same
faults every time. Several rules at one stage share that draw (their rates must sum to at most
1), and a retried command is a new command with a new draw, so a 4xx never repeats forever.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import HarnessError

__all__ = ["STAGES", "FaultError", "FaultPlan", "FaultRule", "parse_rule"]

STAGES = ("mail", "rcpt", "data", "api")
RETRY_AFTER = 1  # seconds, in the Retry-After of an injected API refusal
DEFAULT_SLOW = 3.0
_ENHANCED = {"4": "4.3.0", "5": "5.7.1"}


class FaultError(HarnessError):
    """A fault rule that cannot be parsed."""


@dataclass(frozen=True)
class FaultRule:
    stage: str
    action: str  # "reply", "drop", "slow", or "timeout" (the api stage's slow)
    rate: float
    code: int = 0  # the reply code of a "reply" rule
    delay: float = 0.0  # the wait of a "slow" rule

    @property
    def reply(self) -> str:
        """The SMTP reply line of a "reply" rule."""
        kind = "temporary" if self.code < 500 else "permanent"
        enhanced = _ENHANCED[str(self.code)[0]]
        return f"{self.code} {enhanced} mailharness fault injection: {kind} failure"

    def __str__(self) -> str:
        action = str(self.code) if self.action == "reply" else self.action
        text = f"{self.stage}:{action}:{self.rate:g}"
        return f"{text}:{self.delay:g}" if self.action in ("slow", "timeout") else text


def parse_rule(text: str) -> FaultRule:
    """`rcpt:451:0.1` -> FaultRule; a FaultError naming the rule for anything else."""
    parts = text.strip().split(":")
    usage = (
        "expected STAGE:ACTION:RATE[:DELAY], e.g. rcpt:451:0.1, data:drop:0.05, data:slow:0.1:2,"
        " api:429:0.1, api:timeout:0.1:5"
    )
    if len(parts) not in (3, 4):
        raise FaultError(f"fault {text!r}: {usage}")
    stage, action, rate_text = (p.strip().lower() for p in parts[:3])
    if stage not in STAGES:
        raise FaultError(f"fault {text!r}: unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    rate = _number(text, "rate", rate_text)
    if not 0.0 <= rate <= 1.0:
        raise FaultError(f"fault {text!r}: rate must be between 0 and 1, got {rate_text}")
    if len(parts) == 4 and action not in ("slow", "timeout"):
        raise FaultError(f"fault {text!r}: only a slow or timeout fault takes a delay")
    if (stage == "api") != (action == "timeout") and action in ("timeout", "slow", "drop"):
        allowed = "a reply code or timeout" if stage == "api" else "a reply code, drop or slow"
        raise FaultError(f"fault {text!r}: at {stage} the action must be {allowed}")
    if action in ("slow", "timeout"):
        delay = _number(text, "delay", parts[3].strip()) if len(parts) == 4 else DEFAULT_SLOW
        if delay <= 0:
            raise FaultError(f"fault {text!r}: delay must be positive")
        return FaultRule(stage, action, rate, delay=delay)
    if action == "drop":
        return FaultRule(stage, "drop", rate)
    if re.fullmatch(r"[45]\d\d", action):
        return FaultRule(stage, "reply", rate, code=int(action))
    raise FaultError(
        f"fault {text!r}: action must be a 4xx or 5xx reply code, drop or slow; got {action!r}"
    )


def _number(rule: str, what: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FaultError(f"fault {rule!r}: {what} {text!r} is not a number") from None


class FaultPlan:
    """The rules of one sink and the seeded draws that apply them."""

    def __init__(self, rules: Iterable[FaultRule], seed: int = 0) -> None:
        self.rules = tuple(rules)
        self.seed = seed
        for stage in STAGES:
            total = sum(rule.rate for rule in self.rules if rule.stage == stage)
            if total > 1.0 + 1e-9:
                raise FaultError(f"faults at {stage}: rates sum to {total:g}, more than 1")
        self._rngs = {stage: random.Random(f"{seed}:{stage}") for stage in STAGES}

    @classmethod
    def parse(cls, texts: Iterable[str], seed: int = 0) -> FaultPlan:
        return cls([parse_rule(text) for text in texts], seed)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def draw(self, stage: str) -> FaultRule | None:
        """The fault for the next command at `stage`, or None. One draw per call."""
        rules = [rule for rule in self.rules if rule.stage == stage]
        if not rules:
            return None
        point = self._rngs[stage].random()
        for rule in rules:
            if point < rule.rate:
                return rule
            point -= rule.rate
        return None

    def describe(self) -> str:
        return ", ".join(str(rule) for rule in self.rules) + f" (seed {self.seed})"
