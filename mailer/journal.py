"""The send journal: what happened to every recipient of every campaign, in SQLite.

The file is ``.mailer/journal.sqlite3`` in the workspace, created with mode 0600 (it holds
parents' addresses; the folder is 0700). It holds:

- ``campaigns``: one row per campaign (name, snippet, list path and SHA-256 of the list
  file, SHA-256 of the rendered content, where it was delivered, times);
- ``recipients``: one row per (campaign, recipient address) with its state
  (:class:`mailer.outcome.State`), the last reply code and text, attempts, times and the
  Message-ID;
- ``submissions``: one row per message whose data went to an SMTP server (time only), for
  the rolling 24-hour ``daily_cap`` across campaigns and runs.

Every write is its own committed transaction, made before the next message starts, so a
``kill -9`` at any moment leaves a journal that tells the truth. Before a message's data
is handed over, its row becomes ``uncertain`` ("data sent, awaiting reply"); the reply
then turns it into ``sent`` (``written`` for the outbox folder), ``deferred`` or
``failed``. WAL mode with ``synchronous=NORMAL`` keeps each commit cheap and survives the
process being killed (not a power cut in the last moment before a commit reaches the disk).

Passwords and message bodies are never written here.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from mailer import sendwords
from mailer.errors import JournalError, JournalGone  # imported from here too
from mailer.outcome import CampaignInfo, Outcome, RecipientOutcome, State

T = TypeVar("T")

JOURNAL_NAME = "journal.sqlite3"
LOCK_NAME = "send.lock"

#: Most seconds between writes of a campaign's ``updated`` time while it sends.
UPDATED_EVERY_S = 1.0

#: Reply text stored while a message's data is on its way (see module docstring).
AWAITING_REPLY = "data sent, awaiting reply"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    name TEXT PRIMARY KEY,
    snippet TEXT NOT NULL,
    list_path TEXT NOT NULL,
    list_hash TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    transport TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS recipients (
    campaign TEXT NOT NULL REFERENCES campaigns(name) ON DELETE CASCADE,
    email TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'sent', 'written', 'deferred', 'failed', 'uncertain')),
    code INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    first_attempt REAL,
    last_attempt REAL,
    language TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign, email)
);
CREATE TABLE IF NOT EXISTS submissions (
    at REAL NOT NULL,
    campaign TEXT
);
"""
_VERSION = 2

#: Version 1 had no ``written`` state: a message written to the outbox folder was stored as
#: ``sent`` in a campaign whose transport is ``outbox``. Version 2 says ``written``.
_FROM_VERSION_1 = """
CREATE TABLE recipients_v2 (
    campaign TEXT NOT NULL REFERENCES campaigns(name) ON DELETE CASCADE,
    email TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'sent', 'written', 'deferred', 'failed', 'uncertain')),
    code INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    first_attempt REAL,
    last_attempt REAL,
    PRIMARY KEY (campaign, email)
);
INSERT INTO recipients_v2
    SELECT r.campaign, r.email,
           CASE WHEN r.state = 'sent' AND c.transport = 'outbox' THEN 'written'
                ELSE r.state END,
           r.code, r.reply, r.attempts, r.message_id, r.first_attempt, r.last_attempt
    FROM recipients r JOIN campaigns c ON c.name = r.campaign;
DROP TABLE recipients;
ALTER TABLE recipients_v2 RENAME TO recipients
"""


#: Rows in one JSON array given to SQLite (a 100,000-row insert never holds the whole
#: list as JSON: about 0.4 MiB at a time, not 17 MiB).
JSON_CHUNK = 4096


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    """``items`` in lists of at most :data:`JSON_CHUNK`."""
    it = iter(items)
    while chunk := list(itertools.islice(it, JSON_CHUNK)):
        yield chunk


def _lower(email: str) -> str:
    # str.lower() copies even a string already in lower case (most addresses).
    return email if email.isascii() and email.islower() else email.lower()


