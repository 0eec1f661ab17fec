"""The progress display of a long run: generation, index, sending, capture, judging.

The runner and the judge report through the small `Progress` interface and never import
rich: `progress_display()` gives a rich display on stderr when stderr is a terminal, and
`NullProgress` (which does nothing) otherwise or when asked to be quiet, so scripts, pipes
and CI logs get no control characters.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

__all__ = ["STAGES", "NullProgress", "Progress", "RichProgress", "progress_display"]

# stage -> what the display calls it
STAGES = {
    "generation": "generating the roster",
    "index": "building the plan and token index",
    "sending": "sending (copies captured / expected)",
    "capture": "waiting for the last sessions to close",
    "judging": "judging (copies judged / captured)",
}


class Progress(Protocol):
    def start(self, stage: str, total: int | None = None) -> None:
        """Show `stage` as running; `total` is the count it works towards, if known."""
        ...

    def update(self, stage: str, completed: int) -> None:
        """Set how much of `stage` is done."""
        ...

    def advance(self, stage: str, amount: int) -> None:
        """Add `amount` to what `stage` has done."""
        ...

    def finish(self, stage: str) -> None:
        """Show `stage` as done."""
        ...

    def close(self) -> None:
        """Leave the display (the finished stages stay on screen)."""
        ...


class NullProgress:
    """No display at all."""

    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def update(self, stage: str, completed: int) -> None:
        pass

    def advance(self, stage: str, amount: int) -> None:
        pass

    def finish(self, stage: str) -> None:
        pass

    def close(self) -> None:
        pass


class RichProgress:
    """One line per stage on a rich live display: a bar with counts where there is a
    total, a spinner otherwise, and the time each stage took."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Display

        self._display = Display(
            SpinnerColumn(finished_text="[green]done"),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._display.start()

    def start(self, stage: str, total: int | None = None) -> None:
        self._tasks[stage] = self._display.add_task(STAGES.get(stage, stage), total=total)

    def update(self, stage: str, completed: int) -> None:
        if stage in self._tasks:
            self._display.update(self._tasks[stage], completed=completed)

    def advance(self, stage: str, amount: int) -> None:
        if stage in self._tasks:
            self._display.advance(self._tasks[stage], amount)

    def finish(self, stage: str) -> None:
        if stage in self._tasks:
            task = self._tasks[stage]
            total = self._display.tasks[task].total
            if total is None:
                self._display.update(task, total=1, completed=1)
            self._display.stop_task(task)

    def close(self) -> None:
        self._display.stop()


def progress_display(*, quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """A rich display on `stream` (default stderr) if it is a terminal and not `quiet`."""
    stream = sys.stderr if stream is None else stream
    if quiet or not stream.isatty():
        return NullProgress()
    return RichProgress(stream)
