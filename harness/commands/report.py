"""`mailharness report RUN_DIR`: render junit.xml, report.html and summary.md again from the
run's report.json (after an upgrade, or for a report.json copied from elsewhere)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.options import EXIT_PASS, Verbs


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "report", help="render junit.xml, report.html and summary.md from a run's report.json"
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="holds report.json")
    parser.add_argument(
        "--out", type=Path, help="where to write the reports (default: RUN_DIR itself)"
    )
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    from harness.report.render import RENDERERS
    from harness.report.view import ReportError, load_report

    report = load_report(args.run_dir)
    out = args.out or (args.run_dir.parent if args.run_dir.suffix == ".json" else args.run_dir)
    source = args.run_dir if args.run_dir.suffix == ".json" else args.run_dir / "report.json"
    try:  # all of them before writing any: a broken report.json leaves no partial output
        rendered = {name: render(report) for name, render in RENDERERS.items()}
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise ReportError(
            f"{source}: its schema is right but not its structure, so it cannot be rendered "
            f"({type(exc).__name__}: {exc})"
        ) from None
    out.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    return EXIT_PASS
