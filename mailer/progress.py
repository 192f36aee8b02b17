"""Progress while sending: a bar on a terminal, one line per 100 messages otherwise.

Both write to standard error, so ``--json`` output on standard output stays one object.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from mailer.outcome import RunResult
from mailer.sendwords import bar_words, progress_words, rate_words, waiting_words

#: Lines are printed every this many recipients when not on a terminal.
LINE_EVERY = 100


class LineProgress:
    """``  100 of 1,482 done: 98 sent, 1 failed, 1 deferred, 0 uncertain`` every
    :data:`LINE_EVERY` recipients, and once at the end (the words are
    :func:`mailer.sendwords.progress_words`)."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self._printed = 0
        self._last: RunResult | None = None

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._last is not None and self._last.tried != self._printed:
            self._line(self._last)

    def update(self, result: RunResult) -> None:
        """Called by the engine after each outcome."""
        self._last = result
        done = result.tried
        if done // LINE_EVERY > self._printed // LINE_EVERY:
            self._line(result)

    def waiting(self, until: float, count: int, reply: str) -> None:
        """Print the counts so far and what the run waits for."""
        if self._last is not None and self._last.tried != self._printed:
            self._line(self._last)
        print(f"  {waiting_words(until, count, reply)}", file=self.stream, flush=True)

    def _line(self, result: RunResult) -> None:
        self._printed = result.tried
        print(f"  {progress_words(result, self.total)}", file=self.stream, flush=True)


class BarProgress:
    """A rich progress bar: done/total, sent/failed/deferred, messages a minute and the
    time left."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.total = total
        self._first: float | None = None
        self._progress = Progress(
            TextColumn("Sending"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self._task = self._progress.add_task("send", total=total, counts="", rate="")

    def __enter__(self) -> BarProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, result: RunResult) -> None:
        """Called by the engine after each outcome."""
        done = result.tried
        now = time.monotonic()
        self._progress.update(self._task, completed=done, counts=bar_words(result),
                              rate=rate_words(done, self._first, now))
        if self._first is None:
            self._first = now


    def waiting(self, until: float, count: int, reply: str) -> None:
        """Print what the run waits for above the bar."""
        self._progress.console.print(waiting_words(until, count, reply), markup=False,
                                     highlight=False)


def make_progress(total: int, stream: TextIO | None = None) -> LineProgress | BarProgress:
    """A bar when ``stream`` (standard error by default) is a terminal, else lines."""
    stream = stream or sys.stderr
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return BarProgress(total, stream) if terminal else LineProgress(total, stream)
