"""What the search shows while it runs: examples explored, failures found, and per check the
adapter runs spent shrinking and the smaller rosters kept. Built on `harness.progress`
(rich on a terminal, nothing otherwise); the rate is the display's count over its clock."""

from __future__ import annotations

from harness.progress import NullProgress, Progress

__all__ = ["NullSearchProgress", "SearchProgress"]


class SearchProgress:
    def __init__(self, display: Progress) -> None:
        self._display = display
        self._stages: list[str] = []
        self.runs = 0  # adapter runs so far

    def _start(self, stage: str, total: int | None = None) -> None:
        self._display.start(stage, total)
        self._stages.append(stage)

    def start(self, examples: int) -> None:
        self._start("exploring (examples)", examples)
        self._start("failures found (checks)")

    def ran(self) -> None:
        self.runs += 1

    def explored(self, count: int) -> None:
        self._display.update("exploring (examples)", count)

    def failures(self, count: int) -> None:
        self._display.update("failures found (checks)", count)

    def shrinking(self, check: str, budget: int) -> None:
        self._start(f"shrinking {check} (adapter runs)", budget)
        self._start(f"shrinking {check} (smaller rosters kept)")

    def shrunk(self, check: str, steps: int, runs: int) -> None:
        self._display.update(f"shrinking {check} (adapter runs)", runs)
        self._display.update(f"shrinking {check} (smaller rosters kept)", steps)

    def close(self) -> None:
        for stage in self._stages:
            self._display.finish(stage)
        self._stages.clear()
        self._display.close()


class NullSearchProgress(SearchProgress):
    def __init__(self) -> None:
        super().__init__(NullProgress())