def _by_language(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Language tag -> the lower-cased addresses given it, each sorted; an address given
    twice keeps its first tag. Rows are found by (campaign, address), never by the order
    they were written in, so they are written in the order the table's primary key keeps
    them: each insert goes next to the one before (measured: a quarter less CPU than list
    order, half that of one ``executemany`` row at a time).

    Most lists give everyone one tag: then an address given twice is one row either way
    (``INSERT OR IGNORE``), and no table of first tags (5 MiB for 100,000) is kept."""
    out: dict[str, list[str]] = {}
    first: dict[str, str] | None = None  # address -> its first tag, once two tags are seen
    for email, tag in rows:
        email = _lower(email)
        if first is None:
            group = out.get(tag)
            if group is not None or not out:
                if group is None:
                    group = out[tag] = []
                group.append(email)
                continue
            (only,), (seen,) = out.keys(), out.values()
            first = dict.fromkeys(seen, only)
        first.setdefault(email, tag)
    if first is not None:
        out = {}
        for email, tag in first.items():
            out.setdefault(tag, []).append(email)
    for emails in out.values():
        emails.sort()
    return out


def _insert_pending(db: sqlite3.Connection, name: str, rows: Iterable[tuple[str, str]],
                    *, has_json: bool, has_language: bool) -> None:
    """Insert a ``pending`` row of campaign ``name`` for each (address, language tag) not
    there yet, into the open transaction of ``db``: as JSON arrays read by SQLite's
    ``json_each`` where it has them (half the CPU of a row at a time), a language at a
    time in primary-key order (:func:`_by_language`); the tags are left out of a journal
    with no language column."""
    if not has_language:
        emails = (email.lower() for email, _ in rows)
        if has_json:
            for chunk in _chunks(emails):
                db.execute("INSERT OR IGNORE INTO recipients (campaign, email, state) "
                           "SELECT ?, value, 'pending' FROM json_each(?)",
                           (name, json.dumps(chunk)))
        else:
            db.executemany("INSERT OR IGNORE INTO recipients (campaign, email, state) "
                           "VALUES (?, ?, 'pending')", ((name, email) for email in emails))
        return
    if has_json:
        for tag, emails in _by_language(rows).items():
            for chunk in _chunks(emails):
                db.execute("INSERT OR IGNORE INTO recipients (campaign, email, state, language) "
                           "SELECT ?, value, 'pending', ? FROM json_each(?)",
                           (name, tag, json.dumps(chunk)))
        return
    db.executemany("INSERT OR IGNORE INTO recipients (campaign, email, state, language) "
                   "VALUES (?, ?, 'pending', ?)",
                   ((name, email.lower(), tag) for email, tag in rows))


def _has_json(db: sqlite3.Connection) -> bool:
    """True when this SQLite has its JSON functions (built in since 3.38, an extension
    compiled in by most builds before)."""
    try:
        return db.execute("SELECT count(*) FROM json_each('[1]')").fetchone()[0] == 1
    except sqlite3.OperationalError:
        return False


def _insert_streamed(db: sqlite3.Connection, name: str, batches: queue.SimpleQueue[object],
                     *, has_json: bool, has_language: bool) -> None:
    """Insert a ``pending`` row of campaign ``name`` for each address in each batch taken
    from ``batches`` as it comes (tagged English, ``en``; as :func:`_insert_pending`
    writes them), until the end: a :class:`_StreamEnd` (whose non-English tags are then
    set) or :data:`_STREAM_ABANDONED`."""
    while True:
        item = batches.get()
        if item is _STREAM_ABANDONED:
            return
        if isinstance(item, _StreamEnd):
            break
        _insert_pending(db, name, ((email, "en") for email in item),  # type: ignore[attr-defined]
                        has_json=has_json, has_language=has_language)
    if not has_language:
        return
    for tag, emails in _by_language(item.languages).items():
        if has_json:
            for chunk in _chunks(emails):
                db.execute("UPDATE recipients SET language = ? WHERE campaign = ? AND email "
                           "IN (SELECT value FROM json_each(?))", (tag, name, json.dumps(chunk)))
        else:
            db.executemany("UPDATE recipients SET language = ? WHERE campaign = ? AND "
                           "email = ?", ((tag, name, email) for email in emails))


class _StreamEnd:
    """The end of a stream of addresses, with (address, message language) of those whose
    message is not in English."""

    def __init__(self, languages: Iterable[tuple[str, str]]) -> None:
        self.languages = languages


#: Put on a stream's queue by :meth:`PendingRows.abandon`: stop reading it.
_STREAM_ABANDONED = object()


class PendingRows:
    """A new campaign's ``pending`` rows being written in a thread (see
    :meth:`Journal.pending_ahead` and :meth:`Journal.pending_stream`); commit or abandon
    it exactly once (both wait for the thread; a second call does nothing)."""

    def __init__(self, journal: Journal, name: str,
                 rows: Iterable[tuple[str, str]] | None) -> None:
        self.journal = journal
        self.name = name
        self._rows = rows
        self._batches: queue.SimpleQueue[object] | None = (
            queue.SimpleQueue() if rows is None else None)
        self._error: BaseException | None = None
        self._ended = rows is not None
        self._db: sqlite3.Connection | None = sqlite3.connect(
            str(journal.path), isolation_level=None, timeout=10, check_same_thread=False)
        self._thread = threading.Thread(target=self._write, name="journal-pending",
                                        daemon=True)
        self._thread.start()

    def add(self, emails: Iterable[str]) -> None:
        """A stream's next addresses (iterated in the thread: a ``map`` over recipients
        costs the caller nothing); their rows say English (``en``) until :meth:`end`
        says otherwise. An address given twice keeps its first row."""
        assert self._batches is not None  # a stream's (Journal.pending_stream)
        self._batches.put(emails)

    def end(self, languages: Iterable[tuple[str, str]] = ()) -> None:
        """A stream's last addresses have been given; ``languages``: (address, message
        language) of every one whose message is not in English (``pl``, ``pt-BR``), each
        address once (as a campaign's recipients are), iterated in the thread."""
        assert self._batches is not None  # a stream's (Journal.pending_stream)
        self._batches.put(_StreamEnd(languages))
        self._ended = True

    def _write(self) -> None:
        db = self._db
        assert db is not None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            # Its commit copies nothing into the database file (a checkpoint waits for the
            # disk); that is done after it, beside the send (see commit()).
            db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute("BEGIN IMMEDIATE")
            # The campaign's row comes at commit (with its times), after its recipients.
            db.execute("PRAGMA defer_foreign_keys=ON")
            journal = self.journal
            if self._batches is not None:
                _insert_streamed(db, self.name, self._batches, has_json=journal._has_json,
                                 has_language=journal._has_language)
            else:
                _insert_pending(db, self.name, self._rows or (), has_json=journal._has_json,
                                has_language=journal._has_language)
        except BaseException as exc:  # noqa: BLE001 - raised again by commit()
            self._error = exc
        finally:
            self._rows = ()

    def commit(self, *, snippet: str, list_path: str, list_hash: str, content_hash: str,
               transport: str) -> CampaignInfo:
        """Write the campaign's row (as :meth:`Journal.start_campaign`) and commit it with
        its recipients, in one commit; returns the campaign.

        Raises:
            JournalError: the rows could not be written (a full disk, a journal in use);
                nothing of the campaign is recorded then.
        """
        assert self._ended  # a stream is committed after its end()
        self._thread.join()
        db = self._db
        assert db is not None  # committed once, never after abandon()
        try:
            if self._error is not None:
                raise self._error
            at = self.journal.now()
            db.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (self.name, snippet, list_path, list_hash, content_hash, transport,
                        at, at))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.abandon()
            self._close()
            raise JournalError(sendwords.journal_write_words(exc),
                               path=self.journal.path) from None
        except BaseException:
            self._close()
            raise
        # The rows are in the write-ahead log (about 16 MB for 100,000): copied into the
        # database file in this thread while the first messages go, not before them (a
        # PASSIVE checkpoint never holds up the send's own commits).
        self._db = None
        self.journal._checkpoint_beside(db)
        info = self.journal.campaign(self.name)
        assert info is not None
        return info

    def abandon(self) -> None:
        """Undo the rows written (nothing of the campaign is recorded)."""
        if self._batches is not None:
            self._batches.put(_STREAM_ABANDONED)  # a stream still waiting for more stops
        self._thread.join()
        if self._db is not None:
            with suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            self._close()

    def _close(self) -> None:
        if self._db is not None:
            with suppress(sqlite3.Error):
                self._db.close()
            self._db = None


