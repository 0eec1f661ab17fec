"""Options and helpers shared by several verbs."""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.roster.model import Roster

EXIT_PASS, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
DEFAULT_GRACE = 0.2

# The subparsers object that `register` functions receive.
Verbs = Any


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_roster_options(parser: argparse.ArgumentParser, default_seed: int | None = None) -> None:
    parser.add_argument("--students", type=positive_int, default=300)
    parser.add_argument(
        "--seed", type=int, default=default_seed, help="roster seed (default: a random one)"
    )
    parser.add_argument(
        "--roster",
        type=Path,
        help="a roster .json file or a OneRoster CSV folder instead of a generated roster",
    )


def add_sink_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="sink address (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="sink port (default: any free one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="adapter timeout, seconds")
    parser.add_argument(
        "--grace",
        type=float,
        default=None,
        help="idle seconds after the last session closes (0.2; 0.02 per example of --examples)",
    )


@dataclass(frozen=True)
class RosterChoice:
    roster: Roster
    label: str  # for people: "300 students, seed 7" or the file
    options: tuple[str, ...]  # the options that give this roster again


def load_or_generate(args: argparse.Namespace) -> RosterChoice:
    from harness.roster.generate import generate_roster
    from harness.roster.io import load_roster
    from harness.roster.oneroster import read_bundle

    if args.roster is not None:
        path: Path = args.roster
        roster = read_bundle(path) if path.is_dir() else load_roster(path)
        return RosterChoice(roster, str(path), ("--roster", str(path)))
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    return RosterChoice(
        generate_roster(args.students, seed),
        f"{args.students} students, seed {seed}",
        ("--students", str(args.students), "--seed", str(seed)),
    )
