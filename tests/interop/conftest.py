"""Interop tests need real peers (swaks, Postfix): skipped with the reason when one is missing
here, but a failure in CI (CI=true), whose .ci/run installs them."""

from __future__ import annotations

import os
import shutil

import pytest

from harness.sink.server import SINK_HOSTNAME
from harness.sink.tls import TlsIdentity, generate_self_signed


def require_binary(name: str) -> str:
    """The path of `name`, or skip (fail under CI=true) naming the Debian package to install."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is not None:
        return path
    reason = f"{name} is not installed (apt-get install swaks postfix; .ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the interop tests", pytrace=False)
    pytest.skip(reason)


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        reason = f"{what} needs root (Postfix's master starts its daemons as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def tls_identity(tmp_path_factory: pytest.TempPathFactory) -> TlsIdentity:
    return generate_self_signed(tmp_path_factory.mktemp("tls"), SINK_HOSTNAME)
