"""Every human and CI format, rendered from report.json into the run's report directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown

__all__ = ["RENDERERS", "render_all"]

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
