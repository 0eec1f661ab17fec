"""Ingest rate of the capturing sink: the durable store against the in-memory list.

The sink runs in a process of its own (as `mailharness sink` does); each client is a process
with one SMTP connection, all started together. Prints messages per second for 1 and 8
concurrent clients, 2 KB and 50 KB messages, both backends, in one run. Never asserts.

    tox -e bench            # or: python benchmarks/sink_ingest.py [--messages 2000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import smtplib
import statistics
import sys
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path

SENDER = "nurse@district.example.org"


def serve(backend: str, path: str, ready: mp.Queue, stop: Event) -> None:  # type: ignore[type-arg]
    from harness.sink.server import CaptureSink
    from harness.sink.store import CaptureStore

    store = CaptureStore(path) if backend == "store" else None
    with CaptureSink(store=store) as sink:
        ready.put(sink.port)
        stop.wait()
        ready.put((sink.message_count, store.commits if store is not None else 0))
    if store is not None:
        store.close()


def client(port: int, count: int, size: int, tag: int, go: Event, done: mp.Queue) -> None:  # type: ignore[type-arg]
    body = ("x" * 76 + "\r\n") * max(1, size // 78)
    messages = [
        f"From: {SENDER}\r\nTo: g{tag}@example.com\r\nSubject: {tag}/{i}\r\n\r\n{body}".encode()
        for i in range(count)
    ]
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
        smtp.ehlo()
        go.wait()
        for raw in messages:
            smtp.sendmail(SENDER, [f"g{tag}@example.com"], raw)
    done.put(time.perf_counter())


def measure(backend: str, clients: int, size: int, total: int) -> tuple[float, float]:
    """(messages per second, messages per commit)."""
    ctx = mp.get_context("spawn")
    ready, done = ctx.Queue(), ctx.Queue()
    stop, go = ctx.Event(), ctx.Event()
    with tempfile.TemporaryDirectory() as tmp:
        server = ctx.Process(target=serve, args=(backend, str(Path(tmp) / "b.sqlite"), ready, stop))
        server.start()
        port = ready.get(timeout=60)
        per_client = total // clients
        workers = [
            ctx.Process(target=client, args=(port, per_client, size, t, go, done))
            for t in range(clients)
        ]
        for w in workers:
            w.start()
        time.sleep(0.5 + 0.1 * clients)  # every client connected and waiting
        started = time.perf_counter()
        go.set()
        finished = max(done.get(timeout=600) for _ in workers)
        for w in workers:
            w.join()
        stop.set()
        received, commits = ready.get(timeout=60)
        server.join(60)
    if received != per_client * clients:
        print(f"  warning: the sink counted {received} of {per_client * clients}", file=sys.stderr)
    return per_client * clients / (finished - started), received / max(commits, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="per 2 KB run (50 KB: 1/4)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median)")
    args = parser.parse_args()
    print(
        f"sink ingest, messages/s, median of {args.repeat} interleaved runs "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus, smtplib clients)"
    )
    print(
        f"{'size':>6} {'clients':>8} {'memory':>9} {'store':>9} {'store/memory':>13}"
        f" {'msgs/commit':>12}"
    )
    for size, total in ((2048, args.messages), (50 * 1024, max(200, args.messages // 4))):
        for clients in (1, 8):
            runs: dict[str, list[float]] = {"memory": [], "store": []}
            grouping: list[float] = []
            for _ in range(args.repeat):
                for backend, rates in runs.items():
                    rate, per_commit = measure(backend, clients, size, total)
                    rates.append(rate)
                    if backend == "store":
                        grouping.append(per_commit)
            memory, store = (statistics.median(runs[b]) for b in ("memory", "store"))
            label = f"{size // 1024} KB"
            print(
                f"{label:>6} {clients:>8} {memory:>9.0f} {store:>9.0f} {store / memory:>12.0%}"
                f" {statistics.median(grouping):>12.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
