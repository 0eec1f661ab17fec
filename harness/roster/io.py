"""Rosters as JSON, in the harness's own versioned schema.

```
{"schema": "mailharness.roster/1",
 "students": [{"id", "first_name", "last_name", "grade", "school", "birth_date", "sensitive"}],
 "contacts": [{"id", "first_name", "last_name", "email", "language"}],
 "links": [{"student_id", "contact_id", "relationship", "receives_mail", "contact_restricted"}]}
```

Field names are those of the dataclasses in `harness.roster.model`. `sensitive` (default `{}`)
and `language` (default `"en"`) may be left out; every other field is required, `email` may be
`null`. Anything wrong raises `RosterError` with one line naming the file and the field path:
`roster.json: students[3].grade: expected an integer, got "ten"`.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import RosterError
from harness.roster.model import Contact, Link, Roster, Student

__all__ = ["SCHEMA", "load_roster", "roster_from_dict", "roster_to_dict", "save_roster"]

SCHEMA = "mailharness.roster/1"
_TOP_LEVEL = ("schema", "students", "contacts", "links")
_STUDENT_KEYS = frozenset(
    ("id", "first_name", "last_name", "grade", "school", "birth_date", "sensitive")
)
_CONTACT_KEYS = frozenset(("id", "first_name", "last_name", "email", "language"))
_LINK_KEYS = frozenset(
    ("student_id", "contact_id", "relationship", "receives_mail", "contact_restricted")
)

T = TypeVar("T")


def roster_to_dict(roster: Roster) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "students": [_student_to_dict(s) for s in roster.students],
        "contacts": [
            {
                "id": c.id,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "email": c.email,
                "language": c.language,
            }
            for c in roster.contacts
        ],
        "links": [
            {
                "student_id": link.student_id,
                "contact_id": link.contact_id,
                "relationship": link.relationship,
                "receives_mail": link.receives_mail,
                "contact_restricted": link.contact_restricted,
            }
            for link in roster.links
        ],
    }


def _student_to_dict(student: Student) -> dict[str, Any]:
    return {
        "id": student.id,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "grade": student.grade,
        "school": student.school,
        "birth_date": student.birth_date,
        "sensitive": dict(student.sensitive),
    }


def save_roster(roster: Roster, path: str | os.PathLike[str]) -> None:
    """Write the roster as UTF-8 JSON, one record per line (readable, diffable, compact)."""
    with _no_gc():
        text = _roster_text(roster)
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        raise RosterError(f"{path}: cannot write roster: {exc.strerror or exc}") from None


def _roster_text(roster: Roster) -> str:
    data = roster_to_dict(roster)
    lines = ["{", f' "schema": {json.dumps(SCHEMA)},']
    for index, key in enumerate(("students", "contacts", "links")):
        records = data[key]
        lines.append(f' "{key}": [')
        lines.extend(
            "  " + json.dumps(record, ensure_ascii=False) + ("," if i < len(records) - 1 else "")
            for i, record in enumerate(records)
        )
        lines.append(" ]," if index < 2 else " ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def load_roster(path: str | os.PathLike[str]) -> Roster:
    """Read and validate a roster file; every problem is one RosterError line."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise RosterError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise RosterError(f"{source}: is a directory, not a roster file") from None
    except OSError as exc:
        raise RosterError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(
            f"{source}: not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    try:
        with _no_gc():
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RosterError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise RosterError(f"{source}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise RosterError(f"{source}: not valid JSON: {exc}") from None
    return roster_from_dict(data, source=source)


def roster_from_dict(data: object, *, source: str) -> Roster:
    """Validate parsed JSON and build the roster; `source` names it in error messages."""
    with _no_gc():
        return _Reader(source).roster(data)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Millions of small acyclic objects at district scale: the cyclic collector would only
    rescan them, again and again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _show(value: object) -> str:
    """A value as the user wrote it, shortened: "ten", 10, null, an object, a list."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "..."


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> RosterError:
        return RosterError(
            f"{self.source}: {where}: {problem}" if where else f"{self.source}: {problem}"
        )

    def roster(self, data: object) -> Roster:
        if not isinstance(data, dict):
            raise self.fail("", f"expected a JSON object at the top level, got {_show(data)}")
        if "schema" not in data:
            raise self.fail("schema", f'missing; expected "{SCHEMA}"')
        if data["schema"] != SCHEMA:
            raise self.fail(
                "schema", f'unsupported version {_show(data["schema"])}; expected "{SCHEMA}"'
            )
        for key in data:
            if key not in _TOP_LEVEL:
                raise self.fail(
                    str(key), f"unknown top-level key; expected {', '.join(_TOP_LEVEL)}"
                )
        students = self.records(data, "students", _fast_student, self.student)
        contacts = self.records(data, "contacts", _fast_contact, self.contact)
        student_ids = self.unique_ids(students, "students", "student")
        contact_ids = self.unique_ids(contacts, "contacts", "contact")
        links = self.records(data, "links", _fast_link, self.link)
        seen: dict[tuple[str, str], int] = {}
        for index, link in enumerate(links):
            if link.student_id not in student_ids:
                raise self.fail(
                    f"links[{index}].student_id", f"unknown student {_show(link.student_id)}"
                )
            if link.contact_id not in contact_ids:
                raise self.fail(
                    f"links[{index}].contact_id", f"unknown contact {_show(link.contact_id)}"
                )
            pair = (link.student_id, link.contact_id)
            if pair in seen:
                raise self.fail(
                    f"links[{index}]",
                    f"duplicate link of student {_show(link.student_id)} and contact "
                    f"{_show(link.contact_id)} (first at links[{seen[pair]}])",
                )
            seen[pair] = index
        return Roster(tuple(students), tuple(contacts), tuple(links))

    def records(
        self,
        data: Mapping[str, object],
        key: str,
        fast: Callable[[object], T | None],
        build: Callable[[object, str], T],
    ) -> list[T]:
        """`fast` takes the common, valid record quickly or answers None; `build` checks
        everything and names the field that is wrong."""
        if key not in data:
            raise self.fail(key, "missing; expected a list (it may be empty)")
        items = data[key]
        if not isinstance(items, list):
            raise self.fail(key, f"expected a list, got {_show(items)}")
        records: list[T] = []
        for index, item in enumerate(items):
            record = fast(item)
            records.append(build(item, f"{key}[{index}]") if record is None else record)
        return records

    def unique_ids(self, records: Sequence[Student | Contact], key: str, kind: str) -> set[str]:
        first: dict[str, int] = {}
        for index, record in enumerate(records):
            if record.id in first:
                raise self.fail(
                    f"{key}[{index}].id",
                    f"duplicate {kind} id {_show(record.id)} (first at {key}[{first[record.id]}])",
                )
            first[record.id] = index
        return set(first)

    def fields(
        self, item: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, object]:
        if not isinstance(item, dict):
            raise self.fail(where, f"expected an object, got {_show(item)}")
        for name in required:
            if name not in item:
                raise self.fail(where, f'missing field "{name}"')
        for name in item:
            if name not in required and name not in optional:
                known = ", ".join(required + optional)
                raise self.fail(f"{where}.{name}", f"unknown field; expected {known}")
        return item

    def typed(
        self, item: Mapping[str, object], where: str, name: str, kind: type[T], expected: str
    ) -> T:
        value = item[name]
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{name}", f"expected {expected}, got {_show(value)}")
        return value

    def text(self, item: Mapping[str, object], where: str, name: str) -> str:
        return self.typed(item, where, name, str, "a string")

    def ident(self, item: Mapping[str, object], where: str, name: str) -> str:
        value = self.text(item, where, name)
        if not value.strip():
            raise self.fail(f"{where}.{name}", "expected a non-empty id, got an empty string")
        return value

    def flag(self, item: Mapping[str, object], where: str, name: str) -> bool:
        return self.typed(item, where, name, bool, "true or false")

    def student(self, item: object, where: str) -> Student:
        fields = self.fields(
            item,
            where,
            ("id", "first_name", "last_name", "grade", "school", "birth_date"),
            ("sensitive",),
        )
        grade = fields["grade"]
        if isinstance(grade, bool) or not isinstance(grade, int):
            raise self.fail(f"{where}.grade", f"expected an integer, got {_show(grade)}")
        birth_date = self.text(fields, where, "birth_date")
        if not _is_date(birth_date):
            raise self.fail(
                f"{where}.birth_date", f"expected a date as YYYY-MM-DD, got {_show(birth_date)}"
            )
        sensitive = fields.get("sensitive", {})
        if not isinstance(sensitive, dict):
            raise self.fail(f"{where}.sensitive", f"expected an object, got {_show(sensitive)}")
        for key, value in sensitive.items():
            if not isinstance(key, str):
                raise self.fail(f"{where}.sensitive", f"expected string keys, got {_show(key)}")
            if not isinstance(value, str):
                raise self.fail(
                    f"{where}.sensitive.{key}", f"expected a string, got {_show(value)}"
                )
        return Student(
            id=self.ident(fields, where, "id"),
            first_name=self.text(fields, where, "first_name"),
            last_name=self.text(fields, where, "last_name"),
            grade=grade,
            school=self.text(fields, where, "school"),
            birth_date=birth_date,
            sensitive=dict(sensitive),
        )

    def contact(self, item: object, where: str) -> Contact:
        fields = self.fields(item, where, ("id", "first_name", "last_name", "email"), ("language",))
        email = fields["email"]
        if email is not None and not isinstance(email, str):
            raise self.fail(f"{where}.email", f"expected a string or null, got {_show(email)}")
        return Contact(
            id=self.ident(fields, where, "id"),
            first_name=self.text(fields, where, "first_name"),
            last_name=self.text(fields, where, "last_name"),
            email=email,
            language=self.text(fields, where, "language") if "language" in fields else "en",
        )

    def link(self, item: object, where: str) -> Link:
        fields = self.fields(
            item,
            where,
            ("student_id", "contact_id", "relationship", "receives_mail", "contact_restricted"),
        )
        return Link(
            student_id=self.text(fields, where, "student_id"),
            contact_id=self.text(fields, where, "contact_id"),
            relationship=self.text(fields, where, "relationship"),
            receives_mail=self.flag(fields, where, "receives_mail"),
            contact_restricted=self.flag(fields, where, "contact_restricted"),
        )


def _is_date(text: str) -> bool:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# The fast paths: exact types and the full set of fields, no messages. Anything else goes
# through _Reader, which accepts what these accept and says what is wrong with the rest.


def _fast_student(item: object) -> Student | None:
    if type(item) is not dict or item.keys() != _STUDENT_KEYS:
        return None
    ident, grade, birth, sensitive = (
        item["id"],
        item["grade"],
        item["birth_date"],
        item["sensitive"],
    )
    first, last, school = item["first_name"], item["last_name"], item["school"]
    if not (
        type(ident) is str
        and ident.strip()
        and type(first) is str
        and type(last) is str
        and type(grade) is int
        and type(school) is str
        and type(birth) is str
        and _is_date(birth)
        and type(sensitive) is dict
        and all(type(k) is str and type(v) is str for k, v in sensitive.items())
    ):
        return None
    return Student(ident, first, last, grade, school, birth, dict(sensitive))


def _fast_contact(item: object) -> Contact | None:
    if type(item) is not dict or item.keys() != _CONTACT_KEYS:
        return None
    ident, first, last = item["id"], item["first_name"], item["last_name"]
    email, language = item["email"], item["language"]
    if not (
        type(ident) is str
        and ident.strip()
        and type(first) is str
        and type(last) is str
        and (email is None or type(email) is str)
        and type(language) is str
    ):
        return None
    return Contact(ident, first, last, email, language)


def _fast_link(item: object) -> Link | None:
    if type(item) is not dict or item.keys() != _LINK_KEYS:
        return None
    student, contact, relationship = item["student_id"], item["contact_id"], item["relationship"]
    mail, restricted = item["receives_mail"], item["contact_restricted"]
    if not (
        type(student) is str
        and type(contact) is str
        and type(relationship) is str
        and type(mail) is bool
        and type(restricted) is bool
    ):
        return None
    return Link(student, contact, relationship, mail, restricted)
