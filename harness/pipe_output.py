"""Output to a reader that may leave: `mailharness run --json | head -1`.

When the reader closes the pipe, what is left to print goes nowhere and the command runs to
its end, so its exit code is still the verdict (0 pass, 1 violations), never an error because
someone only wanted the first lines.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO


class _ReaderMayLeave:
    """A text stream's proxy: after a BrokenPipeError, later output is discarded."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_left = False

    def write(self, text: str) -> int:
        if not self.reader_left:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._discard()
        return len(text)

    def flush(self) -> None:
        if not self.reader_left:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._discard()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _discard(self) -> None:
        self.reader_left = True
        # Whatever the stream still buffers is flushed at exit: into /dev/null, not the pipe.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """sys.stdout, for the block, tolerates a reader that closes the pipe."""
    original = sys.stdout
    proxy = _ReaderMayLeave(original)
    sys.stdout = proxy
    try:
        yield
    finally:
        proxy.flush()
        sys.stdout = original
