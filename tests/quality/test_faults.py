"""With faults on: the reference sender retries what it must and nothing else, and the
retry-duplicate mutant is caught only when replies are slow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.cli import main

TEMPORARY = (
    "mail:451:0.05",
    "mail:421:0.02",
    "rcpt:450:0.1",
    "data:451:0.1",
    "data:drop:0.05",
    "rcpt:slow:0.02:0.2",
)
PERMANENT = ("rcpt:550:0.05", "data:554:0.05")
SLOW = ("data:slow:0.1:2",)


def run(tmp_path: Path, adapter: str, *faults: str, seed: int = 5) -> tuple[int, dict[str, Any]]:
    report_dir = tmp_path / f"{adapter.replace(':', '-')}-{len(faults)}"
    args = ["run", "--adapter", adapter, "--students", "60", "--seed", str(seed)]
    args += ["--report-dir", str(report_dir), "--grace", "0.05", "--fault-seed", "3"]
    for fault in faults:
        args += ["--fault", fault]
    code = main(args)
    return code, json.loads((report_dir / "report.json").read_text())


def test_reference_passes_with_temporary_faults(tmp_path: Path) -> None:
    code, report = run(tmp_path, "reference", *TEMPORARY)
    assert (code, report["verdict"]) == (0, "pass"), report["violations"][:3]
    summary = report["summary"]
    assert summary["refusals"] > 5  # the faults really happened...
    assert summary["copies"] == summary["expected_copies"]  # ...and every notice got through once


def test_reference_bounces_are_delivery_failures_only(tmp_path: Path) -> None:
    code, report = run(tmp_path, "reference", *TEMPORARY, *PERMANENT)
    by_check = {k: v for k, v in report["summary"]["violations_by_check"].items() if v}
    assert code == 1
    assert set(by_check) == {"delivery-failure"}
    assert all(v["severity"] == "minor" for v in report["violations"])


def test_retry_duplicate_passes_without_faults(tmp_path: Path) -> None:
    code, report = run(tmp_path, "mutant:retry-duplicate")
    assert (code, report["verdict"]) == (0, "pass"), report["violations"][:3]


def test_retry_duplicate_is_caught_with_slow_replies(tmp_path: Path) -> None:
    code, report = run(tmp_path, "mutant:retry-duplicate", *SLOW)
    assert code == 1
    assert set(k for k, v in report["summary"]["violations_by_check"].items() if v) == {
        "duplicate-notice"
    }


def test_reference_passes_with_slow_replies(tmp_path: Path) -> None:
    code, report = run(tmp_path, "reference", *SLOW)
    assert (code, report["verdict"]) == (0, "pass"), report["violations"][:3]
