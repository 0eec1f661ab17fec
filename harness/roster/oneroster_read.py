"""Reading a OneRoster 1.1 or 1.2 CSV bundle into a Roster (the columns: oneroster_columns)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import RosterError
from harness.roster.model import Contact, Link, Roster, Student
from harness.roster.oneroster_columns import (
    CONTACT_ROLES,
    KNOWN,
    META,
    column_key,
    parse_grade,
    standard_columns,
)


@dataclass(frozen=True)
class _Row:
    file: str
    number: int  # as a spreadsheet counts: the header is row 1
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def need(self, column: str) -> str:
        value = self.get(column)
        if not value:
            raise self.error(column, "required, empty")
        return value

    def error(self, column: str, what: str) -> RosterError:
        return RosterError(f"{self.file}:{self.number}:{column}: {what}")

    def ids(self, column: str) -> list[str]:
        return [part.strip() for part in self.get(column).split(",") if part.strip()]


def read_bundle(directory: Path) -> Roster:
    """A Roster from a OneRoster 1.1 or 1.2 CSV bundle (file names in any case)."""
    if not directory.is_dir():
        raise RosterError(f"{directory}: not a directory of OneRoster CSV files")
    files = {path.name.casefold(): path for path in directory.iterdir() if path.is_file()}
    if "users.csv" not in files:
        raise RosterError(f"{directory}: no users.csv: not a OneRoster bundle")

    orgs = {row.need("sourcedId"): row for row in _rows(files.get("orgs.csv"))}
    roles: dict[str, list[_Row]] = {}
    for row in _rows(files.get("roles.csv")):
        roles.setdefault(row.need("userSourcedId"), []).append(row)
    if "roles.csv" not in files and "role" not in _columns(files["users.csv"]):
        raise RosterError("users.csv:1: no role column, and no roles.csv (OneRoster 1.2)")
    births = {
        row.need("sourcedId"): row.get("birthDate") for row in _rows(files.get("demographics.csv"))
    }

    students: list[Student] = []
    contacts: list[Contact] = []
    student_rows: dict[str, _Row] = {}
    contact_rows: dict[str, _Row] = {}
    users: set[str] = set()
    for row in _rows(files["users.csv"]):
        user_id = row.need("sourcedId")
        users.add(user_id)
        role, org_ids = _role_and_orgs(row, roles.get(user_id, []))
        if user_id in student_rows or user_id in contact_rows:
            raise row.error("sourcedId", f"duplicate user {user_id}")
        if role == "student":
            student_rows[user_id] = row
            students.append(_student(row, user_id, org_ids, orgs, births))
        elif role in CONTACT_ROLES:
            contact_rows[user_id] = row
            contacts.append(
                Contact(
                    user_id,
                    row.need("givenName"),
                    row.need("familyName"),
                    row.get("email") or None,
                    row.get(META + "language") or "en",
                )
            )
    for user_id, user_roles in roles.items():
        if user_id not in users:
            raise user_roles[0].error("userSourcedId", f"unknown user {user_id}")
    links = _links(student_rows, contact_rows)
    return Roster(tuple(students), tuple(contacts), tuple(links))


def _rows(path: Path | None) -> Iterator[_Row]:
    if path is None:
        return
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None:
                raise RosterError(f"{path.name}:1: empty file, expected a header row")
            columns = standard_columns(path.name, header)
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(columns):
                    raise RosterError(
                        f"{path.name}:{number}: {len(values)} fields, the header has {len(columns)}"
                    )
                yield _Row(path.name, number, dict(zip(columns, values, strict=False)))
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path.name}: not UTF-8 (invalid byte at offset {exc.start})") from None
    except csv.Error as exc:
        raise RosterError(f"{path.name}: not valid CSV: {exc}") from None


def _columns(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream), [])
    return [KNOWN.get(column_key(name), name.strip()) for name in header]


def _role_and_orgs(row: _Row, roles: list[_Row]) -> tuple[str, list[str]]:
    if "role" in row.values:  # 1.1
        return row.need("role").casefold(), row.ids("orgSourcedIds")
    if not roles:  # 1.2 without a role for this user: not someone mailharness knows
        return "", []
    primary = sorted(roles, key=lambda r: r.get("roleType") != "primary")
    return primary[0].need("role").casefold(), [r.need("orgSourcedId") for r in primary]


def _student(
    row: _Row, user_id: str, org_ids: list[str], orgs: Mapping[str, _Row], births: Mapping[str, str]
) -> Student:
    if not org_ids:
        raise row.error("orgSourcedIds", f"student {user_id} belongs to no school")
    org = orgs.get(org_ids[0])
    if org is None:
        raise row.error("orgSourcedIds", f"unknown org {org_ids[0]} (not in orgs.csv)")
    grades = row.ids("grades")
    try:
        grade = parse_grade(grades[0]) if grades else 0
    except ValueError:
        raise row.error("grades", f"not a grade: {grades[0]!r}") from None
    sensitive_text = row.get(META + "sensitive")
    try:
        sensitive = json.loads(sensitive_text) if sensitive_text else {}
    except json.JSONDecodeError:
        raise row.error(META + "sensitive", "not a JSON object") from None
    if not isinstance(sensitive, dict) or not all(isinstance(v, str) for v in sensitive.values()):
        raise row.error(META + "sensitive", "not a JSON object of strings")
    return Student(
        user_id,
        row.need("givenName"),
        row.need("familyName"),
        grade,
        org.need("name"),
        births.get(user_id, ""),
        sensitive,
    )


def _links(student_rows: Mapping[str, _Row], contact_rows: Mapping[str, _Row]) -> list[Link]:
    """Links from both sides' agentSourcedIds; flags from the contact's extension columns."""
    pairs: dict[tuple[str, str], None] = {}
    for student_id, row in student_rows.items():
        for contact_id in row.ids("agentSourcedIds"):
            if contact_id not in contact_rows:
                raise row.error("agentSourcedIds", f"unknown parent or guardian {contact_id}")
            pairs[(student_id, contact_id)] = None
    for contact_id, row in contact_rows.items():
        for student_id in row.ids("agentSourcedIds"):
            if student_id not in student_rows:
                raise row.error("agentSourcedIds", f"unknown student {student_id}")
            pairs[(student_id, contact_id)] = None
    links = []
    for student_id, contact_id in pairs:
        row = contact_rows[contact_id]
        flagged = META + "receivesMail" in row.values
        relationships = dict(
            item.split(":", 1) for item in row.ids(META + "relationships") if ":" in item
        )
        links.append(
            Link(
                student_id,
                contact_id,
                relationships.get(student_id) or row.get("role") or "guardian",
                receives_mail=student_id in row.ids(META + "receivesMail") if flagged else True,
                contact_restricted=student_id in row.ids(META + "restricted"),
            )
        )
    return links
