"""Peak memory of `mailharness check` on a store holding one large HTML message, against the
message's size (issue 13: judging a message takes at most 10x its size). Prints figures;
asserts nothing.

    python benchmarks/check_memory.py [--mb 60] [--mb 20]   (from the repo root)

The HTML is what a newsletter tool sends: paragraphs with accented words, an emoji (which
makes Python hold its text at four bytes a character), links with percent-escapes, base64
encoded. `check` runs in a child process; its peak is that child's maximum resident set size,
which includes the interpreter and the harness (printed alone as "baseline": `check` on a
store holding one small notice).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.sink.capture import CapturedMessage
from harness.sink.store import CaptureStore

ROSTER = ["--students", "200", "--seed", "1"]
PARAGRAPH = (
    '<p>Clinic day for the école: Tuesday 9:00, bring the <a href="https://forms.example.org/'
    'sign%20here?form=tdap+2024&amp;lang=fr">signed form</a> \U0001f4dd and a snack. '
    "<b>Merci</b> from the nurse&#39;s office.</p>\n"
)


def html_message(size: int) -> bytes:
    """A message of about `size` bytes: one base64 text/html part."""
    count = max(1, int(size * 0.74) // len(PARAGRAPH.encode()))
    message = EmailMessage()
    message["From"] = "news@district.example.org"
    message["To"] = "helen.park@example.com"
    message["Subject"] = "Newsletter"
    message.set_content(f"<html><body>{PARAGRAPH * count}</body></html>", "html", cte="base64")
    return message.as_bytes()


def peak_of_check(raw: bytes, directory: Path) -> tuple[float, float]:
    """(peak RSS of the `check` child in MiB, seconds)."""
    store = directory / f"store-{len(raw)}.sqlite"
    with CaptureStore(store) as capture:
        capture.write_group(
            [
                CapturedMessage(
                    0,
                    "news@district.example.org",
                    ("helen.park@example.com",),
                    raw,
                    "127.0.0.1:1",
                    1,
                    0.0,
                )
            ]
        )
    started = time.perf_counter()
    command = [sys.executable, "-c", _CHILD, str(store), str(directory / "report"), *ROSTER]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(output.split()[-1]), time.perf_counter() - started


# The child runs `check` and prints its own peak RSS (ru_maxrss of a process that ran nothing
# else), so that earlier measurements in this process do not mask it.
_CHILD = """
import resource, sys
from harness.cli import main
store, report, *roster = sys.argv[1:]
main(["check", "--store", store, "--report-dir", report, *roster])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, action="append", help="message size(s), MB")
    sizes = parser.parse_args().mb or [60.0]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        baseline, _ = peak_of_check(html_message(4096), directory)
        print(f"baseline (a 4 KB message): peak {baseline:.0f} MiB")
        print(f"{'message':>10} {'peak':>10} {'peak/size':>10} {'over baseline':>14} {'time':>7}")
        for mb in sizes:
            raw = html_message(int(mb * 1024 * 1024))
            peak, seconds = peak_of_check(raw, directory)
            size = len(raw) / (1024 * 1024)
            print(
                f"{size:8.1f} MiB {peak:6.0f} MiB {peak / size:9.1f}x "
                f"{(peak - baseline) / size:13.1f}x {seconds:6.1f}s"
            )


if __name__ == "__main__":
    main()
