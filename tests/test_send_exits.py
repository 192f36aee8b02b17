"""Exit statuses as the README's table gives them, through real processes: a disk that
fills halfway, Ctrl-C at the confirmation question, a double interrupt with nothing on
its way."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from mailer.outcome import State
from tests.conftest import run_mailer, set_smtp
from tests.sendkit import SNIPPET, assert_agree, journal_states, write_list
from tests.smtp_server import RecordingHandler, SmtpServer
from tests.test_send_process import _read_until, popen_mailer, stop_when, wait_for


def ctrl_c_on_a_terminal(args: tuple[str, ...], cwd: Path, after: str,
                         read_timeout: float = 30, wait_timeout: float = 30) -> tuple[int, str]:
    """Run ``mailer ARGS`` on a pseudo-terminal, press Ctrl-C (SIGINT) once ``after`` is on
    the screen, and read until "Nothing was sent.". Returns (exit status, screen text)."""
    master, slave = pty.openpty()
    proc = popen_mailer(*args, cwd=cwd, stdin=slave, stderr=slave, stdout=subprocess.PIPE)
    os.close(slave)
    seen: list[str] = []
    try:
        _read_until(master, after, seen, timeout=read_timeout)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=wait_timeout)
        _read_until(master, "Nothing was sent.", seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return proc.returncode, "".join(seen)


@pytest.fixture
def small_disk(workspace: Path):  # type: ignore[no-untyped-def]
    """A real 160 KiB tmpfs mounted at the workspace's outbox folder (root only, as on
    every machine of this project, CI included)."""
    outbox = workspace / "outbox"
    outbox.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(outbox)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr}"
    try:
        yield outbox
    finally:
        subprocess.run(["umount", "-l", str(outbox)], check=False)


def test_a_disk_that_fills_halfway_stops_with_status_1_and_carries_on_later(
        workspace: Path, small_disk: Path) -> None:
    list_arg, addrs = write_list(workspace, 40)
    first = run_mailer("send", SNIPPET, "--list", list_arg, cwd=workspace)
    states = journal_states(workspace, f"{SNIPPET}--parents")
    written = [a for a, s in states.items() if s is State.WRITTEN]
    assert 0 < len(written) < 40, first.stderr
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert f"the outbox folder {small_disk} cannot be written" in first.stderr
    assert "No space left on device" in first.stderr
    assert f"mailer send {SNIPPET} --list {list_arg}" in first.stderr
    assert State.FAILED not in states.values(), "a full disk is nobody's failure"
    assert len(list((small_disk / "new").iterdir())) == len(written)
    # Room is made (a bigger disk): the same command writes the rest, nobody twice.
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    again = run_mailer("send", SNIPPET, "--list", list_arg, cwd=workspace)
    assert again.returncode == 0, again.stderr
    assert len(list((small_disk / "new").iterdir())) == 40
    assert set(journal_states(workspace, f"{SNIPPET}--parents").values()) == {State.WRITTEN}


def test_ctrl_c_at_the_question_says_nothing_was_sent_and_exits_130(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        code, screen = ctrl_c_on_a_terminal(("send", SNIPPET, "--list", list_arg),
                                            workspace, "[y/N]")
        assert server.received == []
    assert code == 130, screen
    assert "Aborted" not in screen and "Traceback" not in screen
    # The campaign's rows were being written while the question was asked: none is kept.
    assert journal_states(workspace, f"{SNIPPET}--parents") == {}


class SlowRcptHandler(RecordingHandler):
    """Takes 3 s to answer RCPT TO: a message is being sent, but its data has not gone."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if len(self.received) >= 2:
            import asyncio

            await asyncio.sleep(3.0)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_double_interrupt_with_no_data_on_its_way_marks_nobody_uncertain(
        workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 6)
    handler = SlowRcptHandler()
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        proc = popen_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(handler.received) >= 2 or proc.poll() is not None)
            time.sleep(0.3)
            for _ in range(2):  # as GNU timeout -s INT does
                proc.send_signal(signal.SIGINT)
                time.sleep(0.3)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        states = journal_states(workspace, f"{SNIPPET}--parents")
        assert_agree(handler.received_by_recipient(), states)
    stderr = err.decode()
    assert proc.returncode == 130, stderr
    assert State.UNCERTAIN not in states.values()
    assert "marked uncertain" not in stderr
    assert "No message was on its way" in stderr
    assert f"mailer send {SNIPPET} --list {list_arg} --yes" in stderr


def test_ctrl_c_while_the_messages_are_checked_says_nothing_was_sent(workspace: Path) -> None:
    """Ctrl-C after the list's report, while every message is checked (before anything
    goes): before, typer turned it into a silent exit 130 with no word of what happened."""
    list_arg, _ = write_list(workspace, 40_000)
    code, screen = ctrl_c_on_a_terminal(("send", SNIPPET, "--list", list_arg), workspace,
                                        "rows in all", read_timeout=120, wait_timeout=60)
    assert code == 130, screen
    assert "Campaign:" not in screen, screen  # it was stopped before the summary
    assert not (workspace / "outbox" / "new").exists() or not any(
        (workspace / "outbox" / "new").iterdir())
    assert "Traceback" not in screen


