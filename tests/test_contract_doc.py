"""docs/contract.md stays current with the code: its tables of checks, `cmd:` variables and
report.json keys list exactly what the code has."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from harness.adapters.base import API_PROVIDERS, SmtpTarget
from harness.cli import main
from harness.oracle.checks import CHECKS

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "contract.md"
VARIABLE = re.compile(r"\bMAILHARNESS_[A-Z0-9_]+\b")
TABLE_KEY = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)


def section(title: str) -> str:
    """The text of the contract's `## title` or `### title` section, up to the next heading."""
    text = CONTRACT.read_text(encoding="utf-8")
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert match, f"docs/contract.md has no section {title!r}"
    return match.group(1)


def table_keys(title: str) -> set[str]:
    """The first column of the tables in a section: `| \\`key\\` | ...`."""
    return set(TABLE_KEY.findall(section(title)))


def test_the_checks_table_lists_every_check() -> None:
    assert table_keys("The checks") == {spec.id for spec in CHECKS}


def test_every_check_has_its_severity_in_the_table() -> None:
    rows = section("The checks")
    for spec in CHECKS:
        assert f"| `{spec.id}` | {spec.severity} |" in rows, spec.id


def test_the_cmd_variables_table_lists_every_variable_the_code_names() -> None:
    named = {
        variable
        for path in (ROOT / "harness").rglob("*.py")
        for variable in VARIABLE.findall(path.read_text(encoding="utf-8"))
    }
    assert {"MAILHARNESS_SMTP_HOST", "MAILHARNESS_INPUT_DIR"} <= named  # the grep sees them
    # The front doors' variables are made from the provider's name, and boto3's from SES's.
    every_door = SmtpTarget("127.0.0.1", 1, api=tuple((p, "u") for p in API_PROVIDERS))
    named |= set(every_door.api_env())
    assert table_keys("The `cmd:` contract") == named


def run(report_dir: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", *args, "--report-dir", str(report_dir), "--grace", "0.05", "--seed", "1"])
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    return code, report


def test_the_report_table_lists_every_top_level_key(tmp_path: Path) -> None:
    code, judged = run(tmp_path / "pass", "--adapter", "reference", "--students", "10")
    assert code == 0 and judged["verdict"] == "pass"
    crash = f"cmd:{sys.executable} -c 'raise SystemExit(3)'"
    code, errored = run(tmp_path / "error", "--adapter", crash, "--students", "10")
    assert code == 2 and errored["verdict"] == "error"
    assert table_keys("report.json") == set(judged) | set(errored)
