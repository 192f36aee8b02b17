"""The next message's envelope follows a message's data without waiting for its reply
(RFC 2920 §3.1), and every way that reply can go still leaves the journal true.

Through a raw asyncio SMTP responder on 127.0.0.1 that offers PIPELINING, answers in
order, and holds its reply to each message's final "." until the client's next line has
arrived (or 1 s has passed), so it can tell whether the client waited."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import Counter
from pathlib import Path

from mailer.journal import Journal, journal_path
from mailer.outcome import State
from tests.conftest import set_smtp
from tests.sendkit import FakeClock, assert_agree, journal_states, write_list
from tests.test_send_faults import campaign, send


class RawServer:
    """A thread running an asyncio SMTP responder.

    ``end_of_data``: recipient -> what to do at the end of that recipient's data, once:
    a reply line (``"554 5.7.1 ..."``), ``"421 ..."`` (reply, then close) or ``"drop"``
    (keep the message, close without a reply).
    """

    def __init__(self, end_of_data: dict[str, str] | None = None,
                 look_after: str = "", journal: Path | None = None) -> None:
        self.end_of_data = dict(end_of_data or {})
        # After replying to look_after's data, wait 0.3 s before answering anything else
        # and read that recipient's state in the journal meanwhile.
        self.look_after, self.journal, self.looked = look_after, journal, ""
        self.received: Counter[str] = Counter()
        self.ahead = 0        # replies to "." sent after the client's next MAIL had come
        self.waited = 0       # replies to "." sent after 1 s of the client waiting
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()

    async def _session(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"220 raw ESMTP\r\n")
        rcpt = ""
        pending: bytes | None = None  # the next line, read while holding a reply
        try:
            while True:
                line = pending if pending is not None else await reader.readline()
                pending = None
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-raw\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == b"RCPT":
                    rcpt = line[9:].strip(b"<> \r\n").decode().lower()
                    writer.write(b"250 2.1.5 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    end = b""
                    while (end := await reader.readline()) not in (b".\r\n", b""):
                        pass
                    if not end:  # closed before the final ".": the message is discarded
                        break
                    try:
                        pending = await asyncio.wait_for(reader.readline(), 1.0)
                    except asyncio.TimeoutError:
                        self.waited += 1
                    else:
                        self.ahead += pending[:4].upper() == b"MAIL"
                    action = self.end_of_data.pop(rcpt, "250 2.0.0 OK queued")
                    if action == "drop" or action.startswith("2"):
                        self.received[rcpt] += 1
                    if action == "drop":
                        break
                    writer.write(action.encode() + b"\r\n")
                    if rcpt == self.look_after and self.journal is not None:
                        await writer.drain()
                        await asyncio.sleep(0.3)  # the client now waits for more
                        with sqlite3.connect(self.journal) as db:
                            self.looked = db.execute(
                                "SELECT state FROM recipients WHERE email = ?",
                                (rcpt,)).fetchone()[0]
                    if action.startswith("421"):
                        await writer.drain()
                        break
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        writer.close()


def run(workspace: Path, server: RawServer, n: int) -> tuple[list[str], object]:
    list_arg, addrs = write_list(workspace, n)
    set_smtp(workspace, host="127.0.0.1", port=server.port, security="none", timeout_s=5)
    summary = send(workspace, list_arg, FakeClock())
    return addrs, summary


def test_the_next_envelope_goes_before_the_reply_to_the_data(workspace: Path) -> None:
    with RawServer() as server:
        addrs, summary = run(workspace, server, 6)
    states = journal_states(workspace, campaign("lists/parents.csv"))
    assert set(states.values()) == {State.SENT}
    assert server.received == Counter(addrs)
    # Every message but the last had the next one's MAIL FROM behind its data.
    assert (server.ahead, server.waited, server.connections) == (5, 1, 1)


def test_a_connection_lost_before_the_reply_leaves_that_parent_uncertain_only(
        workspace: Path) -> None:
    """The server keeps parent 2's message and hangs up without a reply: parent 2 is
    uncertain (never sent again by itself), parent 3, whose envelope was already on its
    way, is sent once after reconnecting, and everyone else once."""
    with RawServer(end_of_data={"parents0002@example.com": "drop"}) as server:
        addrs, summary = run(workspace, server, 6)
    states = journal_states(workspace, campaign("lists/parents.csv"))
    assert_agree(server.received, states)
    assert states.pop("parents0002@example.com") is State.UNCERTAIN
    assert set(states.values()) == {State.SENT}
    assert server.received == Counter(addrs)
    assert server.connections == 2


def test_a_refused_message_does_not_touch_the_one_behind_it(workspace: Path) -> None:
    with RawServer(end_of_data={"parents0001@example.com":
                                "554 5.7.1 Message rejected due to content"}) as server:
        addrs, summary = run(workspace, server, 4)
    states = journal_states(workspace, campaign("lists/parents.csv"))
    assert_agree(server.received, states)
    assert states.pop("parents0001@example.com") is State.FAILED
    assert set(states.values()) == {State.SENT}
    with Journal(journal_path(workspace / ".mailer"), create=False) as journal:
        row = {r.email: r for r in journal.recipients(campaign("lists/parents.csv"))}
    assert row["parents0001@example.com"].code == 554
    assert server.connections == 1


def test_421_at_the_end_of_data_stops_and_the_next_parent_is_not_lost(
        workspace: Path) -> None:
    """421 to a message's "." (RFC 5321 §3.8: the server is closing): that parent is
    deferred, the run stops as throttled, and the parent whose envelope was already sent
    is deferred too, with nothing sent to it; a later run sends both, once."""
    closing = "421 4.7.0 Too many messages in this session, closing connection"
    with RawServer(end_of_data={"parents0001@example.com": closing}) as server:
        addrs, summary = run(workspace, server, 4)
        states = journal_states(workspace, campaign("lists/parents.csv"))
        assert_agree(server.received, states)
        assert states["parents0000@example.com"] is State.SENT
        assert states["parents0001@example.com"] is State.DEFERRED
        assert states["parents0002@example.com"] in (State.DEFERRED, State.PENDING)
        assert summary.stopped == "throttled"
        assert server.received == Counter({"parents0000@example.com": 1})
        send(workspace, "lists/parents.csv", FakeClock())
    states = journal_states(workspace, campaign("lists/parents.csv"))
    assert set(states.values()) == {State.SENT}
    assert server.received == Counter(addrs)


def test_an_outcome_is_committed_before_mailer_waits_on_the_server(workspace: Path) -> None:
    """The reply to parent 1's data comes, then the server is slow to answer the next
    envelope: the journal already says parent 1 was sent (a kill while waiting would not
    leave it 'uncertain')."""
    journal = workspace / ".mailer" / "journal.sqlite3"
    with RawServer(look_after="parents0001@example.com", journal=journal) as server:
        addrs, summary = run(workspace, server, 4)
    assert server.looked == "sent"
    assert set(journal_states(workspace, campaign("lists/parents.csv")).values()) == {
        State.SENT}


def test_a_reply_that_stops_the_send_stops_the_message_behind_it_too(
        workspace: Path) -> None:
    """Google's daily quota reply to parent 1's "." (about the account: the send stops)
    arrives after parent 2's envelope was already accepted. Parent 2's data is not sent
    (the connection is closed without the final ".", RFC 5321 §4.1.1.4): nothing more
    goes to a server that said stop, and parent 2 is sent once by the next run."""
    quota = "550 5.4.5 Daily user sending quota exceeded."
    with RawServer(end_of_data={"parents0001@example.com": quota}) as server:
        addrs, summary = run(workspace, server, 4)
        states = journal_states(workspace, campaign("lists/parents.csv"))
        assert_agree(server.received, states)
        assert summary.stopped == "throttled"
        assert server.received == Counter({"parents0000@example.com": 1})
        assert states["parents0001@example.com"] is State.DEFERRED
        assert states["parents0002@example.com"] is State.PENDING
        send(workspace, "lists/parents.csv", FakeClock())
    assert set(journal_states(workspace, campaign("lists/parents.csv")).values()) == {
        State.SENT}
    assert server.received == Counter(addrs)
