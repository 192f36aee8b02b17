"""The set-up before a large send's first message, made fast, gives the same result as the
general way: the journal's pending rows (one insert, language included), and the list
reader's fast path for the common row shape against its general path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mailer.journal import Journal
from mailer.outcome import State

# -- the journal: pending rows of a new campaign -------------------------------------------


def _rows(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(str(path))
    try:
        return db.execute(
            "SELECT campaign, email, state, code, reply, attempts, message_id, first_attempt, "
            "last_attempt, language FROM recipients ORDER BY campaign, email").fetchall()
    finally:
        db.close()


def _start(journal: Journal, name: str = "c") -> None:
    journal.start_campaign(name, snippet="s", list_path="l", list_hash="h", content_hash="x",
                           transport="smtp h")


def test_add_pending_gives_the_rows_of_add_recipients_then_set_languages(
        tmp_path: Path) -> None:
    pairs = [("A@Example.com", "en"), ("b@example.com", "pl"), ("c@example.com", "pt-BR"),
             ("a@example.com", "ar")]  # the same address again: the first row stays
    with Journal(tmp_path / "one.sqlite3") as journal:
        _start(journal)
        journal.add_pending("c", pairs)
        assert journal.states("c") == {"a@example.com": State.PENDING,
                                       "b@example.com": State.PENDING,
                                       "c@example.com": State.PENDING}
    with Journal(tmp_path / "two.sqlite3") as journal:
        _start(journal)
        journal.add_recipients("c", (e for e, _ in pairs))
        journal.set_languages("c", pairs[:3])
    assert _rows(tmp_path / "one.sqlite3") == _rows(tmp_path / "two.sqlite3")
    assert [r[-1] for r in _rows(tmp_path / "one.sqlite3")] == ["en", "pl", "pt-BR"]


def test_add_pending_leaves_rows_already_there_alone(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        _start(journal)
        journal.add_pending("c", [("a@example.com", "pl")])
        journal.mark_uncertain("c", "a@example.com", "<1@x>")
        journal.add_pending("c", [("a@example.com", "en"), ("b@example.com", "en")])
        assert journal.states("c") == {"a@example.com": State.UNCERTAIN,
                                       "b@example.com": State.PENDING}
    assert [(r[1], r[-1]) for r in _rows(tmp_path / "j.sqlite3")] == [
        ("a@example.com", "pl"), ("b@example.com", "en")]


def test_add_pending_is_one_commit_that_is_all_or_nothing(tmp_path: Path) -> None:
    """A batch that breaks half-way (the rows' source raises) leaves no row of it
    behind: the first message never goes with part of the list unrecorded."""
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        _start(journal)

        def rows():  # type: ignore[no-untyped-def]
            yield ("a@example.com", "en")
            raise RuntimeError("the list broke half-way")

        with pytest.raises(RuntimeError):
            journal.add_pending("c", rows())
        assert journal.states("c") == {}
