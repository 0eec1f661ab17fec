"""OneRoster 1.1 and 1.2 bundles: the standard's files and headers, a lossless round trip,
and errors that name the file, row and column."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import RosterError
from harness.oracle.plan import Plan
from harness.roster.campaign import CAMPAIGN_KINDS, build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster
from harness.roster.oneroster import (
    EXTENSIONS,
    HEADERS,
    ROLES_1_2,
    USERS_1_1,
    USERS_1_2,
    read_bundle,
    write_bundle,
)

ROSTER = generate_roster(220, seed=4)


def header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as stream:
        return tuple(next(csv.reader(stream)))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def same_roster(a: Roster, b: Roster) -> None:
    assert a.student_by_id == b.student_by_id
    assert set(a.contacts) == set(b.contacts)
    assert set(a.links) == set(b.links)
    for kind in CAMPAIGN_KINDS:
        plan_a = Plan(a, build_campaign(a.students, kind))
        plan_b = Plan(b, build_campaign(b.students, kind))
        assert plan_a.recipients == plan_b.recipients


def test_1_1_bundle_has_the_standard_files_and_headers(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    assert {p.name for p in tmp_path.iterdir()} == {*HEADERS, "users.csv", "manifest.csv"}
    assert header(tmp_path / "academicSessions.csv") == (
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    )  # fmt: skip
    for name, expected in HEADERS.items():
        assert header(tmp_path / name) == expected
    assert header(tmp_path / "users.csv") == (*USERS_1_1, *EXTENSIONS)
    assert all(column.startswith("metadata.") for column in EXTENSIONS)
    manifest = {r["propertyName"]: r["value"] for r in rows(tmp_path / "manifest.csv")}
    assert manifest["oneroster.version"] == "1.1"
    assert manifest["file.users"] == manifest["file.enrollments"] == "bulk"
    assert manifest["file.results"] == "absent"
    roles = {r["role"] for r in rows(tmp_path / "users.csv")}
    assert roles <= {"student", "parent", "guardian", "relative"}
    assert {"student", "parent"} <= roles


def test_1_1_round_trip_is_lossless(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    same_roster(ROSTER, read_bundle(tmp_path))


def test_1_2_moves_roles_out_of_users(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.2")
    assert header(tmp_path / "users.csv") == (*USERS_1_2, *EXTENSIONS)
    assert header(tmp_path / "roles.csv") == ROLES_1_2
    manifest = {r["propertyName"]: r["value"] for r in rows(tmp_path / "manifest.csv")}
    assert (manifest["oneroster.version"], manifest["file.roles"]) == ("1.2", "bulk")
    same_roster(ROSTER, read_bundle(tmp_path))


def test_misspelled_agent_header_and_file_names_in_any_case(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    users = tmp_path / "users.csv"
    users.write_text(
        users.read_text(encoding="utf-8").replace("agentSourcedIds", "agentSourceIds", 1)
    )
    users.rename(tmp_path / "USERS.CSV")
    (tmp_path / "orgs.csv").rename(tmp_path / "Orgs.csv")
    same_roster(ROSTER, read_bundle(tmp_path))


def test_a_plain_sis_export_without_extension_columns(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    users = rows(tmp_path / "users.csv")
    with (tmp_path / "users.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=USERS_1_1, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(users)
    roster = read_bundle(tmp_path)
    assert {(link.student_id, link.contact_id) for link in roster.links} == {
        (link.student_id, link.contact_id) for link in ROSTER.links
    }
    assert all(link.receives_mail and not link.contact_restricted for link in roster.links)


def corrupt(tmp_path: Path, file: str, row: int, column: str, value: str) -> Path:
    write_bundle(ROSTER, tmp_path, "1.1")
    table = rows(tmp_path / file)
    table[row - 2][column] = value
    with (tmp_path / file).open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    return tmp_path


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "message"),
    [
        ("users.csv", 3, "agentSourcedIds", "C-NOBODY00", "users.csv:3:agentSourcedIds: unknown"),
        ("users.csv", 2, "orgSourcedIds", "ORG-404", "users.csv:2:orgSourcedIds: unknown org"),
        ("users.csv", 4, "grades", "tenth", "users.csv:4:grades: not a grade"),
        ("users.csv", 5, "givenName", "", "users.csv:5:givenName: required"),
        ("users.csv", 2, "metadata.mailharness.sensitive", "{oops", "users.csv:2:metadata."),
        ("orgs.csv", 3, "name", "", "orgs.csv:3:name: required"),
    ],
)
def test_malformed_bundle_names_file_row_and_column(
    tmp_path: Path, file: str, row: int, column: str, value: str, message: str
) -> None:
    corrupt(tmp_path, file, row, column, value)
    with pytest.raises(RosterError) as info:
        read_bundle(tmp_path)
    assert str(info.value).startswith(message), str(info.value)


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"no users\.csv"):
        read_bundle(tmp_path)
    with pytest.raises(RosterError, match="not a directory"):
        read_bundle(tmp_path / "missing")


def test_cli_generates_and_runs_a_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle"
    assert main(["roster", "generate", "--students", "60", "--seed", "3", "--format",
                 "oneroster1.2", "--out", str(bundle)]) == 0  # fmt: skip
    assert (bundle / "roles.csv").exists()
    assert main(["run", "--adapter", "reference", "--roster", str(bundle), "--report-dir",
                 str(tmp_path / "r")]) == 0  # fmt: skip
    assert main(["run", "--adapter", "mutant:restricted", "--roster", str(bundle),
                 "--report-dir", str(tmp_path / "m")]) == 1  # fmt: skip
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken)
    (broken / "users.csv").write_text(
        "sourcedId,givenName,familyName,email\nS-1\n", encoding="utf-8"
    )
    capsys.readouterr()
    assert main(["run", "--adapter", "reference", "--roster", str(broken)]) == 2
    assert "roles.csv:2:userSourcedId: unknown user" in capsys.readouterr().err


def rename_column(bundle: Path, old: str, new: str) -> None:
    path = bundle / "users.csv"
    lines = path.read_text(encoding="utf-8").split("\n", 1)
    names = lines[0].split(",")
    names[names.index(old)] = new
    path.write_text(",".join(names) + "\n" + lines[1], encoding="utf-8")


@pytest.mark.parametrize(
    "header", ["Email", "EMAIL", "e-mail", "E-Mail", "mail", "emailAddress", "Email Address"]
)
def test_address_column_aliases_and_case(tmp_path: Path, header: str) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    rename_column(tmp_path, "email", header)
    rename_column(tmp_path, "givenName", "GIVENNAME")
    roster = read_bundle(tmp_path)
    assert [c.email for c in roster.contacts] == [c.email for c in ROSTER.contacts]
    assert [c.first_name for c in roster.contacts] == [c.first_name for c in ROSTER.contacts]


def test_misspelled_required_header_is_a_missing_column(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    rename_column(tmp_path, "givenName", "givenNmae")
    with pytest.raises(RosterError) as info:
        read_bundle(tmp_path)
    assert str(info.value).startswith("users.csv: missing column givenName ('givenNmae'")


def test_two_columns_that_read_as_one(tmp_path: Path) -> None:
    write_bundle(ROSTER, tmp_path, "1.1")
    rename_column(tmp_path, "sms", "mail")
    with pytest.raises(RosterError, match=r"users\.csv:1: two columns read as email"):
        read_bundle(tmp_path)
