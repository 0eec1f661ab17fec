"""The pytest plugin, as a vendor's project meets it: a throwaway project in tmp_path whose
tests use the fixtures, run by pytest in a subprocess that finds the plugin through its
`pytest11` entry point (no conftest, no -p, the worktree not on the path)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from hypothesis import settings

from harness.pytest_plugin import register_profiles

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "examples" / "test_vendor_pipeline.py"
# Hypothesis loads its "ci" profile by itself when one of these is set: the project under
# test must start from Hypothesis' defaults wherever this suite runs.
CI_VARIABLES = frozenset(
    {
        "CI",
        "TF_BUILD",
        "BUILDKITE",
        "CIRCLECI",
        "CIRRUS_CI",
        "CODEBUILD_BUILD_ID",
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "HEROKU_TEST_RUN_ID",
        "TEAMCITY_VERSION",
        "bamboo.buildKey",
        # tox keeps a passed-through CI here, and Hypothesis reads it too (tox-dev/tox#3442)
        "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI",
    }
)

PROJECT_TESTS = """
import json
import os
import smtplib

import pytest
from hypothesis import given, settings, strategies as st

from harness.roster.generate import generate_roster

RESULTS = os.environ["RESULTS"]


def record(name, value):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join(RESULTS, f"{name}-{worker}.txt"), "a") as out:
        out.write(json.dumps(value) + "\\n")


def test_sink_receives(smtp_sink):
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        client.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\\r\\n\\r\\nhello")
    smtp_sink.wait_idle(0.0, 10)
    assert len(smtp_sink.messages()) == 1


def test_sink_is_empty_at_the_start_of_each_test(smtp_sink):
    assert smtp_sink.messages() == []


def test_roster_follows_the_options(mail_roster):
    record("roster", [len(mail_roster.students), mail_roster.students[0].id])


def test_reference_passes(check_pipeline, mail_roster):
    assert check_pipeline("reference", mail_roster).passed


def test_join_shift_fails(check_pipeline, mail_roster):
    check_pipeline("mutant:join-shift", mail_roster, "vaccine")


def test_an_api_mutant_fails(check_pipeline, mail_roster, smtp_sink):
    record("api", sorted(smtp_sink.api_urls))
    check_pipeline("mutant:mailgun-no-recipient-variables", mail_roster, "vaccine")


@given(students=st.integers(1, 12), seed=st.integers(0, 1))
@settings(max_examples=5)
def test_given_composes(check_pipeline, smtp_sink, students, seed):
    record("sink", [smtp_sink.host, smtp_sink.port])
    check_pipeline("reference", generate_roster(students, seed), "attendance")


@pytest.mark.parametrize("n", range(8))
def test_spread_over_workers(smtp_sink, n):
    record("sink", [smtp_sink.host, smtp_sink.port])


def test_profile():
    current = settings()
    deadline = current.deadline and current.deadline.total_seconds()
    record("profile", [settings.get_current_profile_name(), current.max_examples, deadline])
"""


def run_pytest(
    project: Path, *args: str, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "PYTHONPATH")) and k not in CI_VARIABLES
    }
    env["RESULTS"] = str(project / "results")
    (project / "results").mkdir(exist_ok=True)
    return subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def results(project: Path, name: str) -> list[str]:
    return sorted(
        line
        for path in (project / "results").glob(f"{name}-*.txt")
        for line in path.read_text().splitlines()
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_our_mail.py").write_text(PROJECT_TESTS)
    return tmp_path


def test_fixtures_from_an_outside_project_on_two_xdist_workers(project: Path) -> None:
    run = run_pytest(project, "-n", "2", "--mailharness-students", "9", "--mailharness-seed", "4")
    # Everything passes but the mutant, whose failure reads as a list of violations.
    assert "2 failed, 14 passed" in run.stdout, run.stdout + run.stderr
    assert "FAILED test_our_mail.py::test_join_shift_fails" in run.stdout
    assert "critical foreign-student-data to " in run.stdout
    # The sink fixture serves the API front doors too, and check_pipeline judges what came in.
    assert "FAILED test_our_mail.py::test_an_api_mutant_fails" in run.stdout
    assert "critical exposed-recipients to " in run.stdout
    assert results(project, "api") == ['["mailgun", "postmark", "sendgrid", "ses"]']
    assert "Reproduce with: mailharness run --adapter mutant:join-shift --roster " in run.stdout
    assert "FailedHealthCheck" not in run.stdout
    assert {line[:4] for line in results(project, "roster")} == {"[9, "}
    # Without --hypothesis-profile: Hypothesis' defaults, less the deadline.
    assert results(project, "profile") == ['["mailharness", 100, null]']
    by_worker = {
        path.stem.removeprefix("sink-"): set(path.read_text().splitlines())
        for path in (project / "results").glob("sink-*.txt")
    }
    assert set(by_worker) == {"gw0", "gw1"}
    # Each worker reused its one sink across examples; workers never shared one.
    assert all(len(ports) == 1 for ports in by_worker.values())
    assert len(set.union(*by_worker.values())) == len(by_worker)


def test_a_profile_is_selected_and_the_sink_emptied_between_tests(project: Path) -> None:
    # In one process, in file order: the sink a test filled is empty for the next one.
    run = run_pytest(project, "-k", "test_profile or test_sink", "--hypothesis-profile", "ci")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    assert results(project, "profile") == ['["ci", 100, null]']


@pytest.mark.parametrize(("profile", "examples"), [("ci", 100), ("dev", 20), ("thorough", 1000)])
def test_profiles_have_no_deadline(profile: str, examples: int) -> None:
    register_profiles()
    chosen = settings.get_profile(profile)
    assert (chosen.max_examples, chosen.deadline) == (examples, None)


def test_a_profile_loaded_by_the_project_is_kept(project: Path) -> None:
    (project / "conftest.py").write_text(
        "from hypothesis import settings\n"
        "settings.register_profile('ours', max_examples=7)\n"
        "settings.load_profile('ours')\n"
    )
    run = run_pytest(project, "-k", "test_profile")
    assert run.returncode == 0, run.stdout + run.stderr
    assert results(project, "profile") == ['["ours", 7, 0.2]']


def test_the_readme_example_is_the_tested_one() -> None:
    readme = (ROOT / "README.md").read_text()
    example = EXAMPLE.read_text()
    assert example.strip() in readme


@pytest.mark.slow
def test_a_fresh_venv_that_installs_only_mailharness(tmp_path: Path) -> None:
    """pip install of this worktree into a new venv; the vendor example runs there."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", str(ROOT), "pytest", "pytest-xdist"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr
    project = tmp_path / "vendor"
    project.mkdir()
    (project / "test_vendor_pipeline.py").write_text(EXAMPLE.read_text())
    run = run_pytest(project, "-n", "2", python=python)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