def journal_path(state_dir: Path) -> Path:
    """``STATE_DIR/journal.sqlite3``."""
    return state_dir / JOURNAL_NAME


def _private_dir(path: Path) -> None:
    """Make ``path`` (and missing parents) a folder only its owner can open (0700), and
    tighten an existing one that is wider (whatever the umask).

    Raises:
        JournalError: the folder cannot be made (read-only disk, a file in the way).
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o777 != 0o700:
            os.chmod(path, 0o700)
    except FileExistsError:
        raise JournalError(sendwords.JOURNAL_FOLDER_IS_FILE, path=path) from None
    except OSError as exc:
        raise JournalError(sendwords.journal_folder_words(exc.strerror), path=path) from None


class Journal:
    """An open journal. Use as a context manager or call :meth:`close`.

    Args:
        path: the SQLite file; created (mode 0600, folder 0700) when ``create`` is true.
        now: wall clock in seconds since the epoch (injectable for tests).
        create: create the file if missing; otherwise a missing file raises.

    Raises:
        JournalError: when the file cannot be created or opened.
    """

    _has_language = False
    _has_json = False
    _beside: threading.Thread | None = None
    _touched: dict[str, float]
    #: Pages the log may hold while sending before a commit checkpoints it itself.
    CHECKPOINT_PAGES = 4000

    def __init__(
        self, path: Path, *, now: Callable[[], float] = time.time, create: bool = True
    ) -> None:
        self.path = path
        self.now = now
        self._touched = {}
        self._later: list[tuple[str, int, str, int, str | None, float, str, str]] = []
        if create:
            _private_dir(path.parent)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(fd)
                os.chmod(path, 0o600)
            except OSError as exc:
                raise JournalError(
                    sendwords.journal_create_words(exc.strerror), path=path
                ) from None
        elif not path.exists():
            raise JournalError(sendwords.NO_JOURNAL_YET, path=path)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > _VERSION:
                raise JournalError(sendwords.JOURNAL_TOO_NEW, path=path)
            if version < _VERSION:
                with self._transaction() as db:
                    steps = _SCHEMA if version == 0 else _FROM_VERSION_1
                    for statement in steps.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version={_VERSION}")
            # A damaged page anywhere (not only the header) is found now, not mid-send.
            check = self._db.execute("PRAGMA quick_check(1)").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(check[0] if check else sendwords.NO_CHECK_ANSWER)
            self._has_language = self._add_language_column()
            self._has_json = _has_json(self._db)
            # Earlier journals indexed submission times. An index page more to write
            # on every message costs about a quarter of marking it uncertain; the times
            # are read once a run (daily cap), where a scan is quick.
            with suppress(sqlite3.OperationalError):
                self._db.execute("DROP INDEX IF EXISTS submissions_at")
        except sqlite3.DatabaseError as exc:
            self._db_close_quietly()
            raise JournalError(sendwords.damaged_words(path, str(exc)), path=path) from None
        self._identity = _file_identity(path)

    def _put_back_if_deleted(self) -> bool:
        """True when the journal's file was deleted (or replaced) since it was opened; a
        deleted one is written back from the open database first (SQLite's backup API),
        so its record of who was sent is not lost with it. A file put in its place is
        left alone (the record is then written beside it, as ``NAME.recovered``)."""
        if self._db is None or _file_identity(self.path) == self._identity:
            return False
        with suppress(JournalError, sqlite3.Error):
            self.flush()  # outcomes kept for later go into the copy too
        target = self.path if not self.path.exists() else self.path.with_name(
            self.path.name + ".recovered")
        with suppress(sqlite3.Error, OSError):
            copy = sqlite3.connect(str(target))
            try:
                self._db.backup(copy)
            finally:
                copy.close()
            os.chmod(target, 0o600)
            if target == self.path:
                self._identity = _file_identity(self.path)
        return True

    # -- plumbing ---------------------------------------------------------------------

    def _add_language_column(self) -> bool:
        """Give a journal written before languages were recorded its ``language`` column
        (empty: not recorded). The schema version stays 1: older mailers name their
        columns and keep working with it. False when the file cannot be changed (opened
        read-only for ``status``): then languages are simply not shown."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(recipients)")}
        if "language" in columns:
            return True
        try:
            self._db.execute(
                "ALTER TABLE recipients ADD COLUMN language TEXT NOT NULL DEFAULT ''")
        except sqlite3.OperationalError:
            return False
        return True

    def _db_close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            with suppress(sqlite3.Error):
                db.close()
            self._db = None  # type: ignore[assignment]

    def _checkpoint_beside(self, db: sqlite3.Connection) -> None:
        """Checkpoint (PASSIVE) and close ``db``, a second connection to this journal, in
        a thread; :meth:`close` waits for it."""

        def work() -> None:
            with suppress(sqlite3.Error):
                db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            with suppress(sqlite3.Error):
                db.close()

        self._beside = threading.Thread(target=work, name="journal-checkpoint", daemon=True)
        self._beside.start()

    def close(self) -> None:
        """Close the database (safe to call twice); a journal file deleted while it was
        open is written back first, with any outcome kept for later (:meth:`record`)."""
        if self._beside is not None:
            self._beside.join()
            self._beside = None
        if self._db is not None:
            with suppress(JournalError, sqlite3.Error):
                self.flush()
            self._put_back_if_deleted()
            self._db.close()
            self._db = None  # type: ignore[assignment]

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; outcomes kept for later (:meth:`record`) go first."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._later:
                    self._write_later(self._db)
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._later.clear()
        except sqlite3.OperationalError as exc:
            raise JournalError(
                sendwords.journal_write_words(exc),
                path=self.path,
            ) from None

    @contextmanager
    def fewer_checkpoints(self) -> Iterator[None]:
        """While the block runs (a send), the write-ahead log is copied into the database
        file (a checkpoint, SQLite "Write-Ahead Logging" §3) every
        :attr:`CHECKPOINT_PAGES` pages instead of every 1,000. A checkpoint waits for the
        disk (fsync); a commit does not (``synchronous=NORMAL``), and a commit is all a
        kill needs to find a message's state again. The log grows to about 16 MB.
        Measured: the checkpoints were about half the journal's time a message.
        """
        self._db.execute(f"PRAGMA wal_autocheckpoint={self.CHECKPOINT_PAGES}")
        try:
            yield
        finally:
            if self._db is not None:
                with suppress(sqlite3.Error):
                    self._db.execute("PRAGMA wal_autocheckpoint=1000")

    # -- campaigns --------------------------------------------------------------------

    def campaign(self, name: str) -> CampaignInfo | None:
        """The campaign called ``name``, or ``None``."""
        row = self._db.execute(
            "SELECT name, snippet, list_path, list_hash, content_hash, transport, created, "
            "updated FROM campaigns WHERE name = ?",
            (name,),
        ).fetchone()
        return CampaignInfo(*row) if row else None

    def campaigns(self) -> list[CampaignInfo]:
        """All campaigns, oldest first."""
        rows = self._db.execute(
            "SELECT name, snippet, list_path, list_hash, content_hash, transport, created, "
            "updated FROM campaigns ORDER BY created, name"
        ).fetchall()
        return [CampaignInfo(*r) for r in rows]

    def start_campaign(
        self, name: str, *, snippet: str, list_path: str, list_hash: str, content_hash: str,
        transport: str,
    ) -> CampaignInfo:
        """Create the campaign row (it must not exist yet); returns it."""
        at = self.now()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, snippet, list_path, list_hash, content_hash, transport, at, at),
            )
        info = self.campaign(name)
        assert info is not None
        return info

    def pending_ahead(self, name: str, rows: Iterable[tuple[str, str]]) -> PendingRows:
        """Start writing a new campaign's ``pending`` rows (as :meth:`add_pending`) on a
        second connection, in a thread, while the caller goes on; nothing is committed
        until :meth:`PendingRows.commit` writes the campaign's row with them.
        :meth:`PendingRows.abandon` (or a kill) leaves the journal as it was. Meanwhile
        this journal may be read, not written (SQLite has one writer at a time).

        SQLite does the insert without Python's global lock (``sqlite3`` releases it
        while a statement runs), so on a second core it costs the caller nothing: about
        0.4 s less before the first message of a 100,000-recipient campaign.
        """
        return PendingRows(self, name, rows)

    def pending_stream(self, name: str) -> PendingRows:
        """As :meth:`pending_ahead`, with the addresses given as they are known
        (:meth:`PendingRows.add`, as a list is read) and their languages at the end
        (:meth:`PendingRows.end`): the insert, about 0.4 s of SQLite's time for 100,000
        recipients, is done while the list is read, on the other core, not after it.
        Every row is for a new campaign (``name`` has none yet: the caller holds the
        send lock and has checked)."""
        return PendingRows(self, name, None)

    def update_campaign(
        self, name: str, *, list_path: str, list_hash: str, content_hash: str, transport: str
    ) -> None:
        """Record the list, content and destination the campaign goes on with (after a list
        change the person accepted, or a change before anything was delivered)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE campaigns SET list_path = ?, list_hash = ?, content_hash = ?, "
                "transport = ?, updated = ? WHERE name = ?",
                (list_path, list_hash, content_hash, transport, self.now(), name),
            )

    def purge(self, name: str) -> int:
        """Delete a campaign and its recipients (the submission times stay, without the
        name, for the daily cap). Returns how many recipient rows were deleted."""
        with self._transaction() as db:
            n = db.execute("SELECT COUNT(*) FROM recipients WHERE campaign = ?",
                           (name,)).fetchone()[0]
            db.execute("DELETE FROM recipients WHERE campaign = ?", (name,))
            db.execute("DELETE FROM campaigns WHERE name = ?", (name,))
            db.execute("UPDATE submissions SET campaign = NULL WHERE campaign = ?", (name,))
        self._db.execute("VACUUM")
        return int(n)

    def restart(self, name: str) -> None:
        """Every recipient of the campaign back to ``pending`` with no reply, attempts or
        Message-ID (after a look in the outbox folder: that was not a delivery)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE recipients SET state = 'pending', code = 0, reply = '', attempts = 0, "
                "message_id = NULL, first_attempt = NULL, last_attempt = NULL "
                "WHERE campaign = ?", (name,))

    # -- recipients -------------------------------------------------------------------

    def add_recipients(self, name: str, emails: Iterable[str]) -> None:
        """Add ``pending`` rows for addresses the campaign does not have yet (one commit).

        As :func:`_insert_pending` writes them: JSON arrays read by SQLite's
        ``json_each`` (built in since 3.38; row by row where it is missing), about half
        the CPU of one ``executemany`` row at a time."""
        with self._transaction() as db:
            _insert_pending(db, name, ((email, "") for email in emails),
                            has_json=self._has_json, has_language=False)

    def add_pending(self, name: str, rows: Iterable[tuple[str, str]]) -> None:
        """Add a ``pending`` row for each (address, BCP 47 tag of its message language)
        the campaign does not have yet, language included: one INSERT per row, all in one
        commit (rows already there are left as they are). What a new campaign records
        before its first message; for 100,000 recipients it costs about half of
        :meth:`add_recipients` followed by :meth:`set_languages` (one pass over the
        table, not an insert and then an update of every row). The rows go to SQLite as
        JSON arrays, as in :meth:`add_recipients` (0.4 s of CPU for 100,000 rows, not
        1.0 s)."""
        with self._transaction() as db:
            _insert_pending(db, name, rows, has_json=self._has_json,
                            has_language=self._has_language)

    def set_languages(self, name: str, languages: Iterable[tuple[str, str]]) -> None:
        """Record the language of the message each recipient is about to be sent:
        (address, BCP 47 tag of the message: ``en``, ``pl``) pairs, in one commit. Rows
        already ``sent`` (or ``written``) keep the language they were sent in."""
        if not self._has_language:
            return
        with self._transaction() as db:
            db.executemany(
                "UPDATE recipients SET language = ? "
                "WHERE campaign = ? AND email = ? AND state NOT IN ('sent', 'written')",
                ((tag, name, email.lower()) for email, tag in languages),
            )

    def language_counts(self, name: str) -> dict[str, dict[str, int]]:
        """Message language (``""``: not recorded, a journal from before languages were
        recorded) -> recipients per state (every state present), most recipients first."""
        if not self._has_language:
            rows = [("", state, n) for state, n in self.counts(name).items() if n]
        else:
            rows = self._db.execute(
                "SELECT language, state, COUNT(*) FROM recipients WHERE campaign = ? "
                "GROUP BY language, state", (name,)).fetchall()
        out: dict[str, dict[str, int]] = {}
        for language, state, n in rows:
            out.setdefault(language, {s.value: 0 for s in State})[state] = n
        return dict(sorted(out.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))

    def states(self, name: str) -> dict[str, State]:
        """Address (lower-case) -> state, for every recipient row of the campaign."""
        return {
            email: State(state)
            for email, state in self._db.execute(
                "SELECT email, state FROM recipients WHERE campaign = ?", (name,)
            )
        }

    def message_ids(self, name: str) -> dict[str, str]:
        """Address (lower-case) -> the Message-ID used before, for every recipient of the
        campaign not yet sent (or written) that has one: a resend reuses it. One query for
        the run, instead of one per message."""
        return dict(self._db.execute(
            "SELECT email, message_id FROM recipients WHERE campaign = ? "
            "AND message_id IS NOT NULL AND state NOT IN ('sent', 'written')", (name,)))

    def mark_uncertain(self, name: str, email: str, message_id: str, *,
                       submission: bool = True, started: float | None = None) -> None:
        """Just before a message's data goes out: state ``uncertain`` ("data sent, awaiting
        reply"), one more attempt, the Message-ID, and (for SMTP) a submission for the
        daily cap, dated ``started`` (when the message was started; default now).
        Committed before returning."""
        at = self.now() if started is None else started
        if self._put_back_if_deleted():
            raise JournalGone(sendwords.journal_gone_words(self.path.name), path=self.path)
        with self._transaction() as db:
            db.execute(
                "UPDATE recipients SET state = 'uncertain', code = 0, reply = ?, "
                "attempts = attempts + 1, message_id = ?, "
                "first_attempt = COALESCE(first_attempt, ?), last_attempt = ? "
                "WHERE campaign = ? AND email = ?",
                (AWAITING_REPLY, message_id, at, at, name, email.lower()),
            )
            if submission:
                db.execute("INSERT INTO submissions VALUES (?, ?)", (at, name))

    def record(
        self, name: str, email: str, outcome: Outcome, *,
        message_id: str | None = None, new_attempt: bool = False, later: bool = False,
    ) -> None:
        """Record an outcome: its state, reply code and text. ``new_attempt`` counts an
        attempt that ended before its data went out (for example a 4xx to RCPT).

        Committed before returning, or with ``later`` in the next commit: the next
        message's :meth:`mark_uncertain` (one commit for the two, where each would cost
        a write to disk) or :meth:`flush`. The sending engine flushes before it waits for
        anything; until then a kill leaves this message ``uncertain``, never sent twice.
        """
        row = (outcome.state.value, outcome.code, outcome.text[:1000],
               1 if new_attempt else 0, message_id, self.now(), name, email.lower())
        self._later.append(row)
        if not later:
            self.flush()

    def flush(self) -> None:
        """Commit the outcomes :meth:`record` was asked to keep for later, if any."""
        if self._later:
            with self._transaction():
                pass

    def _write_later(self, db: sqlite3.Connection) -> None:
        """Write the outcomes kept for later into the open transaction."""
        for state, code, reply, attempt, message_id, at, name, email in self._later:
            db.execute(
                "UPDATE recipients SET state = ?, code = ?, reply = ?, "
                "attempts = attempts + ?, message_id = COALESCE(?, message_id), "
                "first_attempt = COALESCE(first_attempt, ?), last_attempt = ? "
                "WHERE campaign = ? AND email = ?",
                (state, code, reply, attempt, message_id, at, at, name, email),
            )
            # The campaign's "updated" time moves at most once a second: at hundreds of
            # messages a second, a second write per message would cost a page each.
            if at - self._touched.get(name, float("-inf")) >= UPDATED_EVERY_S:
                db.execute("UPDATE campaigns SET updated = ? WHERE name = ?", (at, name))
                self._touched[name] = at

    def counts(self, name: str) -> dict[str, int]:
        """Recipients per state (every state present, 0 when none)."""
        out = {s.value: 0 for s in State}
        for state, n in self._db.execute(
            "SELECT state, COUNT(*) FROM recipients WHERE campaign = ? GROUP BY state", (name,)
        ):
            out[state] = n
        return out

    def recipients(self, name: str, states: Iterable[State] | None = None
                   ) -> list[RecipientOutcome]:
        """Recipient rows of the campaign (optionally only some states), by address."""
        sql = ("SELECT email, state, code, reply, attempts, message_id, first_attempt, "
               "last_attempt FROM recipients WHERE campaign = ?")
        args: list[object] = [name]
        if states is not None:
            wanted = [s.value for s in states]
            sql += f" AND state IN ({', '.join('?' for _ in wanted)})"
            args += wanted
        rows = self._db.execute(sql + " ORDER BY email", args).fetchall()
        return [RecipientOutcome(r[0], Outcome(State(r[1]), r[2], r[3]), *r[4:]) for r in rows]

    # -- daily cap --------------------------------------------------------------------

    def submissions_since(self, since: float) -> list[float]:
        """Times (ascending) of SMTP submissions after ``since``, across all campaigns."""
        return [r[0] for r in self._db.execute(
            "SELECT at FROM submissions WHERE at > ? ORDER BY at", (since,)
        )]

    def last_submission(self) -> float | None:
        """Time of the latest SMTP submission, or ``None``."""
        row = self._db.execute("SELECT MAX(at) FROM submissions").fetchone()
        return row[0] if row and row[0] is not None else None


def _file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, or ``None`` when it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class SendLock:
    """An exclusive lock on ``.mailer/send.lock`` so two sends in one workspace never run
    at once (they would send twice). Released when the process ends, even by ``kill -9``.

    Raises:
        JournalError: from :meth:`acquire` when another send holds it.
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock without waiting."""
        _private_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except IsADirectoryError:
            raise JournalError(sendwords.LOCK_IS_FOLDER, path=self.path) from None
        except OSError as exc:
            raise JournalError(sendwords.lock_unwritable_words(exc.strerror),
                               path=self.path.parent) from None
        try:
            _lock_file(fd)
        except OSError:
            os.close(fd)
            raise JournalError(sendwords.ANOTHER_SEND) from None
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (safe to call twice)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SendLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_file(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
