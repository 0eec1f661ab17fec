from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError, RosterError
from harness.roster.generate import generate_roster
from harness.roster.io import SCHEMA, load_roster, roster_from_dict, roster_to_dict, save_roster
from harness.roster.model import Contact, Link, Roster, Student


@pytest.fixture(scope="module")
def generated() -> Roster:
    return generate_roster(300, 8)


@pytest.fixture
def data() -> dict[str, Any]:
    """A small valid roster as parsed JSON, for the error cases to break."""
    return roster_to_dict(generate_roster(7, 2))


def write(tmp_path: Path, content: str | bytes, name: str = "roster.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load_error(tmp_path: Path, data: object) -> str:
    path = write(tmp_path, json.dumps(data))
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message[len(f"{path}: ") :]


# -- round trip --------------------------------------------------------------------------


def test_round_trip_through_a_dict_is_lossless(generated: Roster) -> None:
    assert roster_from_dict(roster_to_dict(generated), source="x") == generated


def test_round_trip_through_a_file_is_lossless(generated: Roster, tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    save_roster(generated, path)
    loaded = load_roster(path)
    assert loaded == generated
    assert loaded.students == generated.students  # names with accents, sensitive dicts
    assert not list(tmp_path.glob("*.partial"))


def test_file_format(generated: Roster, tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    save_roster(generated, str(path))
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == ["schema", "students", "contacts", "links"]
    assert data["schema"] == SCHEMA == "mailharness.roster/1"
    assert set(data["students"][0]) == {
        "id",
        "first_name",
        "last_name",
        "grade",
        "school",
        "birth_date",
        "sensitive",
    }
    assert set(data["contacts"][0]) == {"id", "first_name", "last_name", "email", "language"}
    assert set(data["links"][0]) == {
        "student_id",
        "contact_id",
        "relationship",
        "receives_mail",
        "contact_restricted",
    }
    # One record per line, non-ASCII letters kept as written.
    assert len(text.splitlines()) == 9 + len(data["students"]) + len(data["contacts"]) + len(
        data["links"]
    )
    assert any(not line.isascii() for line in text.splitlines())


def test_empty_roster_round_trips(tmp_path: Path) -> None:
    empty = Roster((), (), ())
    save_roster(empty, tmp_path / "empty.json")
    assert load_roster(tmp_path / "empty.json") == empty


def test_optional_fields_take_their_defaults() -> None:
    data = {
        "schema": SCHEMA,
        "students": [
            {
                "id": "S-1",
                "first_name": "Ann",
                "last_name": "Lee",
                "grade": 3,
                "school": "Alder Creek Elementary School",
                "birth_date": "2018-05-01",
            }
        ],
        "contacts": [{"id": "C-1", "first_name": "Mia", "last_name": "Lee", "email": None}],
        "links": [
            {
                "student_id": "S-1",
                "contact_id": "C-1",
                "relationship": "mother",
                "receives_mail": True,
                "contact_restricted": False,
            }
        ],
    }
    assert roster_from_dict(data, source="hand.json") == Roster(
        (Student("S-1", "Ann", "Lee", 3, "Alder Creek Elementary School", "2018-05-01", {}),),
        (Contact("C-1", "Mia", "Lee", None, "en"),),
        (Link("S-1", "C-1", "mother", True, False),),
    )


def test_a_byte_order_mark_is_accepted(generated: Roster, tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + json.dumps(roster_to_dict(generated)).encode())
    assert load_roster(path) == generated


# -- errors: one line naming the file and the field ---------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(RosterError, match=r"nope\.json: no such file$"):
        load_roster(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="is a directory"):
        load_roster(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "{}")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    assert str(caught.value) == f"{path}: cannot read: Permission denied"


def test_not_json_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "schema": "mailharness.roster/1",\n  "students": [,]\n}')
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    assert str(caught.value) == f"{path}:3:16: not valid JSON: Expecting value"


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, b'{"schema": "\xff"}')
    with pytest.raises(
        RosterError, match=r"roster\.json: not UTF-8 text \(invalid byte at offset 12\)"
    ):
        load_roster(path)


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    assert load_error(tmp_path, [1, 2]) == "expected a JSON object at the top level, got a list"


def test_missing_schema(tmp_path: Path, data: dict[str, Any]) -> None:
    del data["schema"]
    assert load_error(tmp_path, data) == 'schema: missing; expected "mailharness.roster/1"'


def test_wrong_schema_version(tmp_path: Path, data: dict[str, Any]) -> None:
    data["schema"] = "mailharness.roster/2"
    assert load_error(tmp_path, data) == (
        'schema: unsupported version "mailharness.roster/2"; expected "mailharness.roster/1"'
    )


def test_unknown_top_level_key(tmp_path: Path, data: dict[str, Any]) -> None:
    data["campaigns"] = []
    assert load_error(tmp_path, data) == (
        "campaigns: unknown top-level key; expected schema, students, contacts, links"
    )


def test_missing_list(tmp_path: Path, data: dict[str, Any]) -> None:
    del data["links"]
    assert load_error(tmp_path, data) == "links: missing; expected a list (it may be empty)"


def test_list_of_wrong_type(tmp_path: Path, data: dict[str, Any]) -> None:
    data["contacts"] = {"C-1": {}}
    assert load_error(tmp_path, data) == "contacts: expected a list, got an object"


def test_record_of_wrong_type(tmp_path: Path, data: dict[str, Any]) -> None:
    data["students"][2] = "S-7Q3K9X2M"
    assert load_error(tmp_path, data) == 'students[2]: expected an object, got "S-7Q3K9X2M"'


def test_missing_field(tmp_path: Path, data: dict[str, Any]) -> None:
    del data["students"][1]["grade"]
    assert load_error(tmp_path, data) == 'students[1]: missing field "grade"'


def test_unknown_field(tmp_path: Path, data: dict[str, Any]) -> None:
    data["links"][0]["restricted"] = True
    assert load_error(tmp_path, data) == (
        "links[0].restricted: unknown field; expected student_id, contact_id, relationship, "
        "receives_mail, contact_restricted"
    )


@pytest.mark.parametrize(
    ("section", "index", "field", "value", "expected"),
    [
        ("students", 3, "grade", "ten", 'students[3].grade: expected an integer, got "ten"'),
        ("students", 0, "grade", True, "students[0].grade: expected an integer, got true"),
        ("students", 0, "grade", 3.5, "students[0].grade: expected an integer, got 3.5"),
        ("students", 1, "first_name", None, "students[1].first_name: expected a string, got null"),
        ("students", 1, "id", "", "students[1].id: expected a non-empty id, got an empty string"),
        (
            "students",
            2,
            "birth_date",
            "2015-13-01",
            'students[2].birth_date: expected a date as YYYY-MM-DD, got "2015-13-01"',
        ),
        (
            "students",
            0,
            "sensitive",
            ["Tdap"],
            "students[0].sensitive: expected an object, got a list",
        ),
        (
            "students",
            0,
            "sensitive",
            {"absences": 7},
            "students[0].sensitive.absences: expected a string, got 7",
        ),
        ("contacts", 1, "email", 42, "contacts[1].email: expected a string or null, got 42"),
        ("contacts", 0, "language", None, "contacts[0].language: expected a string, got null"),
        (
            "links",
            2,
            "receives_mail",
            "yes",
            'links[2].receives_mail: expected true or false, got "yes"',
        ),
        (
            "links",
            0,
            "contact_restricted",
            0,
            "links[0].contact_restricted: expected true or false, got 0",
        ),
    ],
)
def test_wrong_type(
    tmp_path: Path,
    data: dict[str, Any],
    section: str,
    index: int,
    field: str,
    value: object,
    expected: str,
) -> None:
    data[section][index][field] = value
    assert load_error(tmp_path, data) == expected


def test_long_values_are_shortened(tmp_path: Path, data: dict[str, Any]) -> None:
    data["students"][0]["grade"] = "x" * 500
    message = load_error(tmp_path, data)
    assert message.endswith("...") and len(message) < 120


def test_duplicate_student_id(tmp_path: Path, data: dict[str, Any]) -> None:
    sid = data["students"][1]["id"]
    data["students"][4]["id"] = sid
    assert load_error(tmp_path, data) == (
        f'students[4].id: duplicate student id "{sid}" (first at students[1])'
    )


def test_duplicate_contact_id(tmp_path: Path, data: dict[str, Any]) -> None:
    cid = data["contacts"][0]["id"]
    data["contacts"][2]["id"] = cid
    assert load_error(tmp_path, data) == (
        f'contacts[2].id: duplicate contact id "{cid}" (first at contacts[0])'
    )


def test_link_to_unknown_student(tmp_path: Path, data: dict[str, Any]) -> None:
    data["links"][3]["student_id"] = "S-ZZZZZZZZ"
    assert load_error(tmp_path, data) == 'links[3].student_id: unknown student "S-ZZZZZZZZ"'


def test_link_to_unknown_contact(tmp_path: Path, data: dict[str, Any]) -> None:
    data["links"][1]["contact_id"] = "C-ZZZZZZZZ"
    assert load_error(tmp_path, data) == 'links[1].contact_id: unknown contact "C-ZZZZZZZZ"'


def test_duplicate_link(tmp_path: Path, data: dict[str, Any]) -> None:
    data["links"].append(dict(data["links"][0], receives_mail=False))
    last = len(data["links"]) - 1
    link = data["links"][0]
    assert load_error(tmp_path, data) == (
        f'links[{last}]: duplicate link of student "{link["student_id"]}" and contact '
        f'"{link["contact_id"]}" (first at links[0])'
    )


def test_roster_errors_are_harness_errors() -> None:
    # The CLI turns every HarnessError into one line and exit code 2, never a traceback.
    with pytest.raises(HarnessError):
        roster_from_dict(None, source="stdin")


def test_roster_from_dict_names_its_source() -> None:
    with pytest.raises(RosterError, match=r"^bundle/roster\.json: schema: missing"):
        roster_from_dict({}, source="bundle/roster.json")


def test_save_to_a_missing_directory(generated: Roster, tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "roster.json"
    with pytest.raises(RosterError, match=r"roster\.json: cannot write roster: No such file"):
        save_roster(generated, path)


def test_records_off_the_fast_path_still_load(data: dict[str, Any]) -> None:
    # No "sensitive", no "language", an int subclass: valid, only checked the long way.
    del data["students"][0]["sensitive"]
    del data["contacts"][0]["language"]
    roster = roster_from_dict(data, source="x")
    assert roster.students[0].sensitive == {}
    assert roster.contacts[0].language == "en"


@pytest.mark.parametrize("written", ["20150101", "2015-W01-1", "2015-02-30", " 2015-02-01"])
def test_birth_date_must_be_year_month_day(
    tmp_path: Path, data: dict[str, Any], written: str
) -> None:
    data["students"][0]["birth_date"] = written
    assert load_error(tmp_path, data).startswith("students[0].birth_date: expected a date")


def test_sensitive_keys_must_be_strings(data: dict[str, Any]) -> None:
    data["students"][1]["sensitive"] = {1: "Tdap"}
    with pytest.raises(RosterError, match=r"^x: students\[1\]\.sensitive: expected string keys"):
        roster_from_dict(data, source="x")


def test_loaded_sensitive_dicts_are_copies(data: dict[str, Any]) -> None:
    roster = roster_from_dict(data, source="x")
    data["students"][0]["sensitive"]["absences"] = "changed"
    assert roster.students[0].sensitive.get("absences") != "changed"


def test_an_absurd_number_is_not_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, '{"schema": ' + "9" * 5000 + "}")
    with pytest.raises(RosterError, match=r"roster\.json: not valid JSON"):
        load_roster(path)
