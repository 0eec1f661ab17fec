"""Captured mail for people: one message as a `.eml` file, a whole store as a Maildir.

Judging never reads these files. A `.eml` holds the DATA exactly as received. A Maildir entry
is one *copy* (one message as delivered to one envelope recipient), with the `Return-Path:`
and `Delivered-To:` lines a local delivery agent adds, so a mail client shows who got it.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from pathlib import Path

from harness.sink.capture import CapturedMessage


def copy_bytes(message: CapturedMessage, recipient: str | None = None) -> bytes:
    """The message as delivered to `recipient` (with delivery lines), or exactly as received."""
    if recipient is None:
        return message.raw
    head = f"Return-Path: <{message.mail_from}>\r\nDelivered-To: {recipient}\r\n"
    return head.encode("utf-8") + message.raw


def export_eml(message: CapturedMessage, path: Path, recipient: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(copy_bytes(message, recipient))
    return path


def export_emls(messages: Iterable[CapturedMessage], directory: Path) -> int:
    """Every message as DIRECTORY/<seq>.eml, byte for byte; return how many."""
    count = 0
    for message in messages:
        export_eml(message, directory / f"{message.seq:06d}.eml")
        count += 1
    return count


def export_maildir(messages: Iterable[CapturedMessage], directory: Path) -> int:
    """Every copy of every message into the Maildir at `directory` (created); return how many."""
    box = mailbox.Maildir(directory, create=True)
    count = 0
    for message in messages:
        for recipient in message.rcpt_tos:
            box.add(copy_bytes(message, recipient))
            count += 1
    return count
