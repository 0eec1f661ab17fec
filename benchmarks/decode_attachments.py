"""Decode + scan time per message: a 2-KB plain notice against the same notice carrying a
50-KB PDF and a 50-KB XLSX class list. Prints figures; asserts nothing.

    python benchmarks/decode_attachments.py   (from the repo root)
"""

from __future__ import annotations

import random
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.oracle.decode import visible_segments
from harness.oracle.extractors import _CACHE
from harness.oracle.tokens import TokenIndex
from harness.roster.generate import generate_roster
from tests.oracle import documents


def _names(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return [
        (
            "S-" + "".join(rng.choice(letters) for _ in range(8)),
            rng.choice(["Ana", "Bao", "Chloé", "Dariusz", "Emma", "Fátima", "Giulia", "Hugo"]),
            rng.choice(["García", "Nguyen", "Müller", "Kowalski", "Rossi", "Smith", "Lefèvre"]),
        )
        for _ in range(count)
    ]


def _sized(build, target: int) -> bytes:  # type: ignore[no-untyped-def]
    rows = 50
    while len(data := build(rows)) < target:
        rows = int(rows * target / len(data)) + 10
    return data


def main() -> None:
    rng = random.Random(7)
    roster = generate_roster(2000, seed=7)
    index = TokenIndex.build(roster)
    body = ("Dear family,\nYour child's immunization record is missing: Tdap.\n" * 30)[:2000]

    plain = EmailMessage()
    plain["From"] = "nurse@district.example.org"
    plain["To"] = "parent@example.com"
    plain["Subject"] = "Immunization records"
    plain.set_content(body)

    pdf = _sized(lambda n: documents.pdf([" ".join(r) for r in _names(rng, n)]), 50_000)
    xlsx = _sized(lambda n: documents.xlsx({"Class": [list(r) for r in _names(rng, n)]}), 50_000)
    attached = EmailMessage()
    for name in ("From", "To", "Subject"):
        attached[name] = plain[name]
    attached.set_content(body)
    attached.add_attachment(pdf, maintype="application", subtype="pdf", filename="list.pdf")
    attached.add_attachment(
        xlsx,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="list.xlsx",
    )
    visible_segments(attached.as_bytes())  # import pypdf and openpyxl before timing

    print(f"roster 2,000 students; PDF {len(pdf):,} B, XLSX {len(xlsx):,} B")
    for label, message, rounds, cold in (
        ("plain 2-KB notice", plain.as_bytes(), 2000, False),
        ("+ 50-KB PDF + 50-KB XLSX, each new", attached.as_bytes(), 10, True),
        ("+ the same PDF + XLSX as before", attached.as_bytes(), 50, False),
    ):
        started = time.perf_counter()
        for _ in range(rounds):
            if cold:
                _CACHE.clear()  # as if every copy carried a different file
            index.scan(visible_segments(message))
        per = (time.perf_counter() - started) / rounds
        print(f"{label:36} {len(message):>8,} B {per * 1000:8.2f} ms/message {1 / per:8.0f}/s")


if __name__ == "__main__":
    main()
