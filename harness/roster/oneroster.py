"""OneRoster CSV bundles (1.1 and 1.2): what a district's student information system exports.

Writing: one district org and one org per school, one school-year session, a homeroom course
and class per (school, grade), users (students, and their contacts as parents, guardians or
relatives linked through agentSourcedIds), student enrollments and demographics; 1.2 adds
roles.csv (roles move out of users.csv there).

OneRoster has no per-link flags, so what mailharness needs beyond the standard travels in
`metadata.mailharness.*` extension columns of users.csv (the spec's extension mechanism):

| column | on | value |
|---|---|---|
| `metadata.mailharness.receivesMail` | contact | student ids whose mail this contact receives |
| `metadata.mailharness.restricted` | contact | student ids it is restricted for (custody order) |
| `metadata.mailharness.relationships` | contact | `S-ID:relationship` pairs |
| `metadata.mailharness.language` | contact | preferred language |
| `metadata.mailharness.sensitive` | student | the student's sensitive fields, as a JSON object |

Id lists are comma-separated, as agentSourcedIds is. Reading a bundle without these columns
(a real SIS export) gives every linked contact `receives_mail` and no restriction.
The column names live in oneroster_columns.py, reading in oneroster_read.py.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path

from harness.errors import RosterError
from harness.roster.model import Roster
from harness.roster.oneroster_columns import (
    EXTENSIONS,
    HEADERS,
    META,
    ROLES_1_2,
    USERS_1_1,
    USERS_1_2,
    grade_code,
)
from harness.roster.oneroster_read import read_bundle

__all__ = [
    "EXTENSIONS",
    "HEADERS",
    "ROLES_1_2",
    "USERS_1_1",
    "USERS_1_2",
    "VERSIONS",
    "read_bundle",
    "write_bundle",
]

VERSIONS = ("1.1", "1.2")
STAMP = "2026-08-01T00:00:00Z"
DISTRICT_ID = "ORG-DISTRICT"
SESSION_ID = "AS-2026"

FILES_1_1 = ("categories", "classResources", "courseResources", "lineItems", "resources", "results")
PARENT_RELATIONSHIPS = frozenset({"mother", "father", "parent", "stepparent"})


def write_bundle(roster: Roster, directory: Path, version: str = "1.1") -> None:
    """Write the roster as a OneRoster CSV bundle of `version` into `directory`."""
    if version not in VERSIONS:
        raise RosterError(f"OneRoster version {version!r}: expected one of {', '.join(VERSIONS)}")
    directory.mkdir(parents=True, exist_ok=True)
    schools = sorted({s.school for s in roster.students})
    org_of = {name: f"ORG-{i + 1:03d}" for i, name in enumerate(schools)}
    classes = sorted({(s.school, s.grade) for s in roster.students})
    class_of = {key: f"CL-{org_of[key[0]]}-{grade_code(key[1])}" for key in classes}

    tables: dict[str, list[dict[str, str]]] = {name: [] for name in HEADERS}
    tables["academicSessions.csv"].append(
        _row(
            sourcedId=SESSION_ID,
            title="2026-2027",
            type="schoolYear",
            startDate="2026-08-15",
            endDate="2027-06-05",
            schoolYear="2027",
        )
    )
    tables["orgs.csv"].append(
        _row(
            sourcedId=DISTRICT_ID,
            name="Synthetic Unified School District",
            type="district",
            identifier="SUSD",
        )
    )
    for name in schools:
        tables["orgs.csv"].append(
            _row(sourcedId=org_of[name], name=name, type="school", parentSourcedId=DISTRICT_ID)
        )
    for school, grade in classes:
        course = f"CO-{org_of[school]}-{grade_code(grade)}"
        tables["courses.csv"].append(
            _row(
                sourcedId=course,
                schoolYearSourcedId=SESSION_ID,
                title=f"Homeroom {grade_code(grade)}",
                grades=grade_code(grade),
                orgSourcedId=org_of[school],
            )
        )
        tables["classes.csv"].append(
            _row(
                sourcedId=class_of[(school, grade)],
                title=f"Homeroom {grade_code(grade)}",
                grades=grade_code(grade),
                courseSourcedId=course,
                classType="homeroom",
                schoolSourcedId=org_of[school],
                termSourcedIds=SESSION_ID,
            )
        )
    for student in roster.students:
        key = (student.school, student.grade)
        tables["enrollments.csv"].append(
            _row(
                sourcedId=f"EN-{student.id}",
                classSourcedId=class_of[key],
                schoolSourcedId=org_of[student.school],
                userSourcedId=student.id,
                role="student",
                primary="false",
            )
        )
        tables["demographics.csv"].append(_row(sourcedId=student.id, birthDate=student.birth_date))

    users, roles = _users(roster, org_of, version)
    for name, rows in tables.items():
        _write(directory / name, HEADERS[name], rows)
    _write(
        directory / "users.csv",
        (*(USERS_1_1 if version == "1.1" else USERS_1_2), *EXTENSIONS),
        users,
    )
    written = [*HEADERS, "users.csv"]
    if version == "1.2":
        _write(directory / "roles.csv", ROLES_1_2, roles)
        written.append("roles.csv")
    _write_manifest(directory, version, written)


def _users(
    roster: Roster, org_of: Mapping[str, str], version: str
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    users: list[dict[str, str]] = []
    roles: list[dict[str, str]] = []

    def add(row: dict[str, str], role: str, orgs: list[str]) -> None:
        if version == "1.1":
            row.update(role=role, orgSourcedIds=",".join(orgs))
        else:
            row["primaryOrgSourcedId"] = orgs[0] if orgs else ""
            for i, org in enumerate(orgs):
                roles.append(
                    _row(
                        sourcedId=f"RO-{row['sourcedId']}-{i + 1}",
                        userSourcedId=row["sourcedId"],
                        roleType="primary" if i == 0 else "secondary",
                        role=role,
                        orgSourcedId=org,
                    )
                )
        users.append(row)

    for student in roster.students:
        links = roster.links_by_student.get(student.id, ())
        row = _row(
            sourcedId=student.id,
            enabledUser="true",
            username=student.id.lower(),
            givenName=student.first_name,
            familyName=student.last_name,
            identifier=student.id,
            agentSourcedIds=",".join(link.contact_id for link in links),
            grades=grade_code(student.grade),
        )
        row[META + "sensitive"] = json.dumps(dict(student.sensitive), ensure_ascii=False)
        add(row, "student", [org_of[student.school]])
    for contact in roster.contacts:
        links = roster.links_by_contact.get(contact.id, ())
        relationships = {link.relationship for link in links}
        role = (
            "parent"
            if relationships & PARENT_RELATIONSHIPS
            else "guardian"
            if "guardian" in relationships
            else "relative"
        )
        row = _row(
            sourcedId=contact.id,
            enabledUser="true",
            username=contact.id.lower(),
            givenName=contact.first_name,
            familyName=contact.last_name,
            email=contact.email or "",
            agentSourcedIds=",".join(link.student_id for link in links),
        )
        row[META + "receivesMail"] = ",".join(
            link.student_id for link in links if link.receives_mail
        )
        row[META + "restricted"] = ",".join(
            link.student_id for link in links if link.contact_restricted
        )
        row[META + "relationships"] = ",".join(
            f"{link.student_id}:{link.relationship}" for link in links
        )
        row[META + "language"] = contact.language
        orgs = sorted({org_of[roster.student_by_id[link.student_id].school] for link in links})
        add(row, role, orgs)
    return users, roles


def _row(**values: str) -> dict[str, str]:
    return {"status": "active", "dateLastModified": STAMP, **values}


def _write(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header, restval="", extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)


def _write_manifest(directory: Path, version: str, written: list[str]) -> None:
    present = {name.removesuffix(".csv") for name in written}
    names = sorted(present | set(FILES_1_1) | ({"userProfiles"} if version == "1.2" else set()))
    rows = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": version},
        *(
            {"propertyName": f"file.{name}", "value": "bulk" if name in present else "absent"}
            for name in names
        ),
        {"propertyName": "source.systemName", "value": "mailharness"},
        {"propertyName": "source.systemCode", "value": "synthetic"},
    ]
    _write(directory / "manifest.csv", ("propertyName", "value"), rows)
