"""`mailharness roster generate`: write a synthetic roster."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.options import EXIT_PASS, Verbs, positive_int

FORMATS = ("json", "oneroster1.1", "oneroster1.2")


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("roster", help="generate rosters")
    roster_verbs = parser.add_subparsers(dest="roster_verb", required=True)
    generate = roster_verbs.add_parser("generate", help="write a synthetic roster")
    generate.add_argument("--students", type=positive_int, default=300)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json (a file) or a OneRoster CSV bundle (a folder)",
    )
    generate.add_argument("--out", type=Path, required=True)
    generate.set_defaults(execute=execute_generate)


def execute_generate(args: argparse.Namespace) -> int:
    write_roster(args.students, args.seed, args.format, args.out)
    return EXIT_PASS


def write_roster(students: int, seed: int, form: str, out: Path) -> None:
    """Generate `students` students from `seed` and write them to `out` in `form` (FORMATS)."""
    from harness.roster.generate import generate_roster
    from harness.roster.io import save_roster
    from harness.roster.oneroster import write_bundle

    roster = generate_roster(students, seed)
    if form == "json":
        save_roster(roster, out)
    else:
        write_bundle(roster, out, version=form.removeprefix("oneroster"))
    print(
        f"wrote {out}: {len(roster.students)} students, {len(roster.contacts)} contacts, "
        f"{len(roster.links)} links"
    )
