"""The search's figures. Prints, asserts nothing.

    python benchmarks/search.py [--examples N] [--first-failure-seeds K] [--skip-adapters]

1. Examples per second through an in-process adapter (`reference`), a `cmd:` Python script
   (tests/senders/smtplib_sender.py) and an `http:` endpoint (examples/senders/http_endpoint.py)
   on the same drawn rosters of 1 to 5 students, and the harness's own cost per example:
   building the plan and token index, clearing the sink, waiting for idle after the adapter
   returned, and judging (`run_once`'s timings less the adapter's send).
2. Examples to the first failure of `mutant:batch-boundary` under `run --examples 200`, for
   seeds 0..K-1 (the search's exploring pass, before any shrinking).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from harness.adapters.registry import resolve
from harness.roster.campaign import Campaign
from harness.roster.model import Roster
from harness.roster.strategies import roster_campaigns
from harness.runner import run_once
from harness.sink.server import CaptureSink

ROOT = Path(__file__).resolve().parent.parent
CMD = f"cmd:{sys.executable} {ROOT / 'tests/senders/smtplib_sender.py'}"


def drawn_examples(count: int) -> list[tuple[Roster, Campaign]]:
    """`count` (roster, campaign) pairs of 1-5 students, the same on every run."""
    drawn: list[tuple[Roster, Campaign]] = []

    @seed(0)
    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(roster_campaigns(max_students=5))
    def draw(pair: tuple[Roster, Campaign]) -> None:
        drawn.append(pair)

    draw()
    return drawn


def adapter_rate(spec: str, pairs: list[tuple[Roster, Campaign]]) -> tuple[float, float]:
    """(examples per second, harness milliseconds per example) of `spec` on `pairs`."""
    adapter = resolve(spec)
    own: list[float] = []
    with CaptureSink() as sink:
        run_once(*pairs[0], adapter, sink, grace=0.0, workers=1)  # warm caches and imports
        started = time.perf_counter()
        for roster, campaign in pairs:
            result = run_once(roster, campaign, adapter, sink, grace=0.0, workers=1)
            own.append(sum(result.timings.values()) - result.timings["send"])
        elapsed = time.perf_counter() - started
    return len(pairs) / elapsed, 1000 * statistics.mean(own)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_rate(pairs: list[tuple[Roster, Campaign]]) -> tuple[float, float]:
    port = _free_port()
    endpoint = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/senders/http_endpoint.py"), "--port", str(port)]
    )
    try:
        for _ in range(200):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        return adapter_rate(f"http:http://127.0.0.1:{port}/send", pairs)
    finally:
        endpoint.terminate()
        endpoint.wait()


def first_failure(name: str, search_seed: int, examples: int, targeting: bool) -> int | None:
    """Examples the search ran before its first failing one (None: none within `examples`)."""
    from harness.search import explore

    with tempfile.TemporaryDirectory() as tmp, CaptureSink() as sink:
        result = explore(
            resolve(f"mutant:{name}"),
            sink,
            examples=examples,
            report_dir=Path(tmp),
            search_seed=search_seed,
            targeting=targeting,
            stop_at_first_failure=True,
        )
    return result.first_failure_at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100, help="examples per adapter kind")
    parser.add_argument("--first-failure-seeds", type=int, default=10)
    parser.add_argument("--skip-adapters", action="store_true")
    args = parser.parse_args()
    if not args.skip_adapters:
        pairs = drawn_examples(args.examples)
        print(f"{len(pairs)} drawn examples of 1-5 students (the same for each adapter):")
        for label, (rate, own) in (
            ("in-process (reference)", adapter_rate("reference", pairs)),
            ("cmd: (smtplib_sender.py)", adapter_rate(CMD, pairs)),
            ("http: (http_endpoint.py)", http_rate(pairs)),
        ):
            print(f"  {label:26} {rate:7.1f} examples/s   harness {own:5.2f} ms/example")
    if args.first_failure_seeds:
        print("mutant:batch-boundary, examples to the first failure (--examples 200):")
        print("  seed  untargeted  targeted")
        counts: dict[bool, list[int | None]] = {False: [], True: []}
        for search_seed in range(args.first_failure_seeds):
            for targeting in (False, True):
                at = first_failure("batch-boundary", search_seed, 200, targeting)
                counts[targeting].append(at)
            row = [str(counts[t][-1]) if counts[t][-1] is not None else "-" for t in (False, True)]
            print(f"  {search_seed:4}  {row[0]:>10}  {row[1]:>8}", flush=True)
        for targeting, label in ((False, "untargeted"), (True, "targeted")):
            found = [c for c in counts[targeting] if c is not None]
            median = f"median {statistics.median(found):g}" if found else ""
            print(f"  {label}: found in {len(found)}/{len(counts[targeting])} seeds {median}")


if __name__ == "__main__":
    main()
