"""The outbox transport: each message becomes a file in a Maildir.

A Maildir (``cur/``, ``new/``, ``tmp/``) is read by mail clients such as Thunderbird,
mutt and Evolution, and by the stdlib :mod:`mailbox` module; writing goes through
``tmp/`` and a rename, so a crash never leaves half a message in ``new/``.
"""

from __future__ import annotations

import asyncio
import mailbox
import os
from collections.abc import Callable
from pathlib import Path

from mailer import sendwords
from mailer.errors import TransportError
from mailer.message import Message
from mailer.outcome import Outcome, State
from mailer.replies import Action, Scope
from mailer.transports.base import OUTBOX, Pacing, TransportBase


class OutboxTransport(TransportBase):
    """Writes messages into the Maildir at ``path`` (created if missing): a look at what
    parents would get, not a send (:attr:`emails` is false); no pacing."""

    name = OUTBOX
    journal_name = OUTBOX
    emails = False
    pacing = Pacing()

    def __init__(self, path: Path, credentials: object = None) -> None:
        self.path = path
        self.label = sendwords.outbox_label_words(path)
        self._box: mailbox.Maildir | None = None

    async def open(self) -> None:
        """Create the Maildir, including its ``tmp/``, ``new/`` and ``cur/`` folders when the
        outbox folder exists but is empty (made by hand, or emptied after a look).

        Raises:
            TransportError: when the folders cannot be made (``outbox`` is a file, no
                permission); nothing has been written.
        """
        try:
            if self.path.exists() and not self.path.is_dir():
                raise TransportError(sendwords.OUTBOX_IS_FILE, path=self.path)
            # Parents' addresses and names: folders 0700 and files 0600 whatever the umask,
            # and an existing folder that is wider is tightened.
            for folder in (self.path, *(self.path / sub for sub in ("tmp", "new", "cur"))):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                if folder.stat().st_mode & 0o777 != 0o700:
                    os.chmod(folder, 0o700)
            self._box = mailbox.Maildir(self.path, create=False)
        except OSError as exc:
            raise TransportError(
                sendwords.outbox_create_words(exc.strerror), path=self.path
            ) from None

    async def deliver(
        self, message: Message, on_data: Callable[[], None] | None = None
    ) -> Outcome:
        """Add the message to ``new/``; a disk problem (full, no permission) is deferred
        with :attr:`Action.DISK`, which stops the run (every message would fail alike).

        Writing a file never waits on the event loop, so each message first gives it a
        turn (``asyncio.sleep(0)``): otherwise a Ctrl-C, SIGTERM or SIGHUP, which the loop
        takes, would wait until every message had been written."""
        await asyncio.sleep(0)
        if self._box is None:
            await self.open()
        assert self._box is not None
        if on_data is not None:
            on_data()
        try:
            # Files on disk use the local convention (LF); CRLF is for the wire.
            key = self._box.add(message.data.replace(b"\r\n", b"\n"))
            os.chmod(self.path / "new" / key, 0o600)
        except OSError as exc:
            # A full disk or a lost permission fails every message alike: stop the run.
            return Outcome(State.DEFERRED, 0,
                            sendwords.outbox_write_words(self.path, exc.strerror or exc),
                            action=Action.DISK,
                            scope=Scope.SESSION)
        return Outcome(State.WRITTEN, 250, sendwords.written_as_words(key))

    async def close(self) -> None:
        """Nothing to release."""
        self._box = None
