"""From one `--adapter` string to the adapter that runs it (docs/contract.md, Adapters).

The forms are keyed explicitly by prefix; there is no plugin discovery. Modules behind a form
are imported only when that form is asked for, so one missing or broken module does not take
the others down.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.adapters.base import Adapter
from harness.errors import AdapterError

KNOWN_FORMS = (
    "reference",
    "mutant:NAME",
    "python:module:function",
    "cmd:COMMAND",
    "http:URL",
    "external",
)


def resolve(spec: str, *, timeout: float = 300.0) -> Adapter:
    """The adapter for `spec`; `timeout` (seconds) bounds a `cmd:` subprocess.

    Raises AdapterError, with one line naming the spec, for anything it cannot resolve.
    """
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    rest = rest.strip()
    if spec == "reference":
        return _reference()
    if kind == "mutant" and sep:
        return _mutant(spec, rest)
    if kind == "python" and sep:
        return _python(spec, rest)
    if kind == "cmd" and sep:
        if not rest:
            raise AdapterError(f"adapter spec {spec!r}: cmd: needs a command, e.g. cmd:./send.sh")
        from harness.adapters.command import CommandAdapter

        return CommandAdapter(spec, rest, timeout)
    if kind in ("http", "https") and sep:
        from harness.adapters.http_adapter import HttpAdapter

        # `http:URL`, or a bare URL given as the spec (`http://...` reads as the same thing).
        url = spec if rest.startswith("//") else rest
        return HttpAdapter(spec, url, timeout)
    if spec == "external":
        from harness.adapters.external import ExternalAdapter

        return ExternalAdapter()
    raise AdapterError(f"unknown adapter spec {spec!r}; known forms: {', '.join(KNOWN_FORMS)}")


def _reference() -> Adapter:
    try:
        from harness.adapters.reference import ReferenceAdapter
    except ImportError as exc:
        raise AdapterError(f"adapter spec 'reference': cannot load it: {exc}") from exc
    return ReferenceAdapter()


def _mutant(spec: str, name: str) -> Adapter:
    try:
        from harness.adapters.api_mutants import API_MUTANTS
        from harness.adapters.mutants import MUTANTS
    except ImportError as exc:
        raise AdapterError(f"adapter spec {spec!r}: cannot load the mutants: {exc}") from exc
    factories: dict[str, Callable[[], Adapter]] = {**MUTANTS, **API_MUTANTS}
    try:
        factory = factories[name]
    except KeyError:
        known = ", ".join(sorted(factories)) or "(none)"
        raise AdapterError(
            f"adapter spec {spec!r}: unknown mutant {name!r}; known mutants: {known}"
        ) from None
    adapter: Adapter = factory()
    return adapter


def _python(spec: str, target: str) -> Adapter:
    module, sep, function = target.partition(":")
    module, function = module.strip(), function.strip()
    if not (module and sep and function):
        raise AdapterError(
            f"adapter spec {spec!r}: expected python:module:function, e.g. python:mypkg.send:run"
        )
    from harness.adapters.python_adapter import PythonAdapter

    return PythonAdapter(spec, module, function)