@pytest.fixture
def small_journal_disk(workspace: Path):  # type: ignore[no-untyped-def]
    """A real 200 KiB tmpfs at the workspace's .mailer folder (the journal's)."""
    state = workspace / ".mailer"
    state.mkdir(mode=0o700)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k,mode=700", "tmpfs",
                           str(state)], capture_output=True, text=True)
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr}"
    try:
        yield state
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_journal_that_fills_up_says_how_many_it_recorded_as_sent(
        workspace: Path, small_journal_disk: Path, monkeypatch: pytest.MonkeyPatch,
        pipelining: bool) -> None:
    """The count in the message is the journal's own: a message whose reply came as the
    journal broke is 'uncertain' there, and the words say so, not 'recorded as sent'."""
    monkeypatch.setattr(RecordingHandler, "offer_pipelining", pipelining)
    list_arg, _ = write_list(workspace, 60)
    handler = RecordingHandler()
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        first = run_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace)
        received = handler.received_by_recipient()
    assert first.returncode == 1, first.stderr
    states = journal_states(workspace, f"{SNIPPET}--parents")
    assert_agree(received, states)
    sent = sum(1 for s in states.values() if s is State.SENT)
    uncertain = sum(1 for s in states.values() if s is State.UNCERTAIN)
    assert 0 < sent < 60
    said = " ".join(first.stderr.split())
    assert f"{sent:,} message{'s were' if sent != 1 else ' was'} sent" in said, said
    if uncertain:
        assert f"{uncertain:,} uncertain" in said, said


class SlowGreeting:
    """A TCP relay on 127.0.0.1 in front of an SMTP server that holds back everything the
    server says (its 220 greeting first) until :meth:`release`: a connection being made
    (as TLS and sign-in to a real provider take a moment)."""

    def __init__(self, upstream: int) -> None:
        import asyncio
        import threading

        self.upstream = upstream
        self.connected = threading.Event()
        self._release = threading.Event()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(
                asyncio.start_server(self._relay, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(5)

    def release(self) -> None:
        self._release.set()

    async def _relay(self, reader: Any, writer: Any) -> None:
        import asyncio

        self.connected.set()
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)

        async def pipe(src: Any, dst: Any, hold: bool) -> None:
            while data := await src.read(65536):
                while hold and not self._release.is_set():
                    await asyncio.sleep(0.01)
                dst.write(data)
                await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True),
                             return_exceptions=True)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_a_new_campaign_is_recorded_once_its_first_connection_is_open(
        workspace: Path) -> None:
    """Its rows are written while the connection is made, and committed only once it is
    open: a kill before that leaves nothing recorded, and the same command sends to all."""
    import sqlite3

    list_arg, addrs = write_list(workspace, 5)
    journal = workspace / ".mailer" / "journal.sqlite3"

    def campaigns() -> int:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM campaigns").fetchone()[0]
        finally:
            db.close()

    with SmtpServer() as server:
        relay = SlowGreeting(server.port)
        try:
            set_smtp(workspace, host="127.0.0.1", port=relay.port, security="none")
            proc = popen_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(relay.connected.is_set)
                time.sleep(0.5)  # the rows have long been written; the greeting has not come
                assert campaigns() == 0
            finally:
                proc.kill()
                proc.wait()
            assert campaigns() == 0 and server.received == []
            relay.release()
            again = run_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace)
            assert again.returncode == 0, again.stderr
        finally:
            relay.close()
        assert sorted(r.rcpt_tos[0] for r in server.received) == addrs
    assert set(journal_states(workspace, f"{SNIPPET}--parents").values()) == {State.SENT}


def test_an_interrupt_is_taken_even_when_started_with_it_ignored(workspace: Path) -> None:
    """A script's `mailer send ... &` inherits SIGINT ignored; `kill -INT` still stops it,
    here while the first connection is being made: exit 130, nothing recorded."""
    import sqlite3

    list_arg, _ = write_list(workspace, 5)
    with SmtpServer() as server:
        relay = SlowGreeting(server.port)  # never released: the greeting never comes
        try:
            set_smtp(workspace, host="127.0.0.1", port=relay.port, security="none")
            proc = popen_mailer(
                "send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            _, err = stop_when(proc, relay.connected.is_set, timeout=20)
        finally:
            relay.close()
        assert server.received == []
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    db = sqlite3.connect(f"file:{workspace / '.mailer' / 'journal.sqlite3'}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT count(*) FROM campaigns").fetchone() == (0,)
    finally:
        db.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=["ctrl-c", "window closed"])
def test_an_outbox_send_stops_at_an_interrupt_and_carries_on_later(
        workspace: Path, sig: signal.Signals) -> None:
    """Ctrl-C (or closing the window) while messages are written to the outbox folder
    stops the run after the message being written, not after the last: exit 130, every
    file written is in the journal, and the same command writes the rest, each once."""
    list_arg, addresses = write_list(workspace, 4000)
    new = workspace / "outbox" / "new"
    proc = popen_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = stop_when(proc, lambda: new.exists() and len(os.listdir(new)) >= 100, sig,
                       timeout=60, ready_timeout=60)
    assert proc.returncode == 130, err
    written = len(os.listdir(new))
    assert written < 1000, written  # before: all 4,000, the interrupt taken at the end
    states = journal_states(workspace, f"{SNIPPET}--parents")
    assert sum(s is State.WRITTEN for s in states.values()) == written
    again = run_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace)
    assert again.returncode == 0, again.stderr
    from email.parser import BytesParser

    to = [BytesParser().parsebytes(f.read_bytes(), headersonly=True)["To"].split("<")[-1]
          .rstrip(">") for f in new.iterdir()]
    assert sorted(to) == sorted(addresses)  # everyone once
