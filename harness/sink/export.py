"""Captured mail for people: one message as a `.eml` file, a whole store as a Maildir.

Judging never reads these files. A `.eml` holds the DATA exactly as received. A Maildir entry
is one *copy* (one message as delivered to one envelope recipient), with the `Return-Path:`
and `Delivered-To:` lines a local delivery agent adds, so a mail client shows who got it.
A message that came in through an email API gets its evidence beside its `.eml`
(`<seq>.request.json`: the front door, the call, and the part of the request it was built
from).
"""

from __future__ import annotations

import json
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
    """Every message as DIRECTORY/<seq>.eml, byte for byte, and the request evidence of an API
    message as DIRECTORY/<seq>.request.json; return how many messages."""
    count = 0
    for message in messages:
        export_eml(message, directory / f"{message.seq:06d}.eml")
        if message.front_door != "smtp":
            evidence = {
                "front_door": message.front_door,
                "call": message.call,
                "evidence": json.loads(message.evidence) if message.evidence else None,
            }
            text = json.dumps(evidence, ensure_ascii=False, indent=2) + "\n"
            (directory / f"{message.seq:06d}.request.json").write_text(text, encoding="utf-8")
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
