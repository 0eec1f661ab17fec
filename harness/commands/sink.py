"""`mailharness sink`: a standalone capturing SMTP server, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Mapping
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from harness.commands.options import (
    EXIT_PASS,
    Verbs,
    add_api_port_option,
    add_fault_options,
    add_listen_safety_option,
    add_protocol_options,
)
from harness.sink.capture import CapturedMessage, Refusal

if TYPE_CHECKING:
    from harness.commands.options import ProtocolOptions
    from harness.sink.faults import FaultPlan

DEFAULT_STORE = Path("reports/sink.sqlite")
SUBJECT_WIDTH = 72


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "sink", help="run the capturing SMTP sink on its own, recording into a store"
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default: loopback)")
    parser.add_argument("--port", type=int, default=2525, help="listen port (default: 2525)")
    parser.add_argument(
        "--store",
        type=Path,
        default=DEFAULT_STORE,
        help=f"capture store (default: {DEFAULT_STORE})",
    )
    add_api_port_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no line per message")
    add_listen_safety_option(parser)
    add_fault_options(parser)
    add_protocol_options(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    from harness.commands.options import ProtocolOptions
    from harness.sink.faults import FaultPlan

    return record(
        args.host,
        args.port,
        args.store,
        protocol=ProtocolOptions.from_args(args),
        faults=FaultPlan.parse(args.fault, args.fault_seed),
        allow_remote=args.allow_remote,
        quiet=args.quiet,
        api_ports=dict(args.api_port),
    )


def record(
    host: str,
    port: int,
    store_path: Path,
    *,
    protocol: ProtocolOptions | None = None,
    faults: FaultPlan | None = None,
    allow_remote: bool = False,
    quiet: bool = False,
    api_ports: Mapping[str, int] | None = None,
) -> int:
    """Listen on `host`:`port` and record into `store_path` until SIGINT or SIGTERM; the API
    front doors on `api_ports` (name -> port; a free port for any other)."""
    from harness.commands.serving import serving_at

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        listener = None if quiet else print_arrival
        with serving_at(
            host,
            port,
            allow_remote=allow_remote,
            protocol=protocol,
            faults=faults,
            store_path=store_path,
            fresh_store=False,
            listener=listener,
            api_ports=api_ports,
        ) as sink:
            assert sink.store is not None
            held = sink.store.count()
            where = f"[{sink.host}]:{sink.port}" if ":" in sink.host else f"{sink.host}:{sink.port}"
            print(
                f"mailharness sink listening on {where}, storing into {store_path}"
                f" ({held} messages already)" + (f"; faults {faults.describe()}" if faults else ""),
                flush=True,
            )
            print(f"protocol: {sink.protocol.describe()}", flush=True)
            for name, url in sorted(sink.api_urls.items()):
                print(f"{name} API at {url}", flush=True)
            while not stop.wait(0.5):
                pass
            print("stopping", flush=True)
        # The store is closed (every queued message committed) when `serving_at` returns.
        from harness.sink.store import CaptureStore

        with CaptureStore(store_path, create=False) as store:
            print(f"stopped: {store.count()} messages in {store_path}", flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_PASS


def print_arrival(record: CapturedMessage | Refusal) -> None:
    if isinstance(record, Refusal) and record.front_door != "smtp":
        line = f"refused {record.front_door} call {record.call}: {record.reply[:200]}"
    elif isinstance(record, Refusal):
        rcpts = ", ".join(record.rcpt_tos) or "-"
        line = (
            f"refused {record.stage:<4} from {record.mail_from or '-'} to {rcpts}: {record.reply}"
        )
    else:
        line = (
            f"{record.seq:>6}  from {record.mail_from or '<>'}  rcpt {len(record.rcpt_tos)}  "
            f"subject {subject_of(record.raw)!r}"
            + (f"  via {record.front_door} {record.call}" if record.front_door != "smtp" else "")
        )
    # Whoever watched our output may have gone away; the sink keeps recording.
    with contextlib.suppress(OSError):
        print(line, flush=True)


def subject_of(raw: bytes) -> str:
    try:
        subject = BytesHeaderParser(policy=default_policy).parsebytes(raw).get("subject", "")
        text = " ".join(str(subject).split())
    except Exception:  # a header the parser cannot read: show the raw line
        text = ""
    return text if len(text) <= SUBJECT_WIDTH else text[: SUBJECT_WIDTH - 1] + "…"
