"""report.html shows each excerpt as the recipient saw it, the match marked, and the
normalized form as a detail beneath."""

from __future__ import annotations

import html
from pathlib import Path

from harness.oracle.normalize import normalize

from .conftest import load


def test_excerpts_show_the_recipients_text(failed_run: Path) -> None:
    report = load(failed_run)
    page = (failed_run / "report.html").read_text(encoding="utf-8")
    evidence = [e for v in report["violations"] for e in v["evidence"] if "normalized" in e]
    assert evidence
    for item in evidence:
        assert normalize(item["text"][slice(*item["match"])]) in item["normalized"]
    # The recipient's capitals are what is marked, not the checker's lower case.
    shown = {item["text"][slice(*item["match"])] for item in evidence}
    assert any(text != text.lower() for text in shown)
    assert any(f"<mark>{html.escape(text, quote=True)}</mark>" in page for text in shown)
    assert '<span class="normalized">read as: ' in page
