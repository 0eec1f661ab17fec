"""`mailharness sink` as a separate process, as a person (or a crash test) runs it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


class SinkProcess:
    """Start `mailharness sink --port 0 --store STORE ...`; its stdout goes to a file."""

    def __init__(self, store: Path, *extra: str, cwd: Path) -> None:
        self.out_path = cwd / f"sink-{time.monotonic_ns()}.out"
        self._out: IO[bytes] = self.out_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness", "sink", "--port", "0", "--store", str(store), *extra],
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self.port = self._wait_port()

    def _wait_port(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = LISTENING.search(self.output())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                raise AssertionError(f"the sink exited early: {self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"the sink did not start: {self.output()}")

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        finally:
            self._out.close()

    def kill(self) -> None:
        self.process.kill()  # SIGKILL
        self.process.wait(30)
        self._out.close()
