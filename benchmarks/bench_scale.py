"""District-scale figures (issue 4): roster generation, sink ingest, judging.

    python benchmarks/bench_scale.py [generate|ingest|judge ...]

Prints figures, asserts no time. Sizes come from the environment (defaults: the district
of the issue): MAILHARNESS_BENCH_STUDENTS (600000), MAILHARNESS_BENCH_COPIES (1000000),
MAILHARNESS_BENCH_INGEST (20000 messages per client count), MAILHARNESS_BENCH_SEED (7),
MAILHARNESS_BENCH_WORKERS (the usable cores).

Judging: reference-style notices (the reference sender's own bytes, `notice_bytes`) are
synthesized as CapturedMessage objects without SMTP, one per (recipient, selected student)
of the plan and one in ten addressed to every recipient of its student at once; the copies
are cycled until there are MAILHARNESS_BENCH_COPIES of them (the repeats show up as
duplicate-notice violations, which is expected here). The judging rate is compared, in the
same run, with a plain scan of the same bytes by the same automaton.
"""

from __future__ import annotations

import gc
import itertools
import os
import smtplib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import PssPeak, rusage_mib

from harness.adapters.compose import greeted_contact
from harness.adapters.notice_bytes import notice_bytes
from harness.oracle.checks import Judge
from harness.oracle.parallel import default_workers, judge_messages
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster
from harness.roster.model import Roster
from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink

STUDENTS = int(os.environ.get("MAILHARNESS_BENCH_STUDENTS", "600000"))
COPIES = int(os.environ.get("MAILHARNESS_BENCH_COPIES", "1000000"))
INGEST = int(os.environ.get("MAILHARNESS_BENCH_INGEST", "20000"))
SEED = int(os.environ.get("MAILHARNESS_BENCH_SEED", "7"))
WORKERS = int(os.environ.get("MAILHARNESS_BENCH_WORKERS", "0")) or default_workers()


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


def notices(plan: Plan) -> list[CapturedMessage]:
    """One reference notice per (recipient, student); one in ten to all the student's
    recipients at once."""
    roster, campaign = plan.roster, plan.campaign
    made: list[CapturedMessage] = []
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
            made.append(
                CapturedMessage(len(made) + 1, campaign.sender, tuple(group), raw, "", 1, 0.0)
            )
    return made


def cycled(messages: list[CapturedMessage], copies: int) -> Iterator[CapturedMessage]:
    counted = 0
    for message in itertools.cycle(messages):
        if counted >= copies:
            return
        counted += len(message.rcpt_tos)
        yield message


def bench_judge(roster: Roster) -> None:
    campaign = build_campaign(roster.students)
    started = time.perf_counter()
    plan = Plan(roster, campaign)
    expected = plan.expected_copies
    index = TokenIndex.build(roster)
    say(
        f"index: plan ({expected:,} expected copies) and {len(index):,} tokens in "
        f"{time.perf_counter() - started:.1f} s; peak RSS {rusage_mib()[0]:,.0f} MiB"
    )
    started = time.perf_counter()
    messages = notices(plan)
    copies_each = sum(len(m.rcpt_tos) for m in messages)
    size = sum(len(m.raw) for m in messages) / len(messages)
    say(
        f"synthesize: {len(messages):,} distinct notices ({copies_each:,} copies, "
        f"{size:,.0f} bytes on average) in {time.perf_counter() - started:.1f} s"
    )
    gc.collect()
    gc.freeze()

    sample = messages[: min(len(messages), 20000)]
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

    with PssPeak() as pss:
        started = time.perf_counter()
        judge = judge_messages(plan, index, cycled(messages, COPIES), count=COPIES, workers=WORKERS)
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
        f"counted in both); peak PSS of the process tree {pss.peak_mib:,.0f} MiB"
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
