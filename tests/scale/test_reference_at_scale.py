"""The reference sender at a district's scale (a slice of one that fits CI's time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

pytestmark = pytest.mark.slow

STUDENTS = 50_000


def test_reference_end_to_end_has_no_violation_and_every_copy(tmp_path: Path) -> None:
    report_dir = tmp_path / "run"
    code = main(
        [
            "run",
            "--adapter",
            "reference",
            "--students",
            str(STUDENTS),
            "--seed",
            "4",
            "--report-dir",
            str(report_dir),
            "--quiet",
        ]
    )
    report = json.loads((report_dir / "report.json").read_text())
    summary = report["summary"]
    assert (code, report["verdict"], summary["violations"]) == (0, "pass", 0)
    assert summary["copies"] == summary["expected_copies"] > STUDENTS // 3
    assert set(report["timings"]) >= {"index", "send", "capture", "judge"}
