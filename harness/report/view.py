"""Reading report.json for the renderers (JUnit, HTML, Markdown): one place that knows its
shape, so that every format says the same thing about a run.

report.json may be a judged run (`verdict` pass or fail, with `summary` and `violations`) or a
run that could not look (`verdict` error, with `error`); renderers get the same answers from
both through these helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.oracle.checks import CHECKS

__all__ = [
    "SEVERITIES",
    "CheckCount",
    "ReportError",
    "check_counts",
    "contacts_text",
    "copy_headers_of",
    "evidence_parts",
    "grouped_violations",
    "load_report",
    "students_text",
]

SEVERITIES = ("critical", "major", "minor")


class ReportError(HarnessError):
    """A report.json that is missing or is not one mailharness wrote."""


def load_report(path: Path) -> dict[str, Any]:
    """report.json from a file, or from a run directory holding one."""
    if path.is_dir() or path.suffix != ".json":
        path = path / "report.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file (run `mailharness run` first)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON: line {exc.lineno}: {exc.msg}") from None
    if not isinstance(report, dict) or not str(report.get("schema", "")).startswith(
        "mailharness.report/"
    ):
        raise ReportError(f"{path}: not a mailharness report (no mailharness.report schema)")
    if report.get("verdict") not in ("pass", "fail", "error"):
        raise ReportError(f"{path}: verdict: expected pass, fail or error")
    if report["verdict"] != "error":
        for key, kind, named in (("summary", dict, "an object"), ("violations", list, "a list")):
            if not isinstance(report.get(key), kind):
                raise ReportError(f"{path}: {key}: missing or not {named}")
    return report


@dataclass(frozen=True)
class CheckCount:
    id: str
    severity: str
    fires_when: str
    violations: int


def check_counts(report: dict[str, Any]) -> list[CheckCount]:
    """Every check the run applied (the report's own list, else today's), with its count."""
    checks = report.get("checks") or [
        {"id": s.id, "severity": s.severity, "fires_when": s.fires_when} for s in CHECKS
    ]
    by_check = report.get("summary", {}).get("violations_by_check", {})
    return [
        CheckCount(c["id"], c["severity"], c.get("fires_when", ""), int(by_check.get(c["id"], 0)))
        for c in checks
    ]


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def grouped_violations(report: dict[str, Any]) -> list[tuple[CheckCount, list[dict[str, Any]]]]:
    """(check, its violations) for every check that fired, most severe first."""
    by_check: dict[str, list[dict[str, Any]]] = {}
    for violation in report.get("violations", []):
        by_check.setdefault(violation["check"], []).append(violation)
    counts = {c.id: c for c in check_counts(report)}
    for check_id, found in by_check.items():  # a check this version does not know
        if check_id not in counts:
            severity = found[0].get("severity", "")
            counts[check_id] = CheckCount(check_id, severity, "", len(found))
    order = sorted(counts.values(), key=lambda c: _severity_rank(c.severity))
    return [(c, by_check[c.id]) for c in order if c.id in by_check]


def copy_headers_of(report: dict[str, Any], violation: dict[str, Any]) -> dict[str, str]:
    """The headers of the captured message a violation points at ({} when none)."""
    seq = violation.get("message")
    if seq is None:
        return {}
    headers: dict[str, str] = report.get("messages", {}).get(str(seq), {})
    return headers


def evidence_parts(evidence: dict[str, Any]) -> tuple[str, str, str]:
    """(before, matched, after) of an evidence text; all of it is `before` when the match is
    not known."""
    text = str(evidence.get("text", ""))
    match = evidence.get("match")
    if (
        isinstance(match, list)
        and len(match) == 2
        and all(isinstance(i, int) for i in match)
        and 0 <= match[0] <= match[1] <= len(text)
    ):
        return text[: match[0]], text[match[0] : match[1]], text[match[1] :]
    return text, "", ""


def students_text(report: dict[str, Any], violation: dict[str, Any], limit: int = 5) -> str:
    """ "Ann Lee (S-AAAAAAA1), Ben Lee (S-AAAAAAA2) and 3 more": names when the report has them."""
    return _listed(
        report, list(violation.get("students", [])), violation.get("students_total"), limit
    )


def contacts_text(report: dict[str, Any], violation: dict[str, Any], limit: int = 5) -> str:
    return _listed(
        report, list(violation.get("contacts", [])), violation.get("contacts_total"), limit
    )


def _listed(report: dict[str, Any], ids: list[str], total: object, limit: int) -> str:
    names = report.get("names", {})
    shown = ", ".join(f"{names[i]} ({i})" if i in names else i for i in ids[:limit])
    more = (total if isinstance(total, int) else len(ids)) - min(limit, len(ids))
    return shown + (f" and {more} more" if more > 0 else "")
