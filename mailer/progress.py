"""Progress while sending: a bar on a terminal, one line per 100 messages otherwise.

Both write to standard error, so ``--json`` output on standard output stays one object.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from mailer.campaign import time_words
from mailer.engine import RunResult
from mailer.journal import State

#: Lines are printed every this many recipients when not on a terminal.
LINE_EVERY = 100


def waiting_words(until: float, count: int, reply: str) -> str:
    """``Waiting until 10:42 to try 1 parent again (the server said: 450 ...). Press
    Ctrl-C to stop safely: nobody is sent twice, and the same command carries on later.``"""
    said = reply or "try later"
    return (f"Waiting until {time_words(until)} to try {count:,} "
            f"parent{'s' if count != 1 else ''} again (the server said: {said}). Press "
            "Ctrl-C to stop safely: nobody is sent twice, and the same command carries on "
            "later.")


def rate_words(done: int, first: float | None, now: float) -> str:
    """``12/min``: the rate messages are going at, from the first outcome to now (``done``
    outcomes, the first at monotonic time ``first``). Counting from the first outcome, not
    from the start, gives the pacing in use (a limit of 12 a minute shows 12/min, not the
    60/min that one message in the first second would suggest); "" until two are done."""
    if first is None or done < 2 or now <= first:
        return ""
    return f"{(done - 1) * 60.0 / (now - first):.0f}/min"


def _counts(result: RunResult) -> tuple[int, int, int, int]:
    return (result.count(State.SENT), result.count(State.FAILED),
            result.count(State.DEFERRED), result.count(State.UNCERTAIN))


class LineProgress:
    """``  100 of 1,482 done: 98 sent, 1 failed, 1 deferred, 0 uncertain`` every
    :data:`LINE_EVERY` recipients, and once at the end."""

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
        sent, failed, deferred, uncertain = _counts(result)
        done = result.tried
        self._printed = done
        print(f"  {done:,} of {self.total:,} done: {sent:,} sent, {failed:,} failed, "
              f"{deferred:,} deferred, {uncertain:,} uncertain", file=self.stream, flush=True)


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
        sent, failed, deferred, uncertain = _counts(result)
        done = result.tried
        now = time.monotonic()
        counts = f"{sent} sent, {failed} failed, {deferred} deferred"
        if uncertain:
            counts += f", {uncertain} uncertain"
        self._progress.update(self._task, completed=done, counts=counts,
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
