"""OneRoster CSV columns: the standard's headers, mailharness' extension columns, and how a
header as districts write it (any case, `Email`, `e-mail`, `emailAddress`) reads as the standard
column."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from harness.errors import RosterError

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
CONTACT_ROLES = frozenset({"parent", "guardian", "relative"})


def grade_code(grade: int) -> str:
    return "KG" if grade == 0 else f"{grade:02d}"


def parse_grade(code: str) -> int:
    return 0 if code.strip().upper() in ("KG", "K", "00", "0") else int(code)


# Names real exports use for a standard column; compared as `column_key` gives them.
ALIASES = {
    "agentsourceids": "agentSourcedIds",  # a common misspelling
    "mail": "email",
    "emailaddress": "email",
    "emailaddr": "email",
    "primaryemail": "email",
    "electronicmail": "email",
}

# The columns reading needs, per file: without one, every row would read as empty there.
REQUIRED: dict[str, tuple[str, ...]] = {
    "users.csv": ("sourcedId", "givenName", "familyName", "email"),
    "orgs.csv": ("sourcedId", "name"),
    "roles.csv": ("userSourcedId", "role", "orgSourcedId"),
    "demographics.csv": ("sourcedId",),
}


def column_key(name: str) -> str:
    """A header compared without case, spaces, hyphens or underscores."""
    return "".join(ch for ch in name.strip().casefold() if ch not in " -_")


KNOWN = {
    column_key(column): column
    for columns in (*HEADERS.values(), USERS_1_1, USERS_1_2, ROLES_1_2, EXTENSIONS)
    for column in columns
}
KNOWN.update({key: KNOWN[column_key(column)] for key, column in ALIASES.items()})


def standard_columns(file: str, header: Sequence[str]) -> list[str]:
    """The header's columns under their standard names (unknown ones as written); an error
    naming the file and column when two columns read as one, or a required one is missing."""
    columns: list[str] = []
    for name in header:
        column = KNOWN.get(column_key(name), name.strip())
        if column in columns:
            raise RosterError(f"{file}:1: two columns read as {column}: remove one")
        columns.append(column)
    for column in REQUIRED.get(file.casefold(), ()):
        if column not in columns:
            unknown = [name for name in columns if name not in KNOWN.values()]
            near = difflib.get_close_matches(column, unknown, n=1, cutoff=0.6)
            hint = f" ({near[0]!r} is not a OneRoster column: misspelled?)" if near else ""
            raise RosterError(f"{file}: missing column {column}{hint}")
    return columns
