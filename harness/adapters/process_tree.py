"""Every process a `cmd:` adapter started, followed while it runs and ended together.

A process group is not enough: a sender may leave it (`setsid`, a daemon's double fork) and
go on mailing after the run, holding the adapter's stdout so the harness waits on it. So the
tree is followed through /proc (each process whose parent is in it, and everything in the
shell's group), and while an adapter runs the harness is a Linux child subreaper
(prctl(PR_SET_CHILD_SUBREAPER)): an orphan of the tree becomes the harness's own child instead
of init's, and is found (and reaped) however briefly its parent lived. Without /proc (not
Linux) only the process group is ended.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from types import TracebackType

PR_SET_CHILD_SUBREAPER = 36
REAP_WAIT = 1.0  # seconds to wait for killed orphans to exit (a process in D state may not)
KILL_ROUNDS = 50  # SIGKILL sweeps until nothing in the tree is alive (a fork bomb's children)


class ProcessTree:
    """The descendants of `root` (a child of this process, leading its own group)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self._me = os.getpid()
        self._seen: dict[int, bytes] = {}  # pid -> its start time, against pid reuse
        self._children_before = _children(_table(), self._me)

    def __enter__(self) -> ProcessTree:
        _Subreaper.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _Subreaper.release()

    def scan(self) -> None:
        """Add every process now in the tree to what is followed."""
        table = _table()
        if not table:
            return
        tree = {self.root, *self._seen}
        tree.update(_children(table, self._me) - self._children_before)  # adopted orphans
        added = True
        while added:
            added = False
            for pid, (ppid, pgrp, _, _) in table.items():
                if pid not in tree and (ppid in tree or pgrp == self.root):
                    tree.add(pid)
                    added = True
        for pid in tree:
            if pid in table and pid != self._me:
                self._seen.setdefault(pid, table[pid][2])

    def alive(self) -> list[int]:
        """Followed processes still running (zombies are not)."""
        table = _table()
        return [
            pid
            for pid, start in self._seen.items()
            if pid in table and table[pid][2] == start and table[pid][3] != b"Z"
        ]

    def end(self, grace: float) -> None:
        """SIGTERM to the group and the whole tree; SIGKILL to what is left after `grace`
        seconds; then reap the orphans this process adopted (never `root`: its Popen does)."""
        self.scan()
        _signal_group(self.root, signal.SIGTERM)
        for pid in self.alive():
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.scan()
            if not self.alive() and not _group_alive(self.root):
                break
            time.sleep(0.02)
        for _ in range(KILL_ROUNDS):
            self.scan()
            left = self.alive()
            if not left and not _group_alive(self.root):
                break
            _signal_group(self.root, signal.SIGKILL)
            for pid in left:
                _signal(pid, signal.SIGKILL)
            time.sleep(0.01)
        self._reap()

    def _reap(self) -> None:
        table = _table()
        adopted = [
            p for p in self._seen if p != self.root and p in table and table[p][0] == self._me
        ]
        deadline = time.monotonic() + REAP_WAIT
        while adopted and time.monotonic() < deadline:
            for pid in list(adopted):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    adopted.remove(pid)
            if adopted:
                time.sleep(0.01)


class _Subreaper:
    """Subreaper on while at least one adapter runs (threads may run several at once)."""

    _lock = threading.Lock()
    _users = 0

    @classmethod
    def acquire(cls) -> None:
        with cls._lock:
            if cls._users == 0:
                _set_subreaper(True)
            cls._users += 1

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._users -= 1
            if cls._users == 0:
                _set_subreaper(False)


def _set_subreaper(on: bool) -> None:
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the /proc scan alone follows the tree
        pass


def _table() -> dict[int, tuple[int, int, bytes, bytes]]:
    """pid -> (parent pid, process group, start time, state) of every process, from /proc;
    empty without procfs."""
    table: dict[int, tuple[int, int, bytes, bytes]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stream:
                fields = stream.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 19:  # state, ppid, pgrp, ..., starttime (field 22 of stat)
            table[int(entry)] = (int(fields[1]), int(fields[2]), fields[19], fields[0])
    return table


def _children(table: dict[int, tuple[int, int, bytes, bytes]], parent: int) -> set[int]:
    return {pid for pid, (ppid, _, _, _) in table.items() if ppid == parent}


def _group_alive(pgid: int) -> bool:
    """True while a live (not zombie) process is in the group. Orphaned zombies answer
    `killpg(pgid, 0)` until init reaps them, so on Linux read /proc instead."""
    if not _signal_group(pgid, 0):
        return False
    table = _table()
    if not table:  # no procfs: count zombies as alive
        return True
    return any(pgrp == pgid and state != b"Z" for _, pgrp, _, state in table.values())


def _signal_group(pgid: int, signum: int) -> bool:
    """Signal the group; False when no process is left in it."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):  # PermissionError: only zombies, some systems
        return False
    return True


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)
