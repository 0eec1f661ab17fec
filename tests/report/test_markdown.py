"""summary.md: the verdict, a table of counts per check, the first violations, the command."""

from __future__ import annotations

import re
from pathlib import Path

from harness.oracle.checks import CHECKS
from harness.report.markdown import FIRST_VIOLATIONS, render_markdown

from .conftest import SCRIPT_NAME, load


def test_failed_summary(failed_run: Path) -> None:
    report = load(failed_run)
    text = (failed_run / "summary.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "### mailharness: FAIL: violations found"
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == len(CHECKS)
    for spec in CHECKS:
        count = report["summary"]["violations_by_check"][spec.id]
        (row,) = [r for r in rows if r.startswith(f"| `{spec.id}` |")]
        assert row.endswith(f"| {count} :x: |" if count else f"| {count} |")
    listed = [line for line in lines if line.startswith("- **")]
    assert len(listed) == FIRST_VIOLATIONS
    assert report["violations"][0]["recipient"].replace("_", "\\_") in listed[0]
    assert report["run"]["reproduce"] in lines


def outside_code(text: str) -> str:
    """The Markdown with fenced blocks and code spans (which render literally) removed."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"(`+).*?\1", "", text)


def test_names_cannot_inject_markup(failed_run: Path) -> None:
    text = (failed_run / "summary.md").read_text()
    assert SCRIPT_NAME.replace("<", "\\<").replace(">", "\\>").replace("(", "\\(")[:20] in text
    # No tag can start outside code, and every row of the table keeps its four cells.
    assert re.search(r"(?<!\\)<", outside_code(text)) is None
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 4 for row in rows)


def test_passed_and_errored_summaries(passed_run: Path, errored_run: Path) -> None:
    assert render_markdown(load(passed_run)).startswith("### mailharness: PASS")
    errored = render_markdown(load(errored_run))
    assert errored.startswith("### mailharness: ERROR")
    assert "exit" in errored
