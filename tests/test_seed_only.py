"""The search's draws depend on its seed alone, not on the source of the modules loaded.

Hypothesis mixes literal constants from local modules into its draws. Loading more local
modules (a vendor's adapter, a later mailharness) changes what a seed draws, unless the draws
run within `seed_only()`. The second half of the test shows the hazard is real on the pinned
Hypothesis: when it stops being so, this test says so and `seed_only` can go.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, given, seed, settings
from hypothesis import strategies as st

from harness.seed_only import seed_only

STEP = 49_999  # the module's literals are its multiples, all within the draws' range


def seeded_draws() -> list[int]:
    drawn: list[int] = []

    @seed(20261203)
    @settings(max_examples=1000, database=None, phases=[Phase.generate], deadline=None)
    @given(st.integers(0, 10**9))
    def draw(value: int) -> None:
        drawn.append(value)

    draw()
    return drawn


@pytest.fixture
def local_modules(tmp_path: Path) -> Iterator[list[str]]:
    """Modules of our own, outside site-packages, full of integer literals (Hypothesis reads up
    to 1,024 from each): so many that they are most of the local pool, whatever other modules
    a worker has loaded, and come up about 20 times in 1,000 draws."""
    names = [f"vendor_pipeline_constants_{n}" for n in range(10)]
    for n, name in enumerate(names):
        literals = ", ".join(str(STEP * k) for k in range(n * 1000 + 1, n * 1000 + 1001))
        (tmp_path / f"{name}.py").write_text(f"LIMITS = [{literals}]\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield names
    finally:
        sys.path.remove(str(tmp_path))
        for name in names:
            sys.modules.pop(name, None)


def test_loading_local_modules_changes_no_seeded_draw(local_modules: list[str]) -> None:
    with seed_only():
        before = seeded_draws()
    plain_before = seeded_draws()
    for name in local_modules:
        importlib.import_module(name)
    with seed_only():
        assert seeded_draws() == before
    # Without it, the same seed draws otherwise once the module is loaded (and some of its
    # literals come up as they are).
    plain_after = seeded_draws()
    assert plain_after != plain_before
    assert {value for value in plain_after if value % STEP == 0 and value} - set(before)
