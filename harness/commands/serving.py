"""Starting a sink from command-line options: listen address, store, faults, TLS and AUTH."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from harness.commands.options import ProtocolOptions, sink_protocol
from harness.sink.faults import FaultPlan
from harness.sink.handler import Listener
from harness.sink.server import CaptureSink, check_listen_address
from harness.sink.store import CaptureStore, StoreError


@contextlib.contextmanager
def serving(
    args: argparse.Namespace,
    faults: FaultPlan | None,
    store_path: Path | None,
    *,
    fresh_store: bool = True,
    listener: Listener | None = None,
) -> Iterator[CaptureSink]:
    """A started sink on `args.host`/`args.port`, with the protocol options in `args`."""
    with serving_at(
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        protocol=ProtocolOptions.from_args(args),
        faults=faults,
        store_path=store_path,
        fresh_store=fresh_store,
        listener=listener,
        api_ports=dict(args.api_port),
    ) as sink:
        yield sink


@contextlib.contextmanager
def serving_at(
    host: str,
    port: int,
    *,
    allow_remote: bool = False,
    protocol: ProtocolOptions | None = None,
    faults: FaultPlan | None = None,
    store_path: Path | None = None,
    fresh_store: bool = True,
    listener: Listener | None = None,
    api_ports: Mapping[str, int] | None = None,
) -> Iterator[CaptureSink]:
    """A started sink on `host`:`port`, recording into `store_path` if given.

    `fresh_store`: refuse a store that already holds messages (a run judges only its own).
    `api_ports`: provider name -> the port of its front door (default: a free one).
    """
    check_listen_address(host, allow_remote)  # before any file is touched
    with contextlib.ExitStack() as stack:
        store = None
        if store_path is not None:
            store_path.parent.mkdir(parents=True, exist_ok=True)
            store = stack.enter_context(CaptureStore(store_path))
            held = store.count()
            if fresh_store and held:
                raise StoreError(
                    f"store {store_path} already holds {held} messages: judge it with "
                    "`mailharness check`, or record this run into a new file"
                )
        # A generated TLS certificate lives as long as the sink (clients read it as CA file).
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="mailharness-tls-"))
        sink = CaptureSink(
            host,
            port,
            allow_non_loopback=allow_remote,
            store=store,
            faults=faults,
            listener=listener,
            protocol=sink_protocol(protocol or ProtocolOptions(), Path(workdir)),
            api_ports=api_ports,
        )
        yield stack.enter_context(sink)
