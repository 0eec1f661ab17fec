"""`export` never overwrites or mixes in what is already there without --force, and an
unknown --seq is an error before anything is written."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from harness.cli import main
from harness.sink.capture import CapturedMessage
from harness.sink.store import CaptureStore

RAW = b"From: n@district.example.org\r\nTo: a@example.com\r\nSubject: Hi\r\n\r\nx\r\n"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    with CaptureStore(path) as s:
        s.write_group(
            [
                CapturedMessage(0, "n@district.example.org", ("a@example.com",), RAW, "", 0, 0.0),
                CapturedMessage(
                    0,
                    "n@district.example.org",
                    ("b@example.org",),
                    RAW.replace(b"Hi", b"Two"),
                    "",
                    0,
                    0.0,
                ),
            ]
        )
    return path


def export(store: Path, *options: str) -> int:
    return main(["export", "--store", str(store), *options])


def test_an_unknown_seq_writes_nothing(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(store, "--eml", str(tmp_path / "eml"), "--seq", "1", "--seq", "99") == 2
    assert "no message 99" in capsys.readouterr().err
    assert not (tmp_path / "eml").exists()


def test_eml_export_refuses_to_overwrite_unless_forced(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "eml"
    assert export(store, "--eml", str(target)) == 0
    (target / "000001.eml").write_bytes(b"my notes")
    capsys.readouterr()
    assert export(store, "--eml", str(target)) == 2
    assert "already holds exported mail" in capsys.readouterr().err
    assert (target / "000001.eml").read_bytes() == b"my notes"
    assert export(store, "--eml", str(target), "--force") == 0
    assert (target / "000001.eml").read_bytes() == RAW


def test_maildir_export_refuses_to_add_unless_forced(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "md"
    assert export(store, "--maildir", str(target)) == 0
    assert export(store, "--maildir", str(target)) == 2
    assert len(mailbox.Maildir(target, create=False)) == 2  # no copy twice
    assert export(store, "--maildir", str(target), "--force") == 0
    assert len(mailbox.Maildir(target, create=False)) == 4


def test_a_target_that_is_a_file(store: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert export(store, "--eml", str(tmp_path / "file")) == 2
