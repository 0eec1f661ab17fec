"""Peak memory of this process and of the worker processes it waited for."""

from __future__ import annotations

import resource
import sys

__all__ = ["peak_rss_mib"]


def _mib(maxrss: int) -> float:
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def peak_rss_mib() -> float:
    """ru_maxrss of this process plus the largest of its finished children (the judging
    workers). Pages a forked worker shares with its parent count in both, so this is an
    upper bound of the memory the run took."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return _mib(own) + _mib(children)
