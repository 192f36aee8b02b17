"""Helpers for the sending tests: a controlled clock, generated lists, the journal's view
and the check that the server and the journal agree."""

from __future__ import annotations

import asyncio
import csv
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailer.cli import main
from mailer.journal import Journal, journal_path
from mailer.outcome import State

SNIPPET = "online-safety-webcams"


class FakeClock:
    """A clock tests control: ``sleep`` moves time forward at once instead of waiting.

    Time never goes back; when several tasks sleep at once each wakes no earlier than it
    asked (a later sleeper may push time further), which is all pacing needs.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._wall0 = start
        self._mono = 1000.0
        self._mono0 = self._mono
        self.slept: list[float] = []

    def time(self) -> float:
        return self._wall0 + (self._mono - self._mono0)

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        target = self._mono + max(0.0, seconds)
        self.slept.append(seconds)
        await asyncio.sleep(0)
        self._mono = max(self._mono, target)


def write_list(ws: Path, n: int, name: str = "parents") -> tuple[str, list[str]]:
    """Write ``lists/NAME.csv`` with ``n`` carers; returns (list argument, addresses)."""
    rows = ["Contact Title,Contact Forename,Contact Surname,Pupil Forename,Email"]
    addresses = []
    for i in range(n):
        addr = f"{name}{i:04d}@example.com"
        addresses.append(addr)
        rows.append(f"Ms,Carer{i},Parent{i},Child{i},{addr}")
    (ws / "lists" / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return f"lists/{name}.csv", addresses


def journal_states(ws: Path, campaign: str) -> dict[str, State]:
    """Address -> state, as the workspace's journal has it."""
    with Journal(journal_path(ws / ".mailer"), create=False) as journal:
        return journal.states(campaign)


def assert_agree(received: Counter[str], states: dict[str, State]) -> None:
    """The server and the journal tell the same story: every ``sent`` recipient was
    received exactly once; ``pending``/``deferred``/``failed`` ones never; only
    ``uncertain`` ones may have been received (once); nobody unknown was received."""
    for email, state in states.items():
        got = received.get(email, 0)
        if state is State.SENT:
            assert got == 1, (email, state, got)
        elif state is State.UNCERTAIN:
            assert got <= 1, (email, state, got)
        else:
            assert got == 0, (email, state, got)
    assert set(received) <= set(states), set(received) - set(states)


@dataclass
class CliResult:
    """What an in-process ``mailer`` run printed and returned."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run ``mailer ARGS`` in this process through :func:`mailer.cli.main` (the same entry
    point as the console script: error messages and exit codes included). Use
    ``monkeypatch.chdir(workspace)`` first. For tests where a real process does not
    matter; it saves the interpreter start-up."""
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["mailer", *args]
    try:
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return CliResult(code, out, err)


@pytest.fixture
def mailer(workspace: Path, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch):
    """``mailer(*args)`` runs the command in this process (:func:`run_cli`) in the
    workspace folder, with no SMTP password in the environment."""
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("MAILER_SMTP_PASSWORD", raising=False)

    def run(*args: str) -> CliResult:
        return run_cli(capsys, *args)

    return run


def excel_csv(path: Path, rows: list[list[str]]) -> Path:
    """Write ``rows`` as Excel's "CSV UTF-8" does: BOM, CRLF, quotes where needed."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path
