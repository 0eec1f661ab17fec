"""The layers: roster -> adapter -> sink -> oracle -> report, and the command line on top.

An import-walk over harness/ (module-level and function-local imports alike, read with `ast`)
checks that no layer reaches one it must not, and a fresh interpreter checks that the reports
load without the SMTP server.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "harness"


@dataclass(frozen=True)
class Rule:
    name: str
    sources: tuple[str, ...]  # subpackages of the package whose modules the rule binds ("" = all)
    forbidden: tuple[str, ...]  # subpackages or modules they must not import
    exempt: tuple[str, ...] = ()  # modules allowed to break it (the entry point)


RULES = (
    Rule("adapters -> oracle", ("adapters",), ("oracle",)),
    Rule("report -> sink", ("report",), ("sink",)),
    Rule("roster -> adapters, sink, oracle", ("roster",), ("adapters", "sink", "oracle")),
    Rule("sink -> oracle, adapters", ("sink",), ("oracle", "adapters")),
    Rule("any module -> cli", ("",), ("cli",), exempt=("__main__",)),
)


def module_name(path: Path, root: Path, package: str) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module `tree` imports, at any depth (function-local and TYPE_CHECKING too),
    relative imports resolved; `from a import b` yields both `a` and `a.b` (b may be a module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module of `package` (found under `root`) -> the modules it imports."""
    graph = {}
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root, package)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = set(imported_names(tree, module, path.name == "__init__.py"))
    return graph


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def breaches(graph: dict[str, set[str]], package: str, rule: Rule) -> list[str]:
    """`module -> imported` for every import of `graph` that breaks `rule`."""

    def qualified(name: str) -> str:
        return f"{package}.{name}" if name else package

    found = []
    for module, imports in sorted(graph.items()):
        if not any(within(module, qualified(s)) for s in rule.sources):
            continue
        if any(module == qualified(e) for e in rule.exempt):
            continue
        for target in sorted(imports):
            if any(within(target, qualified(f)) for f in rule.forbidden):
                found.append(f"{module} -> {target}")
    return found


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_harness_keeps_its_layers(rule: Rule) -> None:
    assert breaches(import_graph(HARNESS, "harness"), "harness", rule) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_walk_finds_every_form_of_import(tmp_path: Path) -> None:
    package = write_package(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "__main__.py": "from pkg.cli import main\n",
            "cli.py": "",
            "oracle/__init__.py": "",
            "oracle/plan.py": "",
            "sink/__init__.py": "from . import store\n",
            "sink/store.py": "",
            "roster/__init__.py": "",
            "roster/top.py": "import pkg.oracle.plan\n",
            "roster/local.py": "def load():\n    from pkg.sink.store import Store\n",
            "roster/relative.py": "from ..oracle import plan\n",
            "roster/typing_only.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import cli\n"
            ),
            "roster/clean.py": "import json\nfrom pkg.roster import top\n",
        },
    )
    graph = import_graph(package, "pkg")
    roster_rule = Rule("roster", ("roster",), ("adapters", "sink", "oracle"))
    cli_rule = Rule("cli", ("",), ("cli",), exempt=("__main__",))

    assert breaches(graph, "pkg", roster_rule) == [
        "pkg.roster.local -> pkg.sink.store",
        "pkg.roster.local -> pkg.sink.store.Store",
        "pkg.roster.relative -> pkg.oracle",
        "pkg.roster.relative -> pkg.oracle.plan",
        "pkg.roster.top -> pkg.oracle.plan",
    ]
    assert breaches(graph, "pkg", cli_rule) == ["pkg.roster.typing_only -> pkg.cli"]
    assert graph["pkg.sink"] == {"pkg.sink", "pkg.sink.store"}  # a package's own `from .`


def test_a_name_that_only_starts_like_a_layer_is_not_in_it(tmp_path: Path) -> None:
    package = write_package(
        tmp_path / "pkg",
        {"report/__init__.py": "", "report/view.py": "import pkg.sinks\nimport pkg.clinic\n"},
    )
    graph = import_graph(package, "pkg")
    assert breaches(graph, "pkg", Rule("report", ("report",), ("sink",))) == []
    assert breaches(graph, "pkg", Rule("cli", ("",), ("cli",))) == []


def test_reports_load_without_the_smtp_server() -> None:
    """Building, rendering and reading reports, and the result model they read, never import
    the sink's server or aiosmtpd (a fresh interpreter: this one has them loaded already)."""
    probe = (
        "import pkgutil, sys\n"
        "import harness.report, harness.result\n"
        "for info in pkgutil.iter_modules(harness.report.__path__, 'harness.report.'):\n"
        "    __import__(info.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiosmtpd'"
        " or m.startswith('harness.sink.server')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
