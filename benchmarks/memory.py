"""Memory figures for the benchmarks: peak RSS (getrusage) and sampled PSS of a process tree.

RSS counts a page shared by a forked worker and its parent in both; PSS (Linux
/proc/PID/smaps_rollup) splits it between them, so the PSS sum of the tree is the memory the
machine really gave. The sampler records its largest sum.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from pathlib import Path


def rusage_mib() -> tuple[float, float]:
    """(peak RSS of this process, peak RSS of its largest finished child), MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [p for child in task.read_text().split() for p in _tree(int(child))]
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PssPeak:
    """Samples the PSS sum of this process and its descendants every `every` seconds.

    Reading smaps_rollup walks the page tables of a process under its memory lock: for three
    3 GiB processes every 0.5 s it took about a tenth of the judging rate it was measuring
    (4,456 copies/s unsampled, 3,995 sampled). Every 2 s still sees a peak that lasts minutes.
    """

    def __init__(self, every: float = 2.0) -> None:
        self.peak_kib = 0
        self._every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.wait(self._every):
            total = sum(_pss_kib(pid) for pid in _tree(os.getpid()))
            self.peak_kib = max(self.peak_kib, total)

    def __enter__(self) -> PssPeak:
        if Path("/proc/self/smaps_rollup").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024
