"""Help texts say what the command does: no random default where the seed is required or
fixed, and no option another command has."""

from __future__ import annotations

import pytest

from harness.cli import main


def help_text(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def option_help(text: str, option: str) -> str:
    """The help of one option, its wrapped lines joined."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"{option} "))
    words = lines[start].split()[2:]
    for line in lines[start + 1 :]:
        if not line.startswith(" " * 8) or line.lstrip().startswith("-"):
            break
        words += line.split()
    return " ".join(words)


@pytest.mark.parametrize(
    ("command", "seed"),
    [
        ("check", "the seed of the generated roster the mail was sent for (or give --roster)"),
        ("demo", "roster seed (default: 1)"),
        ("run", "roster seed (default: a random one)"),
        ("diff", "roster seed (default: a random one)"),
    ],
)
def test_seed_help_says_the_default(
    capsys: pytest.CaptureFixture[str], command: str, seed: str
) -> None:
    assert option_help(help_text(command, capsys), "--seed") == seed


@pytest.mark.parametrize(("command", "has_examples"), [("demo", False), ("run", True)])
def test_examples_is_mentioned_only_where_it_exists(
    capsys: pytest.CaptureFixture[str], command: str, has_examples: bool
) -> None:
    assert ("--examples" in help_text(command, capsys)) == has_examples
