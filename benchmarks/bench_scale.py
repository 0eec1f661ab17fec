"""District-scale figures (issue 4): roster generation, sink ingest, judging.

    python benchmarks/bench_scale.py [generate|ingest|judge ...]

Prints figures, asserts no time. Sizes come from the environment (defaults: the district
of the issue): MAILHARNESS_BENCH_STUDENTS (600000), MAILHARNESS_BENCH_COPIES (1000000),
MAILHARNESS_BENCH_INGEST (20000 messages per client count), MAILHARNESS_BENCH_SEED (7),
MAILHARNESS_BENCH_WORKERS (the usable cores).

Judging: reference-style notices (the reference sender's own bytes, `notice_bytes`) are
synthesized without SMTP, one per (recipient, selected student) of the plan and one in ten
addressed to every recipient of its student at once, and streamed into a capture store file
(the store a district-scale `mailharness run --store` or `sink` writes); the rows are repeated
until there are MAILHARNESS_BENCH_COPIES copies (the repeats show up as duplicate-notice
violations, which is expected here). The store is judged as `mailharness check` judges it:
forked workers read their spans of the file. The judging rate is compared, in the same run,
with a plain scan of the same bytes by the same automaton. The file goes in a temporary
directory (MAILHARNESS_BENCH_TMP, default the system's): about 2 GB at the default sizes.
"""

from __future__ import annotations

import gc
import os
import smtplib
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from harness.adapters.compose import greeted_contact
from harness.adapters.notice_bytes import notice_bytes
from harness.measure import PeakMemory, rusage_mib
from harness.oracle.checks import Judge
from harness.oracle.parallel import default_workers, judge_messages
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster
from harness.sink.capture import CapturedMessage, Refusal
from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore, StoreReader

STUDENTS = int(os.environ.get("MAILHARNESS_BENCH_STUDENTS", "600000"))
COPIES = int(os.environ.get("MAILHARNESS_BENCH_COPIES", "1000000"))
INGEST = int(os.environ.get("MAILHARNESS_BENCH_INGEST", "20000"))
SEED = int(os.environ.get("MAILHARNESS_BENCH_SEED", "7"))
WORKERS = int(os.environ.get("MAILHARNESS_BENCH_WORKERS", "0")) or default_workers()
TMP = os.environ.get("MAILHARNESS_BENCH_TMP") or None


def say(text: str) -> None:
    print(text, flush=True)


def timed_roster() -> Roster:
    started = time.perf_counter()
    roster = generate_roster(STUDENTS, SEED)
    elapsed = time.perf_counter() - started
    say(
        f"generate: {STUDENTS:,} students, {len(roster.contacts):,} contacts, "
        f"{len(roster.links):,} links in {elapsed:.1f} s ({STUDENTS / elapsed:,.0f} students/s); "
        f"peak RSS {rusage_mib()[0]:,.0f} MiB"
    )
    return roster


