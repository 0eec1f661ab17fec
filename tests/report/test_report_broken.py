"""`mailharness report` on a report.json whose schema is right but whose structure is broken:
one line naming the file, exit 2, and no partial output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main


def _violations_not_objects(report: dict[str, Any]) -> None:
    report["violations"] = [1, 2]


def _counts_not_an_object(report: dict[str, Any]) -> None:
    report["summary"]["violations_by_check"] = []


def _evidence_not_a_list(report: dict[str, Any]) -> None:
    report["violations"][0]["evidence"] = 7


@pytest.mark.parametrize(
    "breakage", [_violations_not_objects, _counts_not_an_object, _evidence_not_a_list]
)
def test_a_broken_structure_is_one_line_and_exit_2(
    failed_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breakage: Callable[[dict[str, Any]], None],
) -> None:
    report = json.loads((failed_run / "report.json").read_text())
    breakage(report)
    (tmp_path / "report.json").write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"mailharness: error: {tmp_path / 'report.json'}: its schema is right")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
