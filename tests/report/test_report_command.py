"""`mailharness run` writes every format; `mailharness report RUN_DIR` renders them again;
`run --json` prints report.json for scripts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.render import RENDERERS

from .conftest import load, run

FORMATS = ("report.json", *RENDERERS)


@pytest.mark.parametrize("fixture", ["failed_run", "passed_run", "errored_run"])
def test_run_writes_every_format(fixture: str, request: pytest.FixtureRequest) -> None:
    report_dir: Path = request.getfixturevalue(fixture)
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(FORMATS)


def test_report_renders_again_from_report_json(failed_run: Path, tmp_path: Path) -> None:
    copied = tmp_path / "copied"
    copied.mkdir()
    shutil.copyfile(failed_run / "report.json", copied / "report.json")
    assert main(["report", str(copied)]) == 0
    for name in RENDERERS:
        assert (copied / name).read_text() == (failed_run / name).read_text()
    out = tmp_path / "elsewhere"
    assert main(["report", str(copied / "report.json"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(RENDERERS)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON: line 1"),
        ('{"verdict": "pass"}', "not a mailharness report"),
        ('{"schema": "mailharness.report/1", "verdict": "maybe"}', "verdict"),
        ('{"schema": "mailharness.report/1", "verdict": "fail", "violations": []}', "summary"),
    ],
)
def test_report_of_a_bad_run_dir_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, needle: str
) -> None:
    if content is not None:
        (tmp_path / "report.json").write_text(content)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mailharness: error: ")
    assert str(tmp_path / "report.json") in err and needle in err
    assert not (tmp_path / "report.html").exists()


def test_report_of_a_run_dir_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"mailharness: error: {tmp_path / 'nowhere' / 'report.json'}: no such file "
        "(run `mailharness run` first)\n"
    )


def test_run_json_prints_report_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        tmp_path, "--adapter", "mutant:unrendered", "--students", "40", "--seed", "3", "--json"
    )
    assert code == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed == load(tmp_path)
    assert printed["summary"]["violations_by_check"]["unrendered-template"] > 0
