"""The mailharness command: one module per verb under harness/commands/."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from harness.commands import acceptance, check, demo, diff, export, report, roster, run, sink
from harness.commands.options import EXIT_ERROR, print_error
from harness.errors import HarnessError

# The verbs, in the order `mailharness --help` lists them. Each module has
# `register(verbs)`, which adds its parser and sets `execute(args) -> exit code`.
COMMANDS = (run, demo, roster, diff, sink, check, export, acceptance, report)


def build_parser() -> argparse.ArgumentParser:
    """argparse itself answers a usage error with one line and exit code 2."""
    parser = argparse.ArgumentParser(
        prog="mailharness",
        description="Test bulk-mail pipelines for privacy errors before they reach families.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    for command in COMMANDS:
        command.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.execute(args)
        return code
    except HarnessError as exc:
        print_error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mailharness: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader of our output went away (`| head`): the report is written; stay quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
