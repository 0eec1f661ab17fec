"""What report.json adds for the renderers: the copy's headers, names, the marked match."""

from __future__ import annotations

from pathlib import Path

from harness.oracle.normalize import normalize

from .conftest import load


def test_every_violation_of_a_copy_points_at_its_headers(failed_run: Path) -> None:
    report = load(failed_run)
    for violation in report["violations"]:
        if "message" in violation:
            headers = report["messages"][str(violation["message"])]
            assert violation["recipient"] in headers["To"].lower()
            assert headers["From"] == "nurse@district.example.org"
        else:
            assert violation["check"] == "missing-notice"


def test_the_match_marks_a_token_of_the_students_named(failed_run: Path) -> None:
    report = load(failed_run)
    marked = 0
    for violation in (v for v in report["violations"] if v["check"] == "foreign-student-data"):
        names = {normalize(report["names"][s]) for s in violation["students"]}
        ids = {normalize(s) for s in violation["students"]}
        for evidence in violation["evidence"]:
            start, end = evidence["match"]
            # The recipient's own text is marked; it reads as a name or id of those students.
            assert normalize(evidence["text"][start:end]) in names | ids
            marked += 1
    assert marked > 0
