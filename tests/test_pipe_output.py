"""A reader that closes the pipe (`mailharness run --json | head -1`) does not turn the verdict
into an error: the command runs to its end and exits with its own code."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main


class ClosedPipe(io.StringIO):
    """stdout whose reader has gone: every write and flush fails as a closed pipe does."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(("adapter", "verdict"), [("reference", 0), ("mutant:to-all", 1)])
def test_the_exit_code_is_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, adapter: str, verdict: int
) -> None:
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = main(["run", "--adapter", adapter, "--students", "20", "--seed", "1", "--json",
                 "--report-dir", str(tmp_path)])  # fmt: skip
    assert code == verdict
    assert (tmp_path / "report.html").exists()  # and the run went on to write every report


def test_head_of_the_json_output(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--adapter", "mutant:to-all", "--students",
         "200", "--seed", "1", "--json", "--report-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1, err
    assert first == b"{\n"
    assert "Traceback" not in err and "Broken pipe" not in err
    # More than a pipe holds (64 KiB), so the writer did meet the closed pipe.
    assert (tmp_path / "report.json").stat().st_size > 256 * 1024
