"""Every human and CI format, rendered from report.json into the run's report directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.report.html import render_html
from harness.report.json_report import write_report
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown

__all__ = ["RENDERERS", "render_all", "report_pointer", "write_reports"]

# File name in the report directory -> renderer of report.json into it.
RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "junit.xml": render_junit,
    "report.html": render_html,
    "summary.md": render_markdown,
}


def render_all(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write junit.xml, report.html and summary.md beside report.json; return their paths."""
    report_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in RENDERERS.items():
        path = report_dir / name
        path.write_text(render(report), encoding="utf-8")
        written.append(path)
    return written


def write_reports(report: dict[str, Any], report_dir: Path) -> None:
    """Write report.json and every format rendered from it into `report_dir`."""
    write_report(report, report_dir)
    render_all(report, report_dir)


def report_pointer(report_dir: Path) -> str:
    """The line that tells where `write_reports` put the reports."""
    return f"report: {report_dir / 'report.html'} (and report.json, junit.xml, summary.md)"
