"""The run's peak memory: the PSS sum of the process tree, where Linux gives it."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from harness.measure import PeakMemory, rusage_mib, tree_pss_kib

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/smaps_rollup").exists(), reason="PSS needs Linux smaps_rollup"
)

MIB = 1024


def _hold(size_mib: int, ready: Event, done: Event) -> None:
    held = bytearray(size_mib * 1024 * 1024)  # zero-filled: every page written
    held[::4096] = b"\x01" * len(held[::4096])
    ready.set()
    done.wait(30)


def test_a_childs_private_memory_counts_once_in_the_tree() -> None:
    context = multiprocessing.get_context("fork")
    ready, done = context.Event(), context.Event()
    before = tree_pss_kib()
    child = context.Process(target=_hold, args=(120, ready, done))
    child.start()
    try:
        assert ready.wait(30)
        during = tree_pss_kib()
        assert tree_pss_kib(child.pid) >= 110 * MIB
    finally:
        done.set()
        child.join(30)
    # The child's 120 MiB once, and not its inherited pages twice: the parent is in the sum.
    assert 110 * MIB <= during - before <= 200 * MIB


def test_the_sampler_sees_a_peak_that_is_gone_by_the_end() -> None:
    with PeakMemory(every=0.05) as memory:
        held = bytearray(150 * 1024 * 1024)
        held[::4096] = b"\x01" * len(held[::4096])
        time.sleep(0.3)
        del held
    assert memory.peak_kib >= tree_pss_kib() + 120 * MIB
    assert memory.peak_mib >= rusage_mib()[0]


def test_a_process_that_is_gone_reads_as_nothing() -> None:
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(0,))
    child.start()
    child.join()
    assert child.pid is not None and tree_pss_kib(child.pid) == 0
