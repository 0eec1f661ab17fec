"""report.html in a real browser (Debian's headless chromium): the verdict and the first
violation's evidence are rendered and visible, and a screenshot is kept as a test artifact.

Skipped where chromium is not installed, but failed in CI (CI=true), where `.ci/run`
installs it: a report nobody looked at in a browser must not pass for tested.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.report.html import excerpt_parts

from .conftest import SCRIPT_NAME, load

ARTIFACTS = Path(__file__).resolve().parents[2] / "reports" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{message}: .ci/run must install it")
        pytest.skip(message)
    return path


def browse(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless, loopback-free: no network, no sync, no updates, a throwaway profile."""
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1280,2000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class Texts(HTMLParser):
    """The text content of every element with a given id or class, as the DOM has it."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted = wanted
        self.open: list[int] = []  # depths of the wanted elements we are inside
        self.depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += 1
        named = dict(attrs)
        if self.wanted in (named.get("id"), *(named.get("class") or "").split()):
            self.open.append(self.depth)
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == self.depth:
            self.open.pop()
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.open:
            self.found[-1] += data


def texts(dom: str, wanted: str) -> list[str]:
    parser = Texts(wanted)
    parser.feed(dom)
    return parser.found


# Reports, for the element it is given, whether the browser lays it out visibly. Added to a
# copy of the page only (the report itself holds no script and forbids one by its CSP).
PROBE = """<script>
function seen(el) {
  if (!el) return "missing";
  const box = el.getBoundingClientRect();
  const shown = el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  return shown && box.width > 0 && box.height > 0 ? "visible" : "hidden";
}
const want = WANT;
const excerpt = [...document.querySelectorAll(".excerpt")].find(e => e.textContent === want);
const control = document.createElement("div");
control.hidden = true;
control.innerHTML = '<span class="excerpt">control</span>';
document.body.append(control);
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = [document.getElementById("verdict"), excerpt, control.firstChild]
  .map(seen).join(" ");
document.body.append(probe);
</script>"""


def test_report_renders_in_chromium(chromium: str, failed_run: Path, tmp_path: Path) -> None:
    report = load(failed_run)
    page = failed_run / "report.html"
    evidence = "".join(excerpt_parts(report["violations"][0]["evidence"][0]))

    screenshot = tmp_path / "report.png"
    browse(chromium, tmp_path / "profile", f"--screenshot={screenshot}", page.as_uri())
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 2000)
    if IN_CI:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, ARTIFACTS / "report-chromium.png")

    dom = browse(chromium, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    (verdict,) = texts(dom, "verdict")
    assert verdict.strip().startswith(f"FAIL{report['summary']['violations']} violations found")
    assert evidence in texts(dom, "excerpt")
    # The student named <script>...: text on the page, no element.
    assert "<script" not in dom.lower()
    assert any(SCRIPT_NAME in text for text in texts(dom, "violation"))

    probed = tmp_path / "probed.html"
    html = page.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    want = json.dumps(evidence).replace("</", "<\\/")
    probed.write_text(html.replace("</body>", PROBE.replace("WANT", want) + "</body>"))
    dom = browse(chromium, tmp_path / "profile", "--dump-dom", probed.as_uri()).stdout
    assert texts(dom, "probe") == ["visible visible hidden"]
