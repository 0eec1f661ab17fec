"""`check` judges a store offline exactly as `run` judged it; `export` opens it to people."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.sink.capture import CapturedMessage
from harness.sink.store import CaptureStore

ROSTER_ARGS = ["--students", "60", "--seed", "4"]


def report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "report.json").read_text())
    return data


@pytest.mark.parametrize("adapter", ["reference", "mutant:to-all", "mutant:join-shift"])
def test_check_gives_the_verdict_of_run(tmp_path: Path, adapter: str) -> None:
    store = tmp_path / "run.sqlite"
    run_code = main(
        ["run", "--adapter", adapter, *ROSTER_ARGS, "--store", str(store),
         "--report-dir", str(tmp_path / "run"), "--grace", "0.05"]
    )  # fmt: skip
    check_code = main(
        ["check", "--store", str(store), *ROSTER_ARGS, "--report-dir", str(tmp_path / "check")]
    )
    ran, checked = report(tmp_path / "run"), report(tmp_path / "check")
    assert check_code == run_code
    assert checked["verdict"] == ran["verdict"]
    for key in ("messages", "copies", "recipients", "violations_by_check", "expected_copies"):
        assert checked["summary"][key] == ran["summary"][key]
    assert checked["violations"] == ran["violations"]
    assert checked["run"]["reproduce"].startswith(f"mailharness check --store {store}")


def test_check_with_a_roster_file(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    main(["roster", "generate", "--students", "30", "--seed", "2", "--out", str(roster)])
    store = tmp_path / "s.sqlite"
    args = ["--roster", str(roster)]
    main(["run", "--adapter", "mutant:duplicate", *args, "--store", str(store),
          "--report-dir", str(tmp_path / "run"), "--grace", "0.05"])  # fmt: skip
    code = main(["check", "--store", str(store), *args, "--report-dir", str(tmp_path / "c")])
    assert code == 1
    assert report(tmp_path / "c")["summary"]["violations_by_check"]["duplicate-notice"] > 0


def test_check_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--store", str(tmp_path / "none.sqlite"), *ROSTER_ARGS])
    assert code == 2
    assert "none.sqlite: no such file" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_check_a_memory_store_judges_it_empty(tmp_path: Path) -> None:
    """A ":memory:" store, which no other process can read: judged in this process, empty."""
    code = main(["check", "--store", ":memory:", *ROSTER_ARGS, "--report-dir", str(tmp_path)])
    assert code == 1
    assert report(tmp_path)["summary"]["copies"] == 0
    assert {v["check"] for v in report(tmp_path)["violations"]} == {"missing-notice"}


def test_check_needs_the_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    CaptureStore(tmp_path / "s.sqlite").close()
    assert main(["check", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "--roster FILE or --seed" in capsys.readouterr().err


def test_run_will_not_overwrite_a_store_holding_mail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.sqlite"
    with CaptureStore(store) as s:
        s.write_group(
            [CapturedMessage(0, "a@example.org", tuple(["b@example.org"]), b"x\r\n", "", 0, 0.0)]
        )
    code = main(["run", "--adapter", "reference", *ROSTER_ARGS, "--store", str(store),
                 "--report-dir", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    assert "already holds 1 messages" in capsys.readouterr().err
    with CaptureStore(store) as s:
        assert s.count() == 1


def test_export_maildir_and_eml(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    raw = (
        b"From: n@district.example.org\r\nTo: undisclosed-recipients:;\r\nSubject: Hi\r\n\r\nx\r\n"
    )
    with CaptureStore(store) as s:
        s.write_group(
            [
                CapturedMessage(
                    0,
                    "n@district.example.org",
                    tuple(["a@example.com", "b@example.org"]),
                    raw,
                    "",
                    0,
                    0.0,
                )
            ]
        )
        s.write_group(
            [
                CapturedMessage(
                    0,
                    "n@district.example.org",
                    tuple(["c@example.net"]),
                    raw.replace(b"Hi", b"Two"),
                    "",
                    0,
                    0.0,
                )
            ]
        )
    assert main(["export", "--store", str(store), "--maildir", str(tmp_path / "md")]) == 0
    box = mailbox.Maildir(tmp_path / "md", create=False)
    copies = sorted((m["Delivered-To"], m["Subject"]) for m in box)
    assert copies == [("a@example.com", "Hi"), ("b@example.org", "Hi"), ("c@example.net", "Two")]
    assert {m["Return-Path"] for m in box} == {"<n@district.example.org>"}
    assert (
        main(["export", "--store", str(store), "--eml", str(tmp_path / "eml"), "--seq", "1"]) == 0
    )
    assert [p.name for p in (tmp_path / "eml").iterdir()] == ["000001.eml"]
    assert (tmp_path / "eml" / "000001.eml").read_bytes() == raw  # byte for byte
