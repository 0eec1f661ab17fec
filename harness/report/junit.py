"""junit.xml for CI: a testsuite per run, a testcase per check, failures carrying the evidence.

The attributes are the ones GitLab's and Jenkins' JUnit readers use: `testsuites`/`testsuite`
with name, tests, failures, errors, skipped, time; `testcase` with classname, name, time;
`failure`/`error` with message and type and the details as text. A run that could not look
is one `error` testcase, and the checks it never applied are `skipped`, never passed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from harness.report.view import check_counts, copy_headers_of, grouped_violations, students_text

__all__ = ["render_junit"]

MAX_VIOLATIONS_LISTED = 50  # per check, in the failure text; report.json has them all

# Characters XML 1.0 cannot hold at all (a pipeline may send any byte; the file must parse).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "run"


def _violation_text(report: dict[str, Any], violation: dict[str, Any]) -> str:
    lines = [f"to {violation['recipient']}"]
    students = students_text(report, violation, limit=10)
    if students:
        lines[0] += f": students {students}"
    headers = copy_headers_of(report, violation)
    if "Subject" in headers:
        lines.append(f"    Subject: {headers['Subject'][:200]}")
    for evidence in violation.get("evidence", [])[:3]:
        lines.append(f"    {evidence['location']}: {evidence['text']}")
    return "\n".join(lines)


def render_junit(report: dict[str, Any]) -> str:
    run = report.get("run", {})
    adapter = str(run.get("adapter", "unknown"))
    classname = f"mailharness.{_slug(adapter)}"
    seconds = f"{sum(report.get('timings', {}).values()):.3f}"
    errored = report["verdict"] == "error"

    suite = ET.Element("testsuite", name=_clean(f"mailharness run --adapter {adapter}"))
    properties = ET.SubElement(suite, "properties")
    for key in ("adapter", "roster", "campaign", "reproduce"):
        if key in run:
            ET.SubElement(properties, "property", name=key, value=_clean(run[key]))

    grouped = {check.id: found for check, found in grouped_violations(report)}
    failures = errors = skipped = 0
    for check in check_counts(report):
        case = ET.SubElement(suite, "testcase", classname=classname, name=check.id, time="0")
        found = grouped.get(check.id, [])
        if errored:
            skipped += 1
            ET.SubElement(case, "skipped", message="not judged: the run could not look")
        elif found:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                type=check.severity,
                message=_clean(
                    f"{len(found)} {check.severity} violation{'s' * (len(found) != 1)}: "
                    f"{check.fires_when}"
                ),
            )
            listed = [_violation_text(report, v) for v in found[:MAX_VIOLATIONS_LISTED]]
            if len(found) > MAX_VIOLATIONS_LISTED:
                listed.append(
                    f"... and {len(found) - MAX_VIOLATIONS_LISTED} more (see report.json)"
                )
            failure.text = _clean("\n".join(listed))
    if errored:
        errors += 1
        case = ET.SubElement(suite, "testcase", classname=classname, name="run", time=seconds)
        error = ET.SubElement(
            case, "error", type="run-error", message=_clean(report.get("error", "error"))
        )
        details = [str(report.get("error", ""))]
        adapter_output = report.get("adapter", {})
        for stream in ("stdout", "stderr"):
            if adapter_output.get(stream):
                details.append(f"adapter {stream}:\n{adapter_output[stream]}")
        error.text = _clean("\n\n".join(details))
    if "reproduce" in run:
        ET.SubElement(suite, "system-out").text = _clean(f"Reproduce with: {run['reproduce']}")

    tests = len(suite.findall("testcase"))
    counts = {
        "tests": str(tests),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": seconds,
    }
    suite.attrib.update(counts)
    suites = ET.Element("testsuites", {"name": "mailharness", **counts})
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
