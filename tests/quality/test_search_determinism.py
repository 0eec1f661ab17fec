"""The printed seed replays the search: two runs of the same search, at the same time, on a
machine kept busy, write byte-identical counterexample files; and a cmd: pipeline with one bug,
written apart from the bug zoo, shrinks through the subprocess to the roster the bug needs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SENDER = Path(__file__).resolve().parent.parent / "senders" / "buggy_sender.py"
BUSY = "while True: pass"


@contextmanager
def busy_machine(processes: int = 2) -> Iterator[None]:
    """A CPU kept busy by busy-loop processes for as long as the block runs."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(processes)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def search_command(adapter: str, examples: int, seed: int, report_dir: Path) -> list[str]:
    return [sys.executable, "-m", "harness", "run", "--adapter", adapter,
            "--examples", str(examples), "--seed", str(seed),
            "--report-dir", str(report_dir), "--quiet"]  # fmt: skip


def twice_at_once(tmp_path: Path, adapter: str, examples: int, seed: int) -> list[Path]:
    dirs = [tmp_path / "first", tmp_path / "second"]
    with busy_machine():
        runs = [
            subprocess.Popen(search_command(adapter, examples, seed, d), stdout=subprocess.DEVNULL)
            for d in dirs
        ]
        codes = [run.wait() for run in runs]
    assert codes == [1, 1]
    return dirs


def counterexample_files(report_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(report_dir.glob("counterexample*.json"))}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("adapter", "examples"),
    [("mutant:order-dependent", 200), (f"cmd:{sys.executable} {SENDER} --bug restricted", 40)],
    ids=["order-dependent", "cmd-restricted"],
)
def test_same_seed_same_counterexamples_on_a_loaded_machine(
    tmp_path: Path, adapter: str, examples: int
) -> None:
    first, second = twice_at_once(tmp_path, adapter, examples, seed=3)
    files = counterexample_files(first)
    assert "counterexample.json" in files
    assert files == counterexample_files(second)
    checks = [
        {e["check"] for e in json.loads((d / "report.json").read_text())["counterexamples"]}
        for d in (first, second)
    ]
    assert checks[0] == checks[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bug", "check", "students"),
    [
        ("restricted", "restricted-recipient", 1),
        ("receives-mail", "unintended-recipient", 1),
        ("join-shift", "foreign-student-data", 2),
    ],
)
def test_a_cmd_pipeline_shrinks_to_what_its_bug_needs(
    tmp_path: Path, bug: str, check: str, students: int
) -> None:
    adapter = f"cmd:{sys.executable} {SENDER} --bug {bug}"
    completed = subprocess.run(search_command(adapter, 200, 3, tmp_path), stdout=subprocess.PIPE)
    assert completed.returncode == 1
    report = json.loads((tmp_path / "report.json").read_text())
    found = {e["check"]: e["students"] for e in report["counterexamples"]}
    assert found[check] == students, found
