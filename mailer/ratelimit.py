"""Pacing: the per-minute rate across all connections, and the rolling 24-hour cap.

Both take a :class:`Clock`, so tests can run them on a controlled clock instead of
waiting minutes.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

DAY_S = 24 * 60 * 60.0


class Clock(Protocol):
    """Where time comes from. ``time`` is wall time (seconds since the epoch, for the
    journal and the daily cap); ``monotonic`` never goes back (for pacing); ``sleep``
    waits for a number of seconds."""

    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never decreases."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real clock: :func:`time.time`, :func:`time.monotonic`, :func:`asyncio.sleep`."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(max(0.0, seconds))


class TokenBucket:
    """At most ``rate_per_minute`` acquisitions in any 60-second window, shared by every
    connection of the pool, with no burst: one token, refilled every ``60 / rate`` seconds
    (so grants are at least that far apart, and a half-open 60 s window holds at most
    ``rate_per_minute`` of them).

    Args:
        rate_per_minute: messages a minute; 0 means no limit.
        clock: the :class:`Clock` to read and sleep on.
        last_grant: monotonic time of a grant made before this bucket existed (a previous
            run's last message), so a quick re-run does not exceed the rate either.
    """

    def __init__(self, rate_per_minute: int, clock: Clock, last_grant: float | None = None):
        self.rate_per_minute = rate_per_minute
        self.clock = clock
        self.interval = 60.0 / rate_per_minute if rate_per_minute > 0 else 0.0
        # The last ``rate`` grants: a grant is also never earlier than 60 s after the one
        # ``rate`` grants before it, which holds the window exactly despite float rounding
        # in the spacing.
        self._recent: deque[float] = deque(maxlen=max(rate_per_minute, 1))
        if last_grant is not None and rate_per_minute > 0:
            self._recent.append(last_grant)
        self._lock = asyncio.Lock()

    def _earliest(self) -> float | None:
        if self.rate_per_minute <= 0 or not self._recent:
            return None
        earliest = self._recent[-1] + self.interval
        if len(self._recent) == self.rate_per_minute:
            earliest = max(earliest, self._recent[0] + 60.0)
        return earliest

    async def acquire(self, stop: Callable[[], bool] | None = None) -> float | None:
        """Wait for a token; returns the monotonic time it was granted, or ``None`` when
        ``stop()`` turned true while waiting (checked at least once a second, so Ctrl-C is
        noticed even at one message a minute)."""
        async with self._lock:
            now = self.clock.monotonic()
            earliest = self._earliest()
            while earliest is not None and now < earliest:
                if stop is not None and stop():
                    return None
                await self.clock.sleep(min(earliest - now, 1.0))
                now = self.clock.monotonic()
            if stop is not None and stop():
                return None
            if self.rate_per_minute > 0:
                self._recent.append(now)
            return now


class DailyCap:
    """At most ``cap`` SMTP submissions in any rolling 24 hours, across runs and campaigns.

    Args:
        cap: messages per 24 hours; 0 means no limit.
        earlier: wall times of submissions already made (from the journal).
        clock: for the current wall time.
    """

    def __init__(self, cap: int, earlier: Iterable[float], clock: Clock) -> None:
        self.cap = cap
        self.clock = clock
        self._times: deque[float] = deque(sorted(earlier))

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] <= now - DAY_S:
            self._times.popleft()

    def remaining(self) -> int | None:
        """How many more may be sent now, or ``None`` when there is no cap."""
        if self.cap <= 0:
            return None
        self._trim(self.clock.time())
        return max(0, self.cap - len(self._times))

    def take(self) -> bool:
        """Count one submission now if the cap allows it; False when it does not."""
        if self.cap <= 0:
            return True
        now = self.clock.time()
        self._trim(now)
        if len(self._times) >= self.cap:
            return False
        bisect.insort(self._times, now)
        return True

    def next_free(self, needed: int = 1) -> float:
        """Wall time when ``needed`` more submissions will be allowed."""
        now = self.clock.time()
        self._trim(now)
        over = len(self._times) + needed - self.cap
        if self.cap <= 0 or over <= 0:
            return now
        return self._times[min(over, len(self._times)) - 1] + DAY_S
