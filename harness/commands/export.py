"""`mailharness export`: a capture store as .eml files or a Maildir, for a mail client."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.options import EXIT_PASS, Verbs


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
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    from harness.sink.export import export_emls, export_maildir
    from harness.sink.store import CaptureStore

    with CaptureStore(args.store, create=False) as store:
        messages = (store.message(seq) for seq in args.seq) if args.seq else store.iter_messages()
        if args.maildir is not None:
            count = export_maildir(messages, args.maildir)
            print(f"wrote {count} copies to the Maildir {args.maildir}")
        else:
            count = export_emls(messages, args.eml)
            print(f"wrote {count} messages to {args.eml}")
    return EXIT_PASS
