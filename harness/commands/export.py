"""`mailharness export`: a capture store as .eml files or a Maildir, for a mail client."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.options import EXIT_PASS, Verbs
from harness.errors import HarnessError


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("export", help="write a capture store as .eml files or a Maildir")
    parser.add_argument("--store", type=Path, required=True)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--maildir", type=Path, help="one entry per copy (message x envelope recipient)"
    )
    target.add_argument("--eml", type=Path, help="a directory: one SEQ.eml per message, as sent")
    parser.add_argument(
        "--seq", type=int, action="append", default=[], help="only this message (repeatable)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a target that already holds mail (.eml files of the same message "
        "replaced, Maildir entries added)",
    )
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    from harness.sink.export import export_emls, export_maildir
    from harness.sink.store import CaptureStore

    target: Path = args.maildir if args.maildir is not None else args.eml
    if target.exists() and not target.is_dir():
        raise HarnessError(f"{target}: exists and is not a directory")
    if not args.force and _holds_mail(target):
        raise HarnessError(
            f"{target}: already holds exported mail; not writing into it (another directory, "
            "or --force)"
        )
    with CaptureStore(args.store, create=False) as store:
        # Every --seq read before anything is written: an unknown one leaves no partial output.
        chosen = [store.message(seq) for seq in args.seq]
        messages = iter(chosen) if args.seq else store.iter_messages()
        if args.maildir is not None:
            count = export_maildir(messages, args.maildir)
            print(f"wrote {count} copies to the Maildir {args.maildir}")
        else:
            count = export_emls(messages, args.eml)
            print(f"wrote {count} messages to {args.eml}")
    return EXIT_PASS


def _holds_mail(target: Path) -> bool:
    """An .eml export or a Maildir's messages already in `target`."""
    places = (target, target / "cur", target / "new", target / "tmp")
    return any(
        entry.is_file() and (place is not target or entry.suffix == ".eml")
        for place in places
        if place.is_dir()
        for entry in place.iterdir()
    )
