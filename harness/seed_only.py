"""Hypothesis draws that depend on the seed alone.

Hypothesis (6.131 and later) answers about one draw in twenty with a literal constant, read
from the source of every local module loaded at that moment: not the standard library, not
site-packages, not test files. For the search, that would make the rosters a `--seed` draws
change with any edit of mailharness's own source (an editable install is local), with the
modules a vendor's `python:` adapter imports, and with which modules happen to be loaded
first (a pytest-xdist worker's earlier tests). Within `seed_only()` that pool is empty;
Hypothesis's own built-in constants, fixed for its version, still come up.

This leans on Hypothesis's internals (`providers._get_local_constants` and
`providers.CONSTANTS_CACHE`), so Hypothesis is pinned in pyproject.toml, and
tests/test_seed_only.py fails when they move or stop mattering.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

__all__ = ["seed_only"]


@contextlib.contextmanager
def seed_only() -> Iterator[None]:
    """Run Hypothesis within this block with no constant read from local source code."""
    original = providers._get_local_constants
    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()  # pools computed with the local constants
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()
