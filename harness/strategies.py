"""Hypothesis strategies for mailharness rosters and campaigns (public API)."""

from __future__ import annotations

from harness.roster.strategies import BATCH_SIZES, campaigns, roster_campaigns, rosters

__all__ = ["BATCH_SIZES", "campaigns", "roster_campaigns", "rosters"]
