"""Real senders as adapters: Django's mail API, the mailmerge tool, a plain smtplib script and
a web endpoint behind `http:`. The correct ones pass on every roster; the wrong ones are caught
by the check written for their mistake."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "senders"
sys.path.insert(0, str(EXAMPLES))
import http_endpoint  # noqa: E402

CORRECT = {
    "django": f"cmd:{sys.executable} {EXAMPLES / 'django_sender.py'}",
    "mailmerge": f"cmd:{sys.executable} {EXAMPLES / 'mailmerge_sender.py'}",
    "smtplib": f"cmd:{sys.executable} {ROOT / 'tests' / 'senders' / 'smtplib_sender.py'}",
}
WRONG = {
    "django-to-list": (CORRECT["django"] + " --bug to-list", "exposed-recipients"),
    "mailmerge-every-contact": (
        CORRECT["mailmerge"] + " --bug every-contact",
        "restricted-recipient",
    ),
    "smtplib-ignore-restricted": (
        CORRECT["smtplib"] + " --bug ignore-restricted",
        "restricted-recipient",
    ),
}


def run(tmp_path: Path, adapter: str, seed: int, students: int = 60) -> tuple[int, dict[str, Any]]:
    report_dir = tmp_path / f"seed-{seed}"
    code = main(
        ["run", "--adapter", adapter, "--students", str(students), "--seed", str(seed),
         "--report-dir", str(report_dir), "--grace", "0.05"]
    )  # fmt: skip
    return code, json.loads((report_dir / "report.json").read_text())


@pytest.mark.parametrize("sender", sorted(CORRECT))
def test_correct_sender_passes(tmp_path: Path, sender: str) -> None:
    code, report = run(tmp_path, CORRECT[sender], seed=1, students=200)
    assert code == 0, report["violations"][:3]
    assert report["summary"]["copies"] == report["summary"]["expected_copies"] > 0


@pytest.mark.parametrize("variant", sorted(WRONG))
def test_wrong_sender_is_caught(tmp_path: Path, variant: str) -> None:
    adapter, check = WRONG[variant]
    code, report = run(tmp_path, adapter, seed=1, students=200)
    assert code == 1
    assert report["summary"]["violations_by_check"][check] > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(200, 250))
@pytest.mark.parametrize("sender", sorted(CORRECT))
def test_correct_sender_passes_on_50_seeds(tmp_path: Path, sender: str, seed: int) -> None:
    code, report = run(tmp_path, CORRECT[sender], seed)
    assert code == 0, report["violations"][:3]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(200, 250))
@pytest.mark.parametrize("variant", sorted(WRONG))
def test_wrong_sender_is_caught_on_50_seeds(tmp_path: Path, variant: str, seed: int) -> None:
    adapter, check = WRONG[variant]
    code, report = run(tmp_path, adapter, seed, students=200)
    assert code == 1
    assert report["summary"]["violations_by_check"][check] > 0


# --- http: ----------------------------------------------------------------------------------


@pytest.fixture
def endpoint() -> Iterator[Any]:
    """start(handler class) -> the URL of a local endpoint serving it."""
    servers: list[ThreadingHTTPServer] = []

    def start(handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/send"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_endpoint_passes(tmp_path: Path, endpoint: Any) -> None:
    url = endpoint(http_endpoint.make_handler())
    code, report = run(tmp_path, f"http:{url}", seed=2, students=150)
    assert code == 0, report["violations"][:3]
    assert json.loads(report["adapter"]["stdout"])["sent"] == report["summary"]["copies"]


def test_http_endpoint_with_a_bug_is_caught(tmp_path: Path, endpoint: Any) -> None:
    url = endpoint(http_endpoint.make_handler(every_contact=True))
    code, report = run(tmp_path, url, seed=2, students=150)  # a bare URL works as the spec
    assert code == 1
    assert report["summary"]["violations_by_check"]["restricted-recipient"] > 0


class Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"database is down\nmore detail")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_http_endpoint_error_is_an_adapter_error(
    tmp_path: Path, endpoint: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = endpoint(Failing)
    code = main(["run", "--adapter", f"http:{url}", "--students", "5", "--report-dir",
                 str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "answered 500: database is down" in capsys.readouterr().err


def test_http_endpoint_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--adapter", "http:http://127.0.0.1:9/send", "--students", "5",
                 "--report-dir", str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "cannot reach" in capsys.readouterr().err


def test_http_spec_without_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--adapter", "http:nowhere", "--students", "5"]) == 2
    assert "expected http:URL" in capsys.readouterr().err
