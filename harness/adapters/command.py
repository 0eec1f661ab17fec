"""`cmd:COMMAND`: the pipeline is a subprocess, given the command contract of docs/contract.md.

The contract, the interface vendors write against:
- environment: MAILHARNESS_SMTP_HOST, MAILHARNESS_SMTP_PORT, MAILHARNESS_INPUT_DIR, and
  MAILHARNESS_SMTP_USER / MAILHARNESS_SMTP_PASSWORD / MAILHARNESS_SMTP_TLS when the sink
  asks for them, and MAILHARNESS_SMTP_CAFILE (a PEM file that verifies the sink's certificate,
  which is self-signed when generated) with MAILHARNESS_SMTP_TLS=starttls;
- MAILHARNESS_INPUT_DIR holds campaign.json, notices.csv, contacts.csv and roster.json;
- exit 0 when done; any other exit, or a run past the timeout, is an AdapterError.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from harness.adapters.base import (
    API_PROVIDERS,
    SDK_VARIABLES,
    AdapterOutcome,
    SmtpTarget,
    api_env_name,
)
from harness.adapters.contract_input import write_input_dir
from harness.adapters.process_tree import ProcessTree
from harness.errors import AdapterError
from harness.roster.campaign import Campaign
from harness.roster.model import Roster

CONTRACT_ENV = frozenset(
    {
        "MAILHARNESS_SMTP_HOST",
        "MAILHARNESS_SMTP_PORT",
        "MAILHARNESS_SMTP_USER",
        "MAILHARNESS_SMTP_PASSWORD",
        "MAILHARNESS_SMTP_TLS",
        "MAILHARNESS_SMTP_CAFILE",
        "MAILHARNESS_INPUT_DIR",
        *(api_env_name(provider) for provider in API_PROVIDERS),
        *SDK_VARIABLES,
    }
)
OUTPUT_LIMIT = 64 * 1024  # keep at most the last 64 KiB of stdout and of stderr
KILL_GRACE = 0.5  # seconds between SIGTERM and SIGKILL: a timeout ends within a second
SCAN_INTERVAL = 0.1  # seconds between two looks at the process tree


class CommandError(AdapterError):
    """A `cmd:` run that failed; `outcome` keeps its exit code and output for the report."""

    def __init__(self, message: str, outcome: AdapterOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


class CommandAdapter:
    """Runs `command` through the shell, in its own process group, with the contract's
    input directory and environment; the directory is removed afterwards."""

    def __init__(self, spec: str, command: str, timeout: float = 300.0) -> None:
        self.spec = spec
        self.command = command
        self.timeout = timeout

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        input_dir = Path(tempfile.mkdtemp(prefix="mailharness-input-"))
        try:
            write_input_dir(input_dir, roster, campaign)
            return self._run(command_env(smtp, input_dir))
        finally:
            shutil.rmtree(input_dir, ignore_errors=True)

    def _run(self, env: dict[str, str]) -> AdapterOutcome:
        try:
            process = subprocess.Popen(
                self.command,
                shell=True,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise AdapterError(f"adapter {self.spec} could not start: {exc}") from exc
        assert process.stdout is not None and process.stderr is not None
        stdout, stderr = _Tail(process.stdout), _Tail(process.stderr)
        timed_out = False
        deadline = time.monotonic() + self.timeout
        with ProcessTree(process.pid) as tree:
            try:
                while process.poll() is None:
                    tree.scan()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        timed_out = True
                        break
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=min(SCAN_INTERVAL, left))
            finally:
                # On a timeout, or when the shell exited but left processes behind (a sender
                # put in the background, or one that left with setsid), end the whole tree:
                # nothing may mail after the run.
                tree.end(KILL_GRACE)
                process.wait()
                stdout.join()
                stderr.join()
        outcome = AdapterOutcome(
            spec=self.spec,
            exit_code=process.returncode,
            stdout=stdout.text(),
            stderr=stderr.text(),
        )
        if timed_out:
            raise CommandError(f"adapter {self.spec} timed out after {self.timeout:g} s", outcome)
        if process.returncode != 0:
            raise CommandError(
                f"adapter {self.spec} {_describe_exit(process.returncode)}: "
                f"{_last_line(outcome.stderr)}",
                outcome,
            )
        return outcome


def command_env(smtp: SmtpTarget, input_dir: Path) -> dict[str, str]:
    """os.environ plus the contract's variables. The optional ones are dropped from what is
    inherited, so a stale MAILHARNESS_SMTP_USER never reaches a run whose sink asks none."""
    env = {k: v for k, v in os.environ.items() if k not in CONTRACT_ENV}
    env["MAILHARNESS_SMTP_HOST"] = smtp.host
    env["MAILHARNESS_SMTP_PORT"] = str(smtp.port)
    env["MAILHARNESS_INPUT_DIR"] = str(input_dir)
    env.update(smtp.api_env())
    if smtp.user is not None:
        env["MAILHARNESS_SMTP_USER"] = smtp.user
    if smtp.password is not None:
        env["MAILHARNESS_SMTP_PASSWORD"] = smtp.password
    if smtp.tls != "none":
        env["MAILHARNESS_SMTP_TLS"] = smtp.tls
    if smtp.cafile is not None:
        env["MAILHARNESS_SMTP_CAFILE"] = smtp.cafile
    return env


class _Tail:
    """Drains a pipe on a thread, keeping only its last OUTPUT_LIMIT bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        fd = self._stream.fileno()
        with self._stream:
            while chunk := os.read(fd, 65536):
                self._buffer += chunk
                if len(self._buffer) > 2 * OUTPUT_LIMIT:
                    del self._buffer[:-OUTPUT_LIMIT]

    def join(self) -> None:
        # EOF comes once the tree is gone; a process out of reach (another user's, one that
        # got the pipe over a socket) that kept it must not hang the harness.
        self._thread.join(timeout=1.0)

    def text(self) -> str:
        return bytes(self._buffer[-OUTPUT_LIMIT:]).decode("utf-8", errors="replace")


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


def _last_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return "(no output on stderr)"
