"""The README's commands for the real senders work after the README's own install: they run
the installed environment's Python, and the install it names brings what each sender needs."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = re.findall(r'--adapter "cmd:([^"]*examples/senders/[^"]+)"', README)


def needs(script: Path) -> set[str]:
    """Third-party modules the script imports, and programs it looks up with shutil.which."""
    local = {path.stem for path in script.parent.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "which"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return {name for name in found if name not in sys.stdlib_module_names and name not in local}


def test_the_readme_names_the_django_and_mailmerge_senders() -> None:
    assert {Path(c.split()[-1]).name for c in COMMANDS} >= {
        "django_sender.py",
        "mailmerge_sender.py",
    }


def test_sender_commands_use_the_environment_the_readme_installs() -> None:
    install = re.search(r"`(\.venv/bin/pip install -q -e '\.\[(\w+)\]')`", README)
    assert install is not None, "the README says how to install what the senders need"
    extra = install.group(2)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    packages = {
        re.split(r"[<>=!~ ;\[]", requirement)[0].lower()
        for requirement in project["optional-dependencies"][extra]
    }
    for command in COMMANDS:
        python, script = command.split()[:2]
        assert python == ".venv/bin/python", command  # not whatever `python` is on PATH
        assert (ROOT / script).is_file(), command
        missing = needs(ROOT / script) - packages
        assert not missing, f"{script} needs {sorted(missing)}, not in .[{extra}]"
