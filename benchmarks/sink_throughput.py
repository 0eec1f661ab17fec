"""Throughput of the capturing sink: messages per second for 1 and 8 clients, 2 KB and 50 KB.

Run `python benchmarks/sink_throughput.py` (or `tox -e bench`); see benchmarks/README.md.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SINKS = ("bare", "memory", "store")
DRIVERS = ("smtp-source", "smtplib")
SIZES = {"2KB": 2 * 1024, "50KB": 50 * 1024}
SENDER, RECIPIENT = "bench@district.example.org", "parent@example.com"


# --- the sink side: one process per measurement ----------------------------------------------


def serve(kind: str, use_uvloop: bool, store_path: str | None) -> None:
    """Start one sink, print its port, serve until SIGTERM."""
    if use_uvloop:
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if kind == "bare":
        from aiosmtpd.controller import Controller

        class Bare:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
                return "250 OK"

        port = free_port()
        controller = Controller(Bare(), hostname="127.0.0.1", port=port)
        controller.start()
        stopper = controller.stop
    else:
        from harness.sink.server import CaptureSink
        from harness.sink.store import CaptureStore

        store = CaptureStore(store_path) if kind == "store" and store_path else None
        sink = CaptureSink(store=store).start()
        port = sink.port

        def stopper() -> None:
            sink.stop()
            if store is not None:
                store.close()

    ready = time.process_time()  # CPU of every thread of this process, start-up excluded
    print(f"PORT {port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    print(f"CPU {time.process_time() - ready}", flush=True)
    stopper()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SinkProcess:
    def __init__(self, kind: str, use_uvloop: bool, workdir: Path) -> None:
        store = workdir / f"store-{time.monotonic_ns()}.sqlite"
        command = [sys.executable, __file__, "--serve", kind, "--store-path", str(store)]
        if use_uvloop:
            command.append("--uvloop")
        # SIGTERM is waited for with sigwait: block it before the child can receive it.
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, preexec_fn=_block_signals
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise SystemExit(f"sink {kind} did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> float:
        """Stop the sink; return the CPU seconds it spent serving."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return float(line.split()[1]) if line.startswith("CPU ") else float("nan")


def _block_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})


# --- the client side ---------------------------------------------------------------------------


def message_of(size: int, n: int) -> bytes:
    head = f"From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: bench {n}\r\n\r\n".encode()
    line = b"x" * 76 + b"\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body


def smtplib_client(port: int, count: int, size: int, barrier: object, offset: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo()
        barrier.wait()  # type: ignore[attr-defined]
        for n in range(count):
            client.sendmail(SENDER, [RECIPIENT], message_of(size, offset + n))


def drive_smtplib(port: int, clients: int, messages: int, size: int) -> float:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    per_client = messages // clients
    workers = [
        context.Process(
            target=smtplib_client, args=(port, per_client, size, barrier, i * per_client)
        )
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if any(w.exitcode != 0 for w in workers):
        raise SystemExit("an smtplib client failed")
    return elapsed


def drive_smtp_source(port: int, clients: int, messages: int, size: int) -> float:
    command = [
        SMTP_SOURCE, "-d", "-s", str(clients), "-m", str(messages), "-l", str(size),
        "-f", SENDER, "-t", RECIPIENT, "-M", "bench.example", f"127.0.0.1:{port}",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return time.perf_counter() - started


SMTP_SOURCE = shutil.which("smtp-source") or shutil.which("smtp-source", path="/usr/sbin") or ""


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    driver: str
    clients: int
    size: str
    sink: str
    messages: int
    seconds: float  # wall clock, from the clients' side
    cpu: float  # CPU seconds the sink process spent

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Messages per CPU second of the sink: its capacity, less sensitive to a busy host."""
        return self.messages / self.cpu


def messages_for(clients: int, size: str, quick: bool) -> int:
    base = 2000 if size == "2KB" else 600
    base = base if clients > 1 else base // 2
    return max(clients, base // (10 if quick else 1)) // clients * clients


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", choices=SINKS, help=argparse.SUPPRESS)
    parser.add_argument("--store-path", help=argparse.SUPPRESS)
    parser.add_argument("--uvloop", action="store_true", help="also measure on uvloop")
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    parser.add_argument("--drivers", nargs="+", choices=DRIVERS, default=list(DRIVERS))
    parser.add_argument("--sinks", nargs="+", choices=SINKS, default=list(SINKS))
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per figure")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.uvloop, args.store_path)
        return 0

    drivers = list(args.drivers)
    if "smtp-source" in drivers and not SMTP_SOURCE:
        print("smtp-source not found (apt-get install postfix): measuring with smtplib only")
        drivers.remove("smtp-source")
    loops = [False, True] if args.uvloop else [False]
    print(f"# {sys.executable} {' '.join(sys.argv)}")
    print(f"# {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="mailharness-bench-") as tmp:
        for driver in drivers:
            drive = drive_smtp_source if driver == "smtp-source" else drive_smtplib
            for clients in args.clients:
                for size in args.sizes:
                    count = messages_for(clients, size, args.quick)
                    for use_uvloop in loops:
                        for kind in args.sinks:
                            name = kind + ("+uvloop" if use_uvloop else "")
                            runs = []
                            for _ in range(args.repeat):
                                sink = SinkProcess(kind, use_uvloop, Path(tmp))
                                try:
                                    wall = drive(sink.port, clients, count, SIZES[size])
                                finally:
                                    cpu = sink.stop()
                                runs.append((wall, cpu))
                            wall, cpu = min(runs)  # the least disturbed run
                            figure = Figure(driver, clients, size, name, count, wall, cpu)
                            figures.append(figure)
                            print(
                                f"{driver:<12} {clients:>2} clients {size:>5} {name:<14}"
                                f" {count:>5} msgs {wall:6.2f} s {figure.rate:7.0f} msg/s"
                                f"  sink CPU {cpu:6.2f} s {figure.cpu_rate:7.0f} msg/CPU-s",
                                flush=True,
                            )
    print_table(figures)
    return 0


def print_table(figures: list[Figure]) -> None:
    print()
    print("| driver | clients | size | sink | msg/s | vs bare | msg/CPU-s | vs bare |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    bare = {
        (f.driver, f.clients, f.size): f for f in figures if f.sink == "bare"
    }  # uvloop variants compare with the default-loop bare sink
    for f in figures:
        base = bare.get((f.driver, f.clients, f.size))
        wall = f"{f.rate / base.rate:.0%}" if base else "-"
        cpu = f"{f.cpu_rate / base.cpu_rate:.0%}" if base else "-"
        print(
            f"| {f.driver} | {f.clients} | {f.size} | {f.sink} | {f.rate:.0f} | {wall}"
            f" | {f.cpu_rate:.0f} | {cpu} |"
        )
    for f in figures:
        base = bare.get((f.driver, 8, "2KB"))
        if f.sink.startswith("store") and f.clients == 8 and f.size == "2KB" and base:
            verdict = "meets" if f.rate >= 0.8 * base.rate else "misses"
            print(
                f"{f.sink} vs bare aiosmtpd, 8 clients, 2 KB, {f.driver}: "
                f"{f.rate / base.rate:.0%} of its msg/s ({verdict} the 80% goal), "
                f"{f.cpu_rate / base.cpu_rate:.0%} of its msg/CPU-s"
            )


if __name__ == "__main__":
    sys.exit(main())
