"""report.html: self-contained, everything escaped, the verdict first, the evidence marked."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from harness.report.html import excerpt_parts, render_html, where
from harness.report.view import evidence_parts

from .conftest import AWKWARD_NAME, SCRIPT_NAME, load


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    elements.close()
    return elements


def test_self_contained_no_script_no_network(failed_run: Path) -> None:
    html = (failed_run / "report.html").read_text()
    elements = parsed(html)
    tags = {tag for tag, _ in elements.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    for _, attrs in elements.tags:
        assert not any(
            name.startswith("on") or name in ("src", "href", "srcset") for name in attrs
        ), attrs
    assert re.search(r"url\(|@import|https?://", html.split("</style>")[0]) is None


def test_a_student_named_script_is_text(failed_run: Path) -> None:
    html = (failed_run / "report.html").read_text()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    text = "".join(parsed(html).text)
    assert SCRIPT_NAME in text  # as the reader sees it: the name, not code


def test_verdict_first_then_counts_then_violations(failed_run: Path) -> None:
    report = load(failed_run)
    html = (failed_run / "report.html").read_text()
    verdict = html.index('id="verdict"')
    assert verdict < html.index('id="checks"') < html.index('id="violations"')
    assert html.index("<h1>FAIL</h1>") == html.index("<h1>")
    count = report["summary"]["violations"]
    assert f"{count} violations found" in html
    for check, n in report["summary"]["violations_by_check"].items():
        assert re.search(
            rf"<code>{re.escape(check)}</code>.*?<td class=\"count\">{n}</td>", html, re.DOTALL
        )


def test_each_violation_shows_headers_and_marked_evidence(failed_run: Path) -> None:
    report = load(failed_run)
    html = (failed_run / "report.html").read_text()
    first = report["violations"][0]
    headers = report["messages"][str(first["message"])]
    assert {"From", "To", "Subject"} <= set(headers)
    before, matched, after = excerpt_parts(first["evidence"][0])
    assert matched and matched == evidence_parts(first["evidence"][0])[1]
    assert f"{escape(before)}<mark>{escape(matched)}</mark>{escape(after)}" in html
    assert f"<dd>{escape(headers['Subject'])}</dd>" in html


def test_awkward_names_stay_whole(failed_run: Path) -> None:
    report = load(failed_run)
    student_id = report["violations"][0]["students"][0]
    report["names"][student_id] = AWKWARD_NAME
    html = render_html(report)
    assert f"{escape(AWKWARD_NAME)} ({student_id})" in html
    assert f"{AWKWARD_NAME} ({student_id})" in "".join(parsed(html).text)


def test_passed_report(passed_run: Path) -> None:
    html = (passed_run / "report.html").read_text()
    assert 'class="verdict verdict-pass"' in html and "<h1>PASS</h1>" in html
    assert 'id="violations"' not in html


def test_errored_report_shows_the_error_and_the_pipeline_output(errored_run: Path) -> None:
    html = (errored_run / "report.html").read_text()
    assert "<h1>ERROR</h1>" in html
    assert "SMTP relay refused the connection" in html
    assert 'id="checks"' not in html  # nothing was judged, so no check is shown as passed


def test_counterexample_roster_is_shown(failed_run: Path) -> None:
    report: dict[str, Any] = load(failed_run)
    report["counterexample"] = {
        "reproduce": "mailharness run --adapter mutant:join-shift --roster minimal.json",
        "roster": {
            "students": [{"id": "S-AAAAAAA1", "first_name": SCRIPT_NAME, "last_name": "Lee"}],
            "contacts": [{"id": "C-1", "first_name": "Mia", "email": "mia@example.com"}],
            "links": [{"student_id": "S-AAAAAAA1", "contact_id": "C-1", "receives_mail": True}],
        },
    }
    html = render_html(report)
    section = html[html.index('id="counterexample"') :]
    assert "minimal.json" in section
    assert "<th>first_name</th>" in section and "mia@example.com" in section
    assert "<script" not in html.lower()
    assert render_html({**report, "counterexample": "reports/minimal.json"}).count(
        "reports/minimal.json"
    )


def test_long_excerpts_are_cut_at_words_and_locations_are_words() -> None:
    # As the oracle cuts it: 40 characters either side of the match.
    text = "r marisela anaya, our records show that ann lee (student s-aaaaaaa1, grade 12) is missi"
    start = text.index("ann lee")
    evidence = {"location": "part 1 text/plain", "text": text, "match": [start, start + 7]}
    before, matched, after = excerpt_parts(evidence)
    assert (before, matched, after) == (
        "\u2026 marisela anaya, our records show that ",
        "ann lee",
        " (student s-aaaaaaa1, grade 12) is \u2026",
    )
    assert where("header:Subject") == "Subject header"
    assert where("part 1 text/plain") == "Text of the message (part 1)"
    assert (
        where("part 2.1 text/html (url-decoded)")
        == "HTML of the message (part 2.1), in a link (decoded)"
    )
    assert where("part 3 attachment class-list.csv (text/csv)") == (
        "Attachment class-list.csv (text/csv) (part 3)"
    )
    assert where("envelope") == "envelope"
