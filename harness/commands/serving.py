"""Starting a sink from command-line options: listen address, store, faults, TLS and AUTH."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from harness.commands.options import sink_protocol
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
    """A started sink on `args.host`/`args.port`, recording into `store_path` if given.

    `fresh_store`: refuse a store that already holds messages (a run judges only its own).
    """
    check_listen_address(args.host, args.allow_remote)  # before any file is touched
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
            args.host,
            args.port,
            allow_non_loopback=args.allow_remote,
            store=store,
            faults=faults,
            listener=listener,
            protocol=sink_protocol(args, Path(workdir)),
        )
        yield stack.enter_context(sink)
