"""The mailharness pytest plugin (entry point `pytest11: mailharness`).

Fixtures, all session-scoped so that they compose with Hypothesis' `@given` (which refuses
function-scoped fixtures) and give one sink per pytest-xdist worker:

- `smtp_sink`: a running loopback `CaptureSink`, emptied before every test.
- `mail_roster`: a generated roster (`--mailharness-students`, `--mailharness-seed`).
- `check_pipeline`: `check_pipeline(adapter, roster, campaign=None)` on that sink; raises an
  AssertionError listing the violations and a command that reproduces the run.

It also registers the Hypothesis settings profiles `ci`, `dev` and `thorough`, chosen with
Hypothesis' own `--hypothesis-profile`, all without a deadline (every example is an SMTP
round trip). When neither that option nor the project's conftest chose a profile, it loads
`mailharness`: Hypothesis' defaults without the deadline. Everything heavy is imported on
first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.roster.model import Roster
    from harness.sink.server import CaptureSink

DEFAULT_SEED = 20260101
DEFAULT_STUDENTS = 40

# Every example is I/O bound (an SMTP round trip per copy): no deadline in any profile.
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 20},
    # As Hypothesis' own "ci" profile (which it loads by itself when it detects a CI).
    "ci": {"max_examples": 100, "derandomize": True, "database": None, "print_blob": True},
    "thorough": {"max_examples": 1000},
}

_SINK_KEY = pytest.StashKey["CaptureSink"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailharness", "mailharness: bulk-mail pipeline checks")
    group.addoption(
        "--mailharness-seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the mail_roster fixture (default {DEFAULT_SEED})",
    )
    group.addoption(
        "--mailharness-students",
        type=int,
        default=DEFAULT_STUDENTS,
        help=f"students in the mail_roster fixture (default {DEFAULT_STUDENTS})",
    )
    group.addoption(
        "--mailharness-grace",
        type=float,
        default=0.05,
        help="idle seconds the sink waits after the last SMTP session closes (default 0.05)",
    )
    group.addoption(
        "--mailharness-host",
        default="127.0.0.1",
        help="loopback address the smtp_sink listens on (default 127.0.0.1)",
    )


# Loaded when nobody chose a profile: Hypothesis' defaults, less the deadline.
FALLBACK_PROFILE = "mailharness"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: registered before Hypothesis' own plugin loads `--hypothesis-profile`.
    from hypothesis import settings

    register_profiles()
    chosen = config.getoption("hypothesis_profile", None)
    if chosen is None and settings.get_current_profile_name() == "default":
        settings.load_profile(FALLBACK_PROFILE)


def register_profiles() -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(FALLBACK_PROFILE, deadline=None)
    for name, values in PROFILES.items():
        settings.register_profile(
            name, deadline=None, suppress_health_check=[HealthCheck.too_slow], **values
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A hook rather than an autouse fixture: nothing function-scoped reaches @given tests.
    sink = item.config.stash.get(_SINK_KEY, None)
    if sink is not None and sink.running:
        sink.clear()


@pytest.fixture(scope="session")
def smtp_sink(pytestconfig: pytest.Config) -> Iterator[CaptureSink]:
    """A capturing SMTP sink on loopback, one per session (per xdist worker)."""
    from harness.sink.server import CaptureSink

    with CaptureSink(pytestconfig.getoption("mailharness_host")) as sink:
        pytestconfig.stash[_SINK_KEY] = sink
        try:
            yield sink
        finally:
            del pytestconfig.stash[_SINK_KEY]


@pytest.fixture(scope="session")
def mail_roster(pytestconfig: pytest.Config) -> Roster:
    """A generated roster; rosters are immutable, so one serves the whole session."""
    from harness.roster.generate import generate_roster

    return generate_roster(
        pytestconfig.getoption("mailharness_students"), pytestconfig.getoption("mailharness_seed")
    )


@pytest.fixture(scope="session")
def check_pipeline(
    smtp_sink: CaptureSink,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., Any]:
    """`check_pipeline(adapter, roster, campaign=None)`: run it on the session sink and raise
    an AssertionError listing the violations. `adapter` is a spec string ("reference",
    "cmd:./send.sh"), an Adapter, or a function `(roster, campaign, smtp) -> None`."""
    from harness.pipeline_check import AdapterLike
    from harness.pipeline_check import check_pipeline as check
    from harness.result import RunResult
    from harness.roster.campaign import Campaign

    grace = pytestconfig.getoption("mailharness_grace")
    reproduce_dir = tmp_path_factory.getbasetemp() / "mailharness"

    def check_pipeline(
        adapter: AdapterLike, roster: Roster, campaign: Campaign | str | None = None
    ) -> RunResult:
        __tracebackhide__ = True
        return check(
            adapter, roster, campaign, sink=smtp_sink, grace=grace, reproduce_dir=reproduce_dir
        )

    return check_pipeline
