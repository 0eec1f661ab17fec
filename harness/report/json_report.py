"""report.json: the one result model that every other report format is rendered from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.oracle.checks import CHECKS, MAX_LISTED, Violation
from harness.result import RunResult

SCHEMA = "mailharness.report/1"


def violation_dict(violation: Violation) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "check": violation.check,
        "severity": violation.severity,
        "recipient": violation.recipient,
        "students": list(violation.students[:MAX_LISTED]),
        "evidence": [e.as_dict() for e in violation.evidence[:MAX_LISTED]],
    }
    if len(violation.students) > MAX_LISTED:
        entry["students_total"] = len(violation.students)
    if len(violation.evidence) > MAX_LISTED:
        entry["evidence_total"] = len(violation.evidence)
    if violation.contacts:
        entry["contacts"] = list(violation.contacts[:MAX_LISTED])
        if len(violation.contacts) > MAX_LISTED:
            entry["contacts_total"] = len(violation.contacts)
    if violation.message_seq is not None:
        entry["message"] = violation.message_seq
    return entry


def build_report(result: RunResult, *, run: dict[str, Any]) -> dict[str, Any]:
    """`run` describes how the run was made (adapter, seed, roster, reproduce command)."""
    by_check = {spec.id: 0 for spec in CHECKS}
    for violation in result.violations:
        by_check[violation.check] += 1
    roster, campaign = result.plan.roster, result.plan.campaign
    return {
        "schema": SCHEMA,
        "verdict": "pass" if result.passed else "fail",
        "run": run,
        "summary": {
            "students": len(roster.students),
            "contacts": len(roster.contacts),
            "selected": len(campaign.selected),
            "expected_copies": result.plan.expected_copies,
            "messages": result.messages,
            "copies": result.copies,
            "recipients": result.recipients,
            "connections": result.connections,
            "refusals": result.refusals,
            "violations": sum(by_check.values()),
            "violations_by_check": by_check,
        },
        "checks": [
            {"id": spec.id, "severity": spec.severity, "fires_when": spec.fires_when}
            for spec in CHECKS
        ],
        "violations": [_with_links(violation_dict(v), v, result) for v in result.violations],
        "adapter": {
            "spec": result.outcome.spec,
            "exit_code": result.outcome.exit_code,
            "stdout": result.outcome.stdout,
            "stderr": result.outcome.stderr,
        },
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        # message seq (a violation's "message") -> the headers its recipients saw
        "messages": {str(seq): headers for seq, headers in sorted(result.headers.items())},
        "names": _names(result),
    }


def passing_report(run: dict[str, Any]) -> dict[str, Any]:
    """report.json of a search that sent every roster through without a violation."""
    return {
        "schema": SCHEMA,
        "verdict": "pass",
        "run": run,
        "summary": {"violations": 0, "violations_by_check": {spec.id: 0 for spec in CHECKS}},
        "violations": [],
    }


def error_report(error: BaseException, run: dict[str, Any]) -> dict[str, Any]:
    """report.json of a run that ended in `error` before it could be judged."""
    return {"schema": SCHEMA, "verdict": "error", "error": str(error), "run": run}


def _with_links(entry: dict[str, Any], violation: Violation, result: RunResult) -> dict[str, Any]:
    """A restricted-recipient entry names the restricted links (contact, student, relationship)
    that made its recipient one the notice must not reach."""
    if violation.check == "restricted-recipient":
        plan = result.plan
        links = plan.restricted_links(violation.recipient, violation.students[:MAX_LISTED])
        entry["restricted_links"] = [
            {
                "contact": link.contact_id,
                "contact_name": plan.roster.contact_by_id[link.contact_id].full_name,
                "student": link.student_id,
                "relationship": link.relationship,
            }
            for link in links
        ]
    return entry


def _names(result: RunResult) -> dict[str, str]:
    """Student and contact id -> full name, for the ids the violations list (for people:
    "Ivonne Marin (S-34UMYQRA)" says more than the id alone)."""
    roster = result.plan.roster
    names: dict[str, str] = {}
    for violation in result.violations:
        for student_id in violation.students[:MAX_LISTED]:
            if student_id in roster.student_by_id:
                names[student_id] = roster.student_by_id[student_id].full_name
        for contact_id in violation.contacts[:MAX_LISTED]:
            if contact_id in roster.contact_by_id:
                names[contact_id] = roster.contact_by_id[contact_id].full_name
    return names


def write_report(report: dict[str, Any], report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "report.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
