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
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import RosterError
from harness.roster.model import Contact, Link, Roster, Student

VERSIONS = ("1.1", "1.2")
STAMP = "2026-08-01T00:00:00Z"
DISTRICT_ID = "ORG-DISTRICT"
SESSION_ID = "AS-2026"

HEADERS: dict[str, tuple[str, ...]] = {
    "academicSessions.csv": (
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ),
    "orgs.csv": (
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId",
    ),
    "courses.csv": (
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
        "grades", "orgSourcedId", "subjects", "subjectCodes",
    ),
    "classes.csv": (
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
        "subjectCodes", "periods",
    ),
    "enrollments.csv": (
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate",
    ),
    "demographics.csv": (
        "sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
        "cityOfBirth", "publicSchoolResidenceStatus",
    ),
}  # fmt: skip
USERS_1_1 = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
    "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms",
    "phone", "agentSourcedIds", "grades", "password",
)  # fmt: skip
USERS_1_2 = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
    "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
    "agentSourcedIds", "grades", "password", "userMasterIdentifier", "resourceSourcedIds",
    "preferredGivenName", "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId",
    "pronouns",
)  # fmt: skip
ROLES_1_2 = (
    "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
    "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId",
)  # fmt: skip
META = "metadata.mailharness."
EXTENSIONS = tuple(
    META + name for name in ("receivesMail", "restricted", "relationships", "language", "sensitive")
)
FILES_1_1 = ("categories", "classResources", "courseResources", "lineItems", "resources", "results")
PARENT_RELATIONSHIPS = frozenset({"mother", "father", "parent", "stepparent"})
CONTACT_ROLES = frozenset({"parent", "guardian", "relative"})


def grade_code(grade: int) -> str:
    return "KG" if grade == 0 else f"{grade:02d}"


def parse_grade(code: str) -> int:
    return 0 if code.strip().upper() in ("KG", "K", "00", "0") else int(code)


# --- writing ------------------------------------------------------------------------------


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


# --- reading ------------------------------------------------------------------------------


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


# A common misspelling that real exports carry; read as the standard column.
ALIASES = {"agentsourceids": "agentSourcedIds"}


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
            columns = [ALIASES.get(name.strip().casefold(), name.strip()) for name in header]
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
    return [name.strip() for name in header]


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
