"""`mailharness diff`: two adapters, the same rosters, their deliveries compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.oracle.decode import Reading

SENDERS = Path(__file__).parent / "senders"


def diff(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["diff", *args, "--report-dir", str(tmp_path), "--grace", "0.02"])
    return code, json.loads((tmp_path / "diff.json").read_text())


def test_reference_against_itself_is_equivalent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = diff(tmp_path, "--candidate", "reference", "--students", "30", "--seed", "2")
    assert code == 0
    assert report["verdict"] == "equivalent"
    [example] = report["examples"]
    assert example["differences"] == []
    assert example["baseline"]["copies"] == example["candidate"]["copies"] > 0
    assert "EQUIVALENT" in capsys.readouterr().out


def test_join_shift_names_the_swapped_students(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = diff(
        tmp_path, "--candidate", "mutant:join-shift", "--students", "30", "--seed", "2"
    )
    assert code == 1
    assert report["verdict"] == "different"
    [example] = report["examples"]
    deliveries = [d for d in example["differences"] if d["kind"] == "delivery"]
    # Same number of copies, other students' data in them: what one recipient lost, the
    # candidate gave it of someone else.
    assert example["baseline"]["copies"] == example["candidate"]["copies"]
    lost = {(d["recipient"], d["student"]) for d in deliveries if d["candidate_copies"] == 0}
    gained = {(d["recipient"], d["student"]) for d in deliveries if d["baseline_copies"] == 0}
    assert lost and gained
    assert {r for r, _ in lost} == {r for r, _ in gained}
    assert example["students_involved"] == sorted({s for _, s in lost | gained})
    out = capsys.readouterr().out
    recipient, student = sorted(gained)[0]
    assert f"to {recipient}: copies carrying {student} (" in out
    assert (
        "reproduce with: mailharness diff --baseline reference --candidate mutant:join-shift" in out
    )


def test_header_shapes_catch_a_shared_to_line(tmp_path: Path) -> None:
    code, report = diff(tmp_path, "--candidate", "mutant:to-all", "--students", "30", "--seed", "4")
    assert code == 1
    shapes = [d for d in report["examples"][0]["differences"] if d["kind"] == "header-shape"]
    # The reference shows each recipient only itself; to-all shows everyone in one To line.
    assert shapes and all(set(d["baseline_shape"]) == {"1"} for d in shapes)
    assert all(int(shown) > 1 for d in shapes for shown in d["candidate_shape"])


def test_a_cmd_adapter_equivalent_to_reference(tmp_path: Path) -> None:
    sender = f"cmd:python3 {SENDERS / 'smtplib_sender.py'}"
    code, report = diff(tmp_path, "--candidate", sender, "--students", "40", "--seed", "8")
    assert code == 0, report


def test_examples_walk_seeds_and_stop_at_the_first_difference(tmp_path: Path) -> None:
    code, report = diff(
        tmp_path, "--candidate", "reference", "--students", "10", "--seed", "5", "--examples", "3"
    )
    assert code == 0
    assert [e["roster"] for e in report["examples"]] == [
        "10 students, seed 5",
        "10 students, seed 6",
        "10 students, seed 7",
    ]
    code, report = diff(
        tmp_path,
        "--candidate",
        "mutant:restricted",
        "--students",
        "300",
        "--seed",
        "1",
        "--examples",
        "3",
    )
    assert code == 1
    assert len(report["examples"]) == 1


def test_a_roster_file(tmp_path: Path) -> None:
    from harness.roster.generate import generate_roster
    from harness.roster.io import save_roster

    path = tmp_path / "roster.json"
    save_roster(generate_roster(20, 3), path)
    code, report = diff(tmp_path / "out", "--candidate", "mutant:duplicate", "--roster", str(path))
    [example] = report["examples"]
    assert example["roster"] == str(path)
    assert code == 1
    # A guardian shared by siblings gets each notice twice.
    deliveries = [d for d in example["differences"] if d["kind"] == "delivery"]
    assert {(d["baseline_copies"], d["candidate_copies"]) for d in deliveries} == {(1, 2)}
    assert example["reproduce"].endswith(f"--roster {path} --campaign vaccine")


def test_examples_cannot_go_with_a_roster_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.json"
    path.write_text("{}")
    code = main(["diff", "--candidate", "reference", "--roster", str(path), "--examples", "2"])
    assert code == 2
    assert "--examples N needs generated rosters" in capsys.readouterr().err


def test_a_crashing_candidate_is_an_error_not_a_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crash = f"cmd:python3 {SENDERS / 'crash_sender.py'}"
    code = main(
        [
            "diff",
            "--candidate",
            crash,
            "--students",
            "10",
            "--seed",
            "1",
            "--report-dir",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert json.loads((tmp_path / "diff.json").read_text())["verdict"] == "error"
    assert "mailharness: error:" in capsys.readouterr().err


def test_each_message_is_decoded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrices are the judges': diff does not decode and scan what run_once judged."""
    from harness.oracle import findings

    decoded: list[bytes] = []
    real = findings.read_message

    def counting(raw: bytes) -> Reading:
        decoded.append(raw)
        return real(raw)

    monkeypatch.setattr(findings, "read_message", counting)
    code, report = diff(tmp_path, "--candidate", "mutant:to-all", "--students", "20", "--seed", "1")
    assert code == 1
    [example] = report["examples"]
    sent = example["baseline"]["messages"] + example["candidate"]["messages"]
    assert example["candidate"]["messages"] < example["candidate"]["copies"]  # one To: line
    assert len(decoded) == sent > 0
