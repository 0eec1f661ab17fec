"""summary.md: a short summary for a pull-request comment (GitHub/GitLab-flavoured Markdown)."""

from __future__ import annotations

import re
from typing import Any

from harness.report.view import check_counts, copy_headers_of, grouped_violations, students_text

__all__ = ["render_markdown"]

FIRST_VIOLATIONS = 5

_VERDICT = {
    "pass": "PASS: no privacy violations",
    "fail": "FAIL: violations found",
    "error": "ERROR: the run could not be judged",
}

# Markdown (and the HTML a comment may hold) that could change how a cell or line renders.
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def _plain(text: object) -> str:
    """Text from a report (names, subjects: anything a pipeline sent) as inert Markdown."""
    return _MARKUP.sub(r"\\\1", " ".join(str(text).split()))


def _code(text: object) -> str:
    """Inline code that no backtick in the text can close early."""
    value = " ".join(str(text).split())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def render_markdown(report: dict[str, Any]) -> str:
    run = report.get("run", {})
    verdict = report["verdict"]
    lines = [f"### mailharness: {_VERDICT.get(verdict, verdict)}", ""]
    described = [
        f"adapter {_code(run['adapter'])}" if "adapter" in run else "",
        f"roster {_plain(run['roster'])}" if "roster" in run else "",
        f"campaign {_code(run['campaign'])}" if "campaign" in run else "",
    ]
    lines += [", ".join(d for d in described if d), ""]
    if verdict == "error":
        lines += [f"**Error:** {_plain(report.get('error', ''))}", ""]
    else:
        summary = report["summary"]
        lines += [
            f"{summary.get('students', '?')} students, {summary.get('selected', '?')} selected; "
            f"expected {summary.get('expected_copies', '?')} copies, captured "
            f"{summary.get('copies', '?')} copies to {summary.get('recipients', '?')} "
            f"recipients; **{summary.get('violations', 0)} violations**.",
            "",
            "| check | severity | violations |",
            "|---|---|---:|",
        ]
        lines += [
            f"| `{c.id}` | {c.severity} | {c.violations}{' :x:' if c.violations else ''} |"
            for c in check_counts(report)
        ]
        lines.append("")
        first = [v for _, found in grouped_violations(report) for v in found][:FIRST_VIOLATIONS]
        if first:
            lines += ["First violations:", ""]
            for violation in first:
                item = f"- **{violation['check']}** to {_plain(violation['recipient'])}"
                students = students_text(report, violation)
                if students:
                    item += f" (students {_plain(students)})"
                subject = copy_headers_of(report, violation).get("Subject")
                if subject:
                    item += f", subject {_code(subject[:120])}"
                lines.append(item)
                for evidence in violation.get("evidence", [])[:1]:
                    lines.append(
                        f"  - {_plain(evidence['location'])}: {_code(evidence['text'][:200])}"
                    )
            lines.append("")
    if "reproduce" in run:
        command = str(run["reproduce"])
        fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", command)), default=0) + 1)
        lines += ["Reproduce with:", "", fence, command, fence, ""]
    return "\n".join(lines)
