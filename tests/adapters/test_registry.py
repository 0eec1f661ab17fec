from __future__ import annotations

import sys

import pytest

from harness.adapters.command import CommandAdapter
from harness.adapters.mutants import MUTANTS
from harness.adapters.python_adapter import PythonAdapter
from harness.adapters.reference import ReferenceAdapter
from harness.adapters.registry import KNOWN_FORMS, resolve
from harness.errors import AdapterError


def one_line_error(spec: str, **kwargs: float) -> str:
    with pytest.raises(AdapterError) as info:
        resolve(spec, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_reference() -> None:
    adapter = resolve("reference")
    assert isinstance(adapter, ReferenceAdapter)
    assert adapter.spec == "reference"


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_every_mutant(name: str) -> None:
    adapter = resolve(f"mutant:{name}")
    assert type(adapter) is MUTANTS[name]
    assert adapter.spec == f"mutant:{name}"


def test_unknown_mutant_lists_the_known_ones() -> None:
    message = one_line_error("mutant:no-such-bug")
    assert "no-such-bug" in message
    for name in MUTANTS:
        assert name in message


def test_python() -> None:
    adapter = resolve("python:json:dumps")
    assert isinstance(adapter, PythonAdapter)
    assert (adapter.spec, adapter.module, adapter.function) == (
        "python:json:dumps",
        "json",
        "dumps",
    )


@pytest.mark.parametrize("spec", ["python:json", "python:", "python::dumps", "python:json:"])
def test_python_needs_module_and_function(spec: str) -> None:
    assert "python:module:function" in one_line_error(spec)


def test_cmd_keeps_the_whole_command_and_the_timeout() -> None:
    adapter = resolve("cmd:python3 send.py --flag a:b", timeout=7.5)
    assert isinstance(adapter, CommandAdapter)
    assert adapter.command == "python3 send.py --flag a:b"
    assert adapter.timeout == 7.5
    assert adapter.spec == "cmd:python3 send.py --flag a:b"


def test_cmd_default_timeout() -> None:
    adapter = resolve("cmd:true")
    assert isinstance(adapter, CommandAdapter)
    assert adapter.timeout == 300.0


def test_empty_cmd() -> None:
    assert "needs a command" in one_line_error("cmd:  ")


def test_external_not_supported_yet() -> None:
    message = one_line_error("external")
    assert "external" in message
    assert "not supported yet" in message


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("http:http://localhost:8080/send", "http://localhost:8080/send"),
        ("http://localhost:8080/send", "http://localhost:8080/send"),
        ("https:https://vendor.example/api", "https://vendor.example/api"),
    ],
)
def test_http_spec(spec: str, url: str) -> None:
    from harness.adapters.http_adapter import HttpAdapter

    adapter = resolve(spec, timeout=7)
    assert isinstance(adapter, HttpAdapter)
    assert (adapter.spec, adapter.url, adapter.timeout) == (spec, url, 7)


@pytest.mark.parametrize("spec", ["", "referenc", "Reference", "smtp:localhost", "mutant"])
def test_unknown_spec_names_it_and_the_known_forms(spec: str) -> None:
    message = one_line_error(spec)
    assert repr(spec) in message
    for form in KNOWN_FORMS:
        assert form in message


def test_a_broken_module_does_not_break_the_other_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "harness.adapters.mutants", None)  # import -> ImportError
    assert "cannot load the mutants" in one_line_error("mutant:anything")
    assert isinstance(resolve("reference"), ReferenceAdapter)
    assert isinstance(resolve("cmd:true"), CommandAdapter)
