"""Plan.prepare builds every table up front, under `python -O` too (no work hides in an
assert, which -O drops)."""

from __future__ import annotations

import json
import subprocess
import sys

_PREPARED_TABLES = """
import json
from harness.oracle.plan import Plan
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster

roster = generate_roster(6, 2)
plan = Plan(roster, build_campaign(roster.students)).prepare()
print(json.dumps({"plan": sorted(vars(plan)), "roster": sorted(vars(roster))}))
"""


def test_prepare_builds_the_tables_when_asserts_are_stripped() -> None:
    done = subprocess.run(
        [sys.executable, "-O", "-c", _PREPARED_TABLES],
        capture_output=True,
        text=True,
        check=True,
    )
    built = json.loads(done.stdout)
    assert {"recipients", "_restricted", "authorized"} <= set(built["plan"])
    assert {
        "student_by_id",
        "contact_by_id",
        "links_by_student",
        "links_by_contact",
        "links_by_address",
        "contacts_by_address",
    } <= set(built["roster"])
