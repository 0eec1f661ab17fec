"""Shared by the API front door tests: a sink serving every front door, and a raw HTTP client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore


@pytest.fixture(params=["memory", "store"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaptureSink]:
    """A sink serving every front door, recording in memory, then into the SQLite store."""
    if request.param == "memory":
        with CaptureSink() as s:
            yield s
        return
    with CaptureStore(tmp_path / "api.sqlite") as store, CaptureSink(store=store) as s:
        yield s


def post(
    url: str,
    body: bytes | Any,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
) -> tuple[int, Any, Mapping[str, str]]:
    """(status, JSON body or raw bytes, headers) of one request, whatever the status."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as err:
        status, raw, got = err.code, err.read(), err.headers
    try:
        return status, json.loads(raw) if raw else None, got
    except ValueError:
        return status, raw, got
