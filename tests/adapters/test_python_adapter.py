from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.python_adapter import PythonAdapter
from harness.adapters.registry import resolve
from harness.errors import AdapterError
from harness.roster.campaign import build_campaign
from harness.roster.model import Contact, Link, Roster, Student

CALLS: list[tuple[Any, ...]] = []


def record(roster: Any, campaign: Any, smtp: Any) -> None:
    CALLS.append((roster, campaign, smtp))


def explode(roster: Any, campaign: Any, smtp: Any) -> None:
    raise ValueError("no relay for example.org\nsecond line")


def leave(roster: Any, campaign: Any, smtp: Any) -> None:
    sys.exit(4)


def with_outcome(roster: Any, campaign: Any, smtp: Any) -> AdapterOutcome:
    return AdapterOutcome(spec="custom", notes=["sent 0"])


NOT_CALLABLE = 42


class Sender:
    @staticmethod
    def run(roster: Any, campaign: Any, smtp: Any) -> None:
        CALLS.append(("Sender.run", roster))


ROSTER = Roster(
    students=(
        Student(
            "S-AAAA1111", "Ada", "Lovelace", 5, "Elm", "2014-01-01", {"vaccines_missing": "Tdap"}
        ),
    ),
    contacts=(Contact("C-1", "Ann", "Lovelace", "ann@example.org"),),
    links=(Link("S-AAAA1111", "C-1", "mother", True, False),),
)
CAMPAIGN = build_campaign(ROSTER.students)
SMTP = SmtpTarget("127.0.0.1", 2525)


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def error_of(spec: str) -> str:
    with pytest.raises(AdapterError) as info:
        resolve(spec).send(ROSTER, CAMPAIGN, SMTP)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_calls_the_function_with_roster_campaign_and_smtp() -> None:
    adapter = resolve(f"python:{__name__}:record")
    assert isinstance(adapter, PythonAdapter)
    outcome = adapter.send(ROSTER, CAMPAIGN, SMTP)
    assert CALLS == [(ROSTER, CAMPAIGN, SMTP)]
    assert outcome == AdapterOutcome(spec=f"python:{__name__}:record")


def test_a_returned_outcome_is_kept() -> None:
    outcome = resolve(f"python:{__name__}:with_outcome").send(ROSTER, CAMPAIGN, SMTP)
    assert outcome.notes == ["sent 0"]


def test_dotted_function() -> None:
    resolve(f"python:{__name__}:Sender.run").send(ROSTER, CAMPAIGN, SMTP)
    assert CALLS == [("Sender.run", ROSTER)]


def test_a_raising_function_is_an_adapter_error() -> None:
    spec = f"python:{__name__}:explode"
    assert error_of(spec) == f"adapter {spec} raised ValueError: no relay for example.org"


def test_sys_exit_is_an_adapter_error() -> None:
    spec = f"python:{__name__}:leave"
    assert error_of(spec) == f"adapter {spec} raised SystemExit: 4"


def test_missing_module() -> None:
    message = error_of("python:no_such_module_here:send")
    assert "cannot import no_such_module_here" in message
    assert "ModuleNotFoundError" in message


def test_module_that_fails_on_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mh_broken_sender.py").write_text("raise RuntimeError('no config file')\n")
    (tmp_path / "mh_syntax_sender.py").write_text("def send(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    message = error_of("python:mh_broken_sender:send")
    assert "cannot import mh_broken_sender: RuntimeError: no config file" in message
    assert "cannot import mh_syntax_sender: SyntaxError" in error_of("python:mh_syntax_sender:send")


def test_no_attribute() -> None:
    message = error_of(f"python:{__name__}:nope")
    assert f"module {__name__} has no attribute 'nope'" in message


def test_not_callable() -> None:
    assert "is not callable" in error_of(f"python:{__name__}:NOT_CALLABLE")


def test_import_errors_surface_when_resolving() -> None:
    with pytest.raises(AdapterError):
        resolve("python:no_such_module_here:send")


def test_a_module_in_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mh_cwd_sender.py").write_text(
        textwrap.dedent(
            """
            SEEN = []

            def send(roster, campaign, smtp):
                SEEN.append(smtp.port)
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "mh_cwd_sender", raising=False)
    path_before = list(sys.path)
    resolve("python:mh_cwd_sender:send").send(ROSTER, CAMPAIGN, SMTP)
    assert sys.modules["mh_cwd_sender"].SEEN == [2525]
    assert sys.path == path_before
    monkeypatch.delitem(sys.modules, "mh_cwd_sender")
