"""Ingest rate of the SendGrid front door against the SMTP sink, into the durable store.

The sink runs in a process of its own with a SQLite store (as `mailharness sink` does). The
API clients post SendGrid v3 calls of 1,000 personalizations (one recipient each) with urllib;
the SMTP clients send one message per transaction with smtplib; both carry the same ~2 KB
notice. Prints delivered messages per second for 1 and 4 concurrent clients, both doors, in
one run, and the ratio. Never asserts.

    tox -e bench            # or: python benchmarks/api_ingest.py [--messages 8000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import smtplib
import statistics
import sys
import tempfile
import time
import urllib.request
from multiprocessing.synchronize import Event
from pathlib import Path

SENDER = "nurse@district.example.org"
PER_CALL = 1000
BODY = ("Your child's immunization record needs attention before the deadline. " * 27)[:2000]


def serve(path: str, ready: mp.Queue, stop: Event) -> None:  # type: ignore[type-arg]
    from harness.sink.server import CaptureSink
    from harness.sink.store import CaptureStore

    with CaptureStore(path) as store, CaptureSink(store=store) as sink:
        ready.put((sink.port, sink.api_urls["sendgrid"]))
        stop.wait()
        ready.put(store.count())


def smtp_client(where: tuple[int, str], count: int, tag: int, go: Event, done: mp.Queue) -> None:  # type: ignore[type-arg]
    messages = [
        f"From: {SENDER}\r\nTo: g{tag}-{i}@example.com\r\nSubject: notice {i}\r\n\r\n{BODY}\r\n"
        .encode()
        for i in range(count)
    ]  # fmt: skip
    with smtplib.SMTP("127.0.0.1", where[0], timeout=300) as smtp:
        smtp.ehlo()
        go.wait()
        for i, raw in enumerate(messages):
            smtp.sendmail(SENDER, [f"g{tag}-{i}@example.com"], raw)
    done.put(time.perf_counter())


def api_client(where: tuple[int, str], count: int, tag: int, go: Event, done: mp.Queue) -> None:  # type: ignore[type-arg]
    calls = []
    for start in range(0, count, PER_CALL):
        body = {
            "personalizations": [
                {"to": [{"email": f"g{tag}-{i}@example.com"}], "subject": f"notice {i}"}
                for i in range(start, min(start + PER_CALL, count))
            ],
            "from": {"email": SENDER},
            "content": [{"type": "text/plain", "value": BODY}],
        }
        calls.append(json.dumps(body).encode())
    headers = {"Content-Type": "application/json", "Authorization": "Bearer SG.bench"}
    go.wait()
    for data in calls:
        request = urllib.request.Request(where[1] + "/v3/mail/send", data, headers)
        with urllib.request.urlopen(request, timeout=300) as response:
            assert response.status == 202
    done.put(time.perf_counter())


def measure(door: str, clients: int, total: int) -> float:
    """Delivered messages per second into the store."""
    ctx = mp.get_context("spawn")
    ready, done = ctx.Queue(), ctx.Queue()
    stop, go = ctx.Event(), ctx.Event()
    target = api_client if door == "api" else smtp_client
    with tempfile.TemporaryDirectory() as tmp:
        server = ctx.Process(target=serve, args=(str(Path(tmp) / "b.sqlite"), ready, stop))
        server.start()
        where = ready.get(timeout=60)
        per_client = total // clients
        workers = [
            ctx.Process(target=target, args=(where, per_client, t, go, done))
            for t in range(clients)
        ]
        for w in workers:
            w.start()
        time.sleep(1.0 + 0.2 * clients)  # every client ready and waiting
        started = time.perf_counter()
        go.set()
        finished = max(done.get(timeout=900) for _ in workers)
        for w in workers:
            w.join()
        stop.set()
        stored = ready.get(timeout=60)
        server.join(60)
    if stored != per_client * clients:
        print(f"  warning: the store holds {stored} of {per_client * clients}", file=sys.stderr)
    return per_client * clients / (finished - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=8000, help="messages per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median)")
    args = parser.parse_args()
    print(
        f"ingest into the durable store, delivered messages/s, median of {args.repeat} "
        f"interleaved runs (python {sys.version.split()[0]}, {os.cpu_count()} cpus; SendGrid "
        f"calls of {PER_CALL} personalizations against one SMTP transaction per message)"
    )
    print(f"{'clients':>8} {'smtp':>9} {'sendgrid':>9} {'api/smtp':>9}")
    for clients in (1, 4):
        rates: dict[str, list[float]] = {"smtp": [], "api": []}
        for _ in range(args.repeat):
            for door, found in rates.items():
                found.append(measure(door, clients, args.messages))
        smtp, api = (statistics.median(rates[d]) for d in ("smtp", "api"))
        print(f"{clients:>8} {smtp:>9.0f} {api:>9.0f} {api / smtp:>8.1f}x", flush=True)


if __name__ == "__main__":
    main()