def bench_ingest() -> None:
    body = ("Dear family, this is a notice of exactly the usual size. " * 35)[:2000]
    message = (
        "From: nurse@district.example.org\r\nTo: parent@example.com\r\n"
        f"Subject: Notice\r\n\r\n{body}\r\n"
    ).encode()
    for clients in (1, 8):
        per_client = max(1, INGEST // clients)
        with CaptureSink() as sink:

            def client(sink: CaptureSink = sink, count: int = per_client) -> None:
                with smtplib.SMTP(sink.host, sink.port) as smtp:
                    for _ in range(count):
                        smtp.sendmail("nurse@district.example.org", ["parent@example.com"], message)

            started = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            sink.wait_idle(grace=0.0, timeout=60)
            elapsed = time.perf_counter() - started
            captured = len(sink.messages())
        say(
            f"ingest: {clients} smtplib client(s), {captured:,} messages of {len(message):,} "
            f"bytes in {elapsed:.1f} s: {captured / elapsed:,.0f} messages/s"
        )


def notices(plan: Plan) -> Iterator[CapturedMessage]:
    """One reference notice per (recipient, student); one in ten to all the student's
    recipients at once."""
    roster, campaign = plan.roster, plan.campaign
    for number, student_id in enumerate(campaign.selected):
        student = roster.student_by_id[student_id]
        addresses = sorted(plan.recipients[student_id])
        if not addresses:
            continue
        groups = (
            [addresses] if number % 10 == 0 and len(addresses) > 1 else [[a] for a in addresses]
        )
        for group in groups:
            contact = greeted_contact(roster, student_id, group[0])
            raw = notice_bytes(campaign, student, contact)
            yield CapturedMessage(0, campaign.sender, tuple(group), raw, "", 1, 0.0)


def write_store(plan: Plan, path: Path) -> tuple[int, int, int]:
    """Stream the notices into a store at `path`, then repeat its rows until there are COPIES
    copies. Returns (distinct notices, their copies, their bytes)."""
    distinct = copies_each = size = 0
    with CaptureStore(path) as store:
        batch: list[CapturedMessage | Refusal] = []
        for message in notices(plan):
            distinct += 1
            copies_each += len(message.rcpt_tos)
            size += len(message.raw)
            batch.append(message)
            if len(batch) == 5000:
                store.write_group(batch)
                batch = []
        if batch:
            store.write_group(batch)
    columns = "mail_from, rcpt_tos, raw, peer, session, tls, auth_user, received_at"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        total = copies_each
        while total < COPIES:
            last, copied = distinct, copies_each
            if COPIES - total < copies_each:  # a partial round: stop at the copy that is enough
                copied = 0
                rows = conn.execute("SELECT seq, json_array_length(rcpt_tos) FROM messages")
                for seq, rcpts in rows:
                    copied += rcpts
                    if total + copied >= COPIES:
                        last = seq
                        break
            conn.execute(
                f"INSERT INTO messages ({columns}) SELECT {columns} FROM messages "
                "WHERE seq <= ? ORDER BY seq",
                (last,),
            )
            total += copied
    finally:
        conn.close()
    return distinct, copies_each, size


def bench_judge(roster: Roster) -> None:
    campaign = build_campaign(roster.students)
    started = time.perf_counter()
    plan = Plan(roster, campaign).prepare()
    expected = plan.expected_copies
    index = TokenIndex.build(roster)
    say(
        f"index: plan ({expected:,} expected copies) and {len(index):,} tokens in "
        f"{time.perf_counter() - started:.1f} s; peak RSS {rusage_mib()[0]:,.0f} MiB"
    )
    with tempfile.TemporaryDirectory(prefix="mailharness-bench-", dir=TMP) as where:
        path = Path(where) / "capture.db"
        started = time.perf_counter()
        distinct, copies_each, size = write_store(plan, path)
        say(
            f"store: {distinct:,} distinct notices ({copies_each:,} copies, "
            f"{size / distinct:,.0f} bytes on average) synthesized and written, rows repeated "
            f"to {COPIES:,} copies, in {time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 2**20:,.0f} MiB file)"
        )
        gc.collect()
        gc.freeze()
        reader = StoreReader(path)
        judge_store(plan, index, reader)


def judge_store(plan: Plan, index: TokenIndex, reader: StoreReader) -> None:
    sample = reader.read(next(reader.spans(20000)))  # the first 20,000 messages
    started = time.perf_counter()
    serial = Judge(plan, index)
    for message in sample:
        serial.judge_message(message)
    judge_rate = len(sample) / (time.perf_counter() - started)
    automaton = index._automaton
    started = time.perf_counter()
    for message in sample:
        for _ in automaton.iter(message.raw.decode("utf-8", "replace")):
            pass
    scan_rate = len(sample) / (time.perf_counter() - started)
    say(
        f"one core, {len(sample):,} messages: judging {judge_rate:,.0f} messages/s, plain "
        f"automaton.iter over the decoded bytes {scan_rate:,.0f} messages/s: "
        f"judging runs at {judge_rate / scan_rate:.2f} x the plain scan"
    )
    del sample, serial
    gc.collect()

    count = len(reader)
    with PeakMemory() as pss:
        started = time.perf_counter()
        judge = judge_messages(plan, index, reader, count=count, workers=WORKERS)
        violations = judge.finish()
        elapsed = time.perf_counter() - started
    own, child = rusage_mib()
    by_check: dict[str, int] = {}
    for violation in violations:
        by_check[violation.check] = by_check.get(violation.check, 0) + 1
    say(
        f"judge: {judge.copies:,} copies ({judge.messages:,} messages) against {STUDENTS:,} "
        f"students with {WORKERS} workers in {elapsed:.1f} s: {judge.copies / elapsed:,.0f} "
        f"copies/s; violations {by_check or 'none'}"
    )
    say(
        f"memory: peak RSS parent {own:,.0f} MiB, largest worker {child:,.0f} MiB (shared pages "
        f"counted in both); peak PSS of the process tree {pss.peak_kib / 1024:,.0f} MiB"
    )


def main(argv: list[str]) -> int:
    parts = argv or ["generate", "ingest", "judge"]
    say(f"bench_scale: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if "ingest" in parts:
        bench_ingest()
    if "generate" in parts or "judge" in parts:
        roster = timed_roster()
        if "judge" in parts:
            bench_judge(roster)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
