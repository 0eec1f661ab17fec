"""The progress display: rich on a terminal, nothing otherwise or when quiet."""

from __future__ import annotations

import io

from harness.progress import NullProgress, RichProgress, progress_display


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_when_not_a_terminal_or_asked() -> None:
    assert isinstance(progress_display(stream=io.StringIO()), NullProgress)
    assert isinstance(progress_display(quiet=True, stream=Terminal()), NullProgress)


def test_a_terminal_shows_every_stage_with_its_counts() -> None:
    stream = Terminal()
    progress = progress_display(stream=stream)
    assert isinstance(progress, RichProgress)
    progress.start("generation")
    progress.finish("generation")
    progress.start("sending", total=40)
    progress.update("sending", 25)
    progress.finish("sending")
    progress.start("judging", total=25)
    progress.advance("judging", 10)
    progress.advance("judging", 15)
    progress.finish("judging")
    progress.close()
    shown = stream.getvalue()
    assert "generating the roster" in shown
    assert "sending (copies captured / expected)" in shown and "25/40" in shown
    assert "judging (copies judged / captured)" in shown and "25/25" in shown


def test_a_run_reports_its_stages_to_the_display() -> None:
    from harness.adapters.reference import ReferenceAdapter
    from harness.roster.campaign import build_campaign
    from harness.roster.generate import generate_roster
    from harness.runner import run_once
    from harness.sink.server import CaptureSink

    calls: list[tuple[str, ...]] = []

    class Recorder(NullProgress):
        def start(self, stage: str, total: int | None = None) -> None:
            calls.append(("start", stage, str(total)))

        def advance(self, stage: str, amount: int) -> None:
            calls.append(("advance", stage, str(amount)))

        def finish(self, stage: str) -> None:
            calls.append(("finish", stage))

    roster = generate_roster(60, seed=2)
    with CaptureSink() as sink:
        result = run_once(
            roster,
            build_campaign(roster.students),
            ReferenceAdapter(),
            sink,
            grace=0.05,
            progress=Recorder(),
        )
    expected = str(result.plan.expected_copies)
    assert ("start", "sending", expected) in calls
    assert ("start", "judging", str(result.copies)) in calls
    judged = sum(int(c[2]) for c in calls if c[:2] == ("advance", "judging"))
    assert judged == result.copies
    assert [c[1] for c in calls if c[0] == "finish"] == ["index", "sending", "capture", "judging"]
