"""junit.xml: parses, and carries what GitLab's and Jenkins' JUnit readers show."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.oracle.checks import CHECKS
from harness.report.junit import render_junit

from .conftest import load

SUITE_ATTRIBUTES = {"name", "tests", "failures", "errors", "skipped", "time"}


def parse(report_dir: Path) -> ET.Element:
    return ET.parse(report_dir / "junit.xml").getroot()


def test_a_failed_run_has_a_testcase_per_check_and_failures_with_evidence(
    failed_run: Path,
) -> None:
    report = load(failed_run)
    root = parse(failed_run)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert set(suite.attrib) >= SUITE_ATTRIBUTES
    assert set(root.attrib) >= SUITE_ATTRIBUTES - {"skipped"}
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [spec.id for spec in CHECKS]
    assert all(c.get("classname", "").startswith("mailharness.") and c.get("time") for c in cases)
    fired = {check for check, n in report["summary"]["violations_by_check"].items() if n}
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failed) == fired
    assert int(suite.get("failures", "")) == len(fired)
    assert int(suite.get("tests", "")) == len(CHECKS)
    assert (suite.get("errors"), suite.get("skipped")) == ("0", "0")
    first = report["violations"][0]
    failure = failed[first["check"]]
    assert failure is not None
    assert failure.get("type") == first["severity"]
    assert failure.get("message", "").startswith(
        f"{report['summary']['violations_by_check'][first['check']]} critical violation"
    )
    text = failure.text or ""
    assert first["recipient"] in text
    assert first["students"][0] in text
    assert first["evidence"][0]["text"] in text
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["reproduce"] == report["run"]["reproduce"]


def test_a_passed_run_has_only_passing_testcases(passed_run: Path) -> None:
    (suite,) = parse(passed_run).findall("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert all(len(case) == 0 for case in suite.findall("testcase"))


def test_an_errored_run_is_an_error_testcase_and_no_check_passes(errored_run: Path) -> None:
    (suite,) = parse(errored_run).findall("testsuite")
    assert (suite.get("errors"), suite.get("failures")) == ("1", "0")
    assert suite.get("skipped") == str(len(CHECKS))
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    error = cases["run"].find("error")
    assert error is not None
    assert "exit" in error.get("message", "")
    assert "SMTP relay refused the connection" in (error.text or "")
    assert all(cases[spec.id].find("skipped") is not None for spec in CHECKS)


def test_bytes_xml_cannot_hold_still_give_a_file_that_parses(failed_run: Path) -> None:
    report = load(failed_run)
    report["violations"][0]["evidence"][0]["text"] = "bell \x07 nul \x00 esc \x1b ]]> </failure>"
    report["run"]["adapter"] = "cmd:./send \x01 & <all>"
    root = ET.fromstring(render_junit(report))
    texts = "".join(root.itertext())
    assert "]]> </failure>" in texts
    assert "\x00" not in texts
