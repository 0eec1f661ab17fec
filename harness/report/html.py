"""report.html: one self-contained page for the people who decide (district staff, vendors).

No script, no network, no external font: inline CSS and text only, so the file can be mailed,
archived or opened offline and shows the same thing. Everything taken from report.json (names,
subjects, evidence: whatever a pipeline sent) is escaped.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from harness.oracle.decode import URL_DECODED
from harness.oracle.tokens import CONTEXT
from harness.report.view import (
    CheckCount,
    check_counts,
    contacts_text,
    copy_headers_of,
    evidence_parts,
    grouped_violations,
    students_text,
)

__all__ = ["excerpt_parts", "render_html", "where"]

MAX_VIOLATIONS_SHOWN = 100  # per check; report.json has them all
MAX_EVIDENCE_SHOWN = 5  # per violation
MAX_ROSTER_ROWS = 200  # per table of the counterexample roster

_VERDICT = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1d2330;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Liberation Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 24px 48px; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h2 { font-size: 1.35rem; margin: 36px 0 12px; }
section.card, article { background: #fff; border: 1px solid #d9dce3; border-radius: 8px;
  padding: 16px 20px; margin: 12px 0; }
.verdict { border-radius: 10px; padding: 22px 28px; color: #fff; margin-bottom: 16px; }
.verdict h1 { font-size: 2.6rem; letter-spacing: .02em; }
.verdict p { margin: 6px 0 0; font-size: 1.15rem; }
.verdict-pass { background: #1e7a3c; }
.verdict-fail { background: #b3261e; }
.verdict-error { background: #8a5300; }
.meta { color: #4a5262; margin: 0; }
.meta code { color: #1d2330; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
  gap: 12px; margin: 16px 0 0; padding: 0; list-style: none; }
.figures li { background: #fff; border: 1px solid #d9dce3; border-radius: 8px;
  padding: 10px 14px; }
.figures b { display: block; font-size: 1.6rem; }
.figures span { color: #4a5262; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px;
  border-bottom: 1px solid #e3e5ea; }
th { font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; color: #4a5262; }
td code { white-space: nowrap; }
td.count { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
tr.fired td { background: #fdf1f0; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: .8rem;
  font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.sev-critical { background: #b3261e; color: #fff; }
.sev-major { background: #c05a00; color: #fff; }
.sev-minor { background: #e4e7ec; color: #1d2330; }
.check-head { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
.check-head p { margin: 0; color: #4a5262; }
article h3 { font-size: 1.05rem; font-weight: 600; overflow-wrap: anywhere; }
article h3 .muted { font-weight: 400; }
.muted { color: #4a5262; }
dl.headers { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  margin: 10px 0; padding: 10px 14px; background: #f7f8fa; border-radius: 6px;
  font-size: .95rem; }
dl.headers dt { color: #4a5262; font-weight: 600; }
dl.headers dd { margin: 0; overflow-wrap: anywhere; }
.evidence { margin: 10px 0 0; padding: 0; list-style: none; }
.evidence li { margin: 8px 0 0; }
.where { display: block; font-size: .85rem; color: #4a5262; }
.excerpt { display: block; font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono",
  Menlo, Consolas, monospace; font-size: .92rem; white-space: pre-wrap; overflow-wrap: anywhere;
  background: #fbfbfc; border-left: 4px solid #c9ced8; padding: 6px 10px; }
mark { background: #ffe066; color: #1d2330; padding: 0 2px; border-radius: 3px;
  font-weight: 700; outline: 1px solid #d4a800; }
pre, code { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas,
  monospace; }
pre { background: #1d2330; color: #f4f5f7; padding: 12px 16px; border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .92rem; }
.more { color: #4a5262; font-style: italic; }
.normalized { display: block; font-size: .8rem; color: #4a5262; overflow-wrap: anywhere;
  padding: 2px 14px; }
.restricted { margin: 8px 0; padding: 8px 12px; background: #fdf1f0;
  border-left: 4px solid #b3261e; border-radius: 0 6px 6px 0; }
footer { margin-top: 40px; color: #4a5262; font-size: .85rem; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def render_html(report: dict[str, Any]) -> str:
    verdict = report["verdict"]
    word = _VERDICT.get(verdict, verdict.upper())
    run = report.get("run", {})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>mailharness {_e(word)}: {_e(run.get('adapter', ''))}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f'<header id="verdict" class="verdict verdict-{_e(verdict)}">',
        f"<h1>{_e(word)}</h1><p>{_e(_verdict_sentence(report))}</p></header>",
        _run_description(run),
    ]
    if verdict == "error":
        parts.append(_error_section(report))
    else:
        parts.append(_figures(report["summary"]))
        parts.append(_checks_table(check_counts(report)))
        parts.append(_violations(report))
    if "counterexample" in report:
        parts.append(_counterexample(report["counterexample"]))
    if "reproduce" in run:
        parts.append(f'<h2 id="reproduce">Reproduce this run</h2><pre>{_e(run["reproduce"])}</pre>')
    parts.append(
        f"<footer>Written by mailharness from report.json ({_e(report.get('schema', ''))})."
        "</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _verdict_sentence(report: dict[str, Any]) -> str:
    if report["verdict"] == "error":
        return "The run could not be judged: nothing was checked."
    summary = report["summary"]
    copies = summary.get("copies", "?")
    if report["verdict"] == "pass":
        return f"No violations in {copies} copies delivered."
    count = summary.get("violations", len(report.get("violations", [])))
    return f"{count} violation{'s' * (count != 1)} found in {copies} copies delivered."


def _run_description(run: dict[str, Any]) -> str:
    items = []
    for key, label in (("adapter", "Pipeline"), ("campaign", "Campaign"), ("roster", "Roster")):
        if key in run:
            items.append(f"{label}: <code>{_e(run[key])}</code>")
    return f'<p class="meta">{" &middot; ".join(items)}</p>' if items else ""


def _figures(summary: dict[str, Any]) -> str:
    shown = (
        ("students", "students on the roster"),
        ("selected", "students selected"),
        ("expected_copies", "copies expected"),
        ("copies", "copies captured"),
        ("recipients", "recipients"),
        ("violations", "violations"),
    )
    items = "".join(
        f"<li><b>{_e(summary[key])}</b><span>{_e(label)}</span></li>"
        for key, label in shown
        if key in summary
    )
    return f'<ul class="figures">{items}</ul>'


def _badge(severity: str) -> str:
    return f'<span class="badge sev-{_e(severity)}">{_e(severity)}</span>'


_FIRED = ' class="fired"'


def _checks_table(counts: list[CheckCount]) -> str:
    rows = "".join(
        f"<tr{_FIRED if c.violations else ''}><td><code>{_e(c.id)}</code></td>"
        f"<td>{_badge(c.severity)}</td><td>{_e(c.fires_when)}</td>"
        f'<td class="count">{c.violations}</td></tr>'
        for c in counts
    )
    return (
        '<h2 id="checks">Checks</h2><section class="card"><table>'
        "<thead><tr><th>check</th><th>severity</th><th>fires when</th>"
        '<th class="count">violations</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _violations(report: dict[str, Any]) -> str:
    groups = grouped_violations(report)
    if not groups:
        return ""
    parts = [
        '<h2 id="violations">Violations</h2>',
        '<p class="muted">Most severe first. Each excerpt shows the text as the recipient saw '
        "it, with what gave the violation away <mark>highlighted</mark>; below it, in grey, "
        "the same text as the checker read it (lower case, accents and extra spaces removed)."
        "</p>",
    ]
    for check, found in groups:
        parts.append(
            f'<section class="check" id="check-{_e(check.id)}"><div class="check-head">'
            f"<h2>{_e(check.id)}</h2>{_badge(check.severity)}"
            f"<p>{len(found)} violation{'s' * (len(found) != 1)}"
            f"{': ' + _e(check.fires_when) if check.fires_when else ''}</p></div>"
        )
        for violation in found[:MAX_VIOLATIONS_SHOWN]:
            parts.append(_violation(report, violation))
        if len(found) > MAX_VIOLATIONS_SHOWN:
            parts.append(
                f'<p class="more">{len(found) - MAX_VIOLATIONS_SHOWN} more {_e(check.id)} '
                "violations are listed in report.json.</p>"
            )
        parts.append("</section>")
    return "\n".join(parts)


def _violation(report: dict[str, Any], violation: dict[str, Any]) -> str:
    parts = ['<article class="violation">']
    title = f"To {_e(violation.get('recipient', ''))}"
    students = students_text(report, violation, limit=8)
    if students:
        title += f' <span class="muted">about {_e(students)}</span>'
    parts.append(f"<h3>{title}</h3>")
    contacts = contacts_text(report, violation, limit=8)
    if contacts:
        parts.append(f'<p class="muted">Contacts exposed: {_e(contacts)}</p>')
    parts.extend(_restricted_link(report, link) for link in violation.get("restricted_links", []))
    headers = copy_headers_of(report, violation)
    if headers:
        rows = "".join(
            f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in headers.items()
        )
        parts.append(f'<dl class="headers">{rows}</dl>')
    evidence = violation.get("evidence", [])
    if evidence:
        parts.append('<ul class="evidence">')
        for item in evidence[:MAX_EVIDENCE_SHOWN]:
            before, matched, after = excerpt_parts(item)
            marked = f"<mark>{_e(matched)}</mark>" if matched else ""
            normalized = item.get("normalized")
            read_as = (
                f'<span class="normalized">read as: {_e(normalized)}</span>'
                if isinstance(normalized, str)
                else ""
            )
            parts.append(
                f'<li><span class="where">{_e(where(str(item.get("location", ""))))}</span>'
                f'<span class="excerpt">{_e(before)}{marked}{_e(after)}</span>{read_as}</li>'
            )
        total = violation.get("evidence_total", len(evidence))
        if total > MAX_EVIDENCE_SHOWN:
            parts.append(f'<li class="more">and {total - MAX_EVIDENCE_SHOWN} more places</li>')
        parts.append("</ul>")
    parts.append("</article>")
    return "".join(parts)


def _restricted_link(report: dict[str, Any], link: Any) -> str:
    """One restricted link in words: who, whose, as what, and that contact is barred."""
    if not isinstance(link, dict):
        return ""
    student = str(link.get("student", ""))
    student_name = report.get("names", {}).get(student)
    whose = f"{student_name} ({student})" if student_name else student
    who = f"{link.get('contact_name', '')} ({link.get('contact', '')})".strip()
    return (
        f'<p class="restricted">Restricted link: {_e(who)}, {_e(link.get("relationship", ""))}'
        f" of {_e(whose)}, is restricted for this student (a custody order or no-contact "
        "order): the notice must not reach this contact.</p>"
    )


_PART = re.compile(r"part (?P<number>[\d.]+) (?P<rest>.*)")
_KINDS = {"text/plain": "Text of the message", "text/html": "HTML of the message"}


def where(location: str) -> str:
    """A location of report.json in words: "Subject header", "Text of the message (part 1)",
    "Attachment class-list.csv (part 3)"; unknown forms as they are."""
    suffix = ""
    if location.endswith(URL_DECODED):
        location, suffix = location.removesuffix(URL_DECODED), ", in a link (decoded)"
    if location.startswith("header:"):
        return f"{location.removeprefix('header:')} header{suffix}"
    match = _PART.fullmatch(location)
    if match is None:
        return location + suffix
    number, rest = match["number"], match["rest"]
    if rest in _KINDS:
        return f"{_KINDS[rest]} (part {number}){suffix}"
    if rest.startswith("attachment "):
        return f"Attachment {rest.removeprefix('attachment ')} (part {number}){suffix}"
    return location + suffix


def excerpt_parts(evidence: dict[str, Any]) -> tuple[str, str, str]:
    """(before, matched, after) as shown: the evidence is cut at a fixed width around the
    match, so the word cut at either end is dropped and the cut marked."""
    before, matched, after = evidence_parts(evidence)
    if not matched:
        return before, matched, after
    if len(before) >= CONTEXT and " " in before:
        before = "\u2026 " + before.split(" ", 1)[1]
    if len(after) >= CONTEXT and " " in after:
        after = after.rsplit(" ", 1)[0] + " \u2026"
    return before, matched, after


def _error_section(report: dict[str, Any]) -> str:
    parts = [
        '<h2 id="error">What went wrong</h2><section class="card">',
        f"<p>{_e(report.get('error', 'unknown error'))}</p>",
        '<p class="muted">Nothing was judged: a run that could not see all the mail is never '
        "reported as a pass.</p>",
    ]
    adapter = report.get("adapter", {})
    if adapter.get("exit_code") is not None:
        parts.append(f"<p>Pipeline exit code: <code>{_e(adapter['exit_code'])}</code></p>")
    for stream in ("stdout", "stderr"):
        if adapter.get(stream):
            parts.append(f"<h3>Pipeline {stream}</h3><pre>{_e(adapter[stream])}</pre>")
    parts.append("</section>")
    return "".join(parts)


def _counterexample(value: Any) -> str:
    """The smallest roster that still shows the failure, in whatever form the report holds."""
    parts = [
        '<h2 id="counterexample">Smallest roster that shows the failure</h2>',
        '<section class="card">',
    ]
    roster = value
    if isinstance(value, dict):
        roster = value.get("roster", value)
        for key, item in value.items():
            if key != "roster" and not isinstance(item, dict | list):
                parts.append(f"<p><b>{_e(key)}</b>: <code>{_e(item)}</code></p>")
    if isinstance(roster, dict) and any(k in roster for k in ("students", "contacts", "links")):
        for key in ("students", "contacts", "links"):
            records = roster.get(key)
            if isinstance(records, list) and records:
                parts.append(_records_table(key, records))
    elif isinstance(roster, str):
        parts.append(f"<p><code>{_e(roster)}</code></p>")
    else:
        parts.append(f"<pre>{_e(json.dumps(roster, indent=2, ensure_ascii=False))}</pre>")
    parts.append("</section>")
    return "".join(parts)


def _records_table(title: str, records: list[Any]) -> str:
    columns: list[str] = []
    for record in records:
        if isinstance(record, dict):
            columns += [k for k in record if k not in columns]
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    rows = []
    for record in records[:MAX_ROSTER_ROWS]:
        cells = record if isinstance(record, dict) else {}
        rows.append(
            "<tr>" + "".join(f"<td>{_e(_cell(cells.get(c, '')))}</td>" for c in columns) + "</tr>"
        )
    more = len(records) - MAX_ROSTER_ROWS
    note = f'<p class="more">and {more} more</p>' if more > 0 else ""
    return (
        f"<h3>{_e(title)} ({len(records)})</h3><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return str(value)
