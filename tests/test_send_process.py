"""``mailer send`` as a real process: killed with SIGKILL halfway, stopped with Ctrl-C,
asked to confirm (and for the password) at a terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailer.outcome import State
from tests.conftest import run_mailer, set_smtp
from tests.sendkit import SNIPPET, assert_agree, journal_states, write_list
from tests.smtp_server import LocalCA, RecordingHandler, SmtpServer


def popen_mailer(*args: str, cwd: Path, env: dict[str, str] | None = None,
                 **kwargs: object) -> subprocess.Popen[bytes]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "mailer", *args], cwd=cwd, env=full_env,
                            **kwargs)  # type: ignore[call-overload]


def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def stop_when(proc: subprocess.Popen[bytes], ready, sig: int = signal.SIGINT,  # type: ignore[no-untyped-def]
              timeout: float = 30.0, ready_timeout: float = 30.0
              ) -> tuple[bytes | None, bytes | None]:
    """Once ``ready()`` holds, send ``sig`` to ``proc`` and wait for it to end; returns its
    (stdout, stderr). A process that does not end by ``timeout`` is killed (the test then
    fails on its exit status)."""
    try:
        wait_for(ready, timeout=ready_timeout)
        proc.send_signal(sig)
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def outbox_count(ws: Path) -> int:
    new = ws / "outbox" / "new"
    return len(list(new.iterdir())) if new.exists() else 0


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_sigkill_halfway_then_rerun_sends_everyone_exactly_once(
        workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        pipelining: bool) -> None:
    # Pipelined, the next envelope follows each message's data (RFC 2920 §3.1): a kill
    # can come while a reply is owed for one message and the next is on its way.
    monkeypatch.setattr(RecordingHandler, "offer_pipelining", pipelining)
    list_arg, addrs = write_list(workspace, 40)
    handler = RecordingHandler(data_delay_s=0.1)
    command = ("send", SNIPPET, "--list", list_arg, "--yes")
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none",
                 connections=2)
        with open(tmp_path / "err.txt", "wb") as err:
            proc = popen_mailer(*command, cwd=workspace, stdout=subprocess.DEVNULL, stderr=err)
            try:
                wait_for(lambda: len(handler.received) >= 10 or proc.poll() is not None)
            finally:
                proc.kill()  # SIGKILL: no clean-up of any kind
                proc.wait()
        assert proc.returncode == -signal.SIGKILL, (tmp_path / "err.txt").read_text()
        campaign = f"{SNIPPET}--parents"
        states = journal_states(workspace, campaign)
        received = handler.received_by_recipient()
        assert_agree(received, states)
        assert State.PENDING in states.values(), "killed halfway"
        killed_uncertain = {a for a, s in states.items() if s is State.UNCERTAIN}
        assert len(killed_uncertain) <= 2, "at most one uncertain per connection"

        rerun = run_mailer(*command, cwd=workspace)
        received = handler.received_by_recipient()
        states = journal_states(workspace, campaign)
    assert rerun.returncode == (1 if killed_uncertain else 0), rerun.stderr
    assert_agree(received, states)
    assert {a for a, s in states.items() if s is not State.SENT} == killed_uncertain
    for addr in addrs:
        if addr in killed_uncertain:
            assert received[addr] <= 1
            assert addr in rerun.stdout + rerun.stderr, "uncertain recipients are listed"
        else:
            assert received[addr] == 1, addr


def test_ctrl_c_stops_after_messages_in_flight_and_says_how_to_go_on(workspace: Path,
                                                                     tmp_path: Path) -> None:
    list_arg, addrs = write_list(workspace, 16)
    handler = RecordingHandler(data_delay_s=0.1)
    command = ("send", SNIPPET, "--list", list_arg, "--yes")
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        proc = popen_mailer(*command, cwd=workspace, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
        out, err = stop_when(proc, lambda: len(handler.received) >= 3 or proc.poll() is not None)
        states = journal_states(workspace, f"{SNIPPET}--parents")
        assert_agree(handler.received_by_recipient(), states)
        rerun = run_mailer(*command, cwd=workspace)
        received = handler.received_by_recipient()
    stderr = err.decode()
    assert proc.returncode == 130, stderr
    assert "Stopped after the messages in flight" in stderr
    assert f"mailer send {SNIPPET} --list {list_arg} --yes" in stderr
    assert "Traceback" not in stderr
    assert State.UNCERTAIN not in states.values(), "the message in flight was finished"
    assert State.PENDING in states.values()
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(received) == addrs and set(received.values()) == {1}


def _read_until(fd: int, needle: str, seen: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in "".join(seen):
        assert time.monotonic() < deadline, "".join(seen)
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode(errors="replace"))
            except OSError:
                break
    assert needle in "".join(seen), "".join(seen)


def _run_on_terminal(ws: Path, list_arg: str, answers: list[tuple[str, str]],
                     env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``mailer send`` with a pseudo-terminal as stdin/stderr; answer each prompt."""
    master, slave = pty.openpty()
    proc = popen_mailer("send", SNIPPET, "--list", list_arg, cwd=ws, env=env, stdin=slave,
                        stderr=slave, stdout=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    seen: list[str] = []
    try:
        for prompt, answer in answers:
            _read_until(master, prompt, seen)
            os.write(master, answer.encode() + b"\n")
        out, _ = proc.communicate(timeout=60)
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            try:
                seen.append(os.read(master, 4096).decode(errors="replace"))
            except OSError:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return proc.returncode, out.decode(), "".join(seen)


def test_terminal_confirmation_and_hidden_password_prompt(workspace: Path,
                                                          tmp_path: Path) -> None:
    list_arg, addrs = write_list(workspace, 4)
    ca = LocalCA(tmp_path)
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with SmtpServer(tls_context=ca.server_context(), users={"office": "s3cret-pw"},
                    require_starttls=True) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, username="office",
                 ca_file=str(ca.ca_file))
        question = "Send 4 emails as office@hollybank.example.sch.uk via 127.0.0.1? [y/N]"
        code, _, screen = _run_on_terminal(workspace, list_arg, [(question, "n")], env)
        assert code == 0 and "Nothing was sent." in screen  # a "no" is not a failure
        assert server.received == []
        code, out, screen = _run_on_terminal(
            workspace, list_arg, [(question, "y"), ("Password for office at 127.0.0.1:",
                                                    "s3cret-pw")], env)
        received = list(server.received)
    assert code == 0, screen
    assert "s3cret-pw" not in screen + out, "the password is not echoed or printed"
    assert sorted(r.rcpt_tos[0] for r in received) == addrs
    assert all(r.authenticated == "office" and r.tls for r in received)
    assert "4 sent" in out


def _stop_with(workspace: Path, signals: list[signal.Signals], delay_s: float,
               n: int = 16) -> tuple[subprocess.Popen[bytes], str, dict, str, RecordingHandler]:
    """Start a send, send ``signals`` (0.3 s apart) once 2 messages arrived; returns the
    process, its stderr, the journal's states, the list argument and the server's handler."""
    list_arg, _ = write_list(workspace, n)
    handler = RecordingHandler(data_delay_s=delay_s)
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        proc = popen_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(handler.received) >= 2 or proc.poll() is not None)
            for sig in signals:
                proc.send_signal(sig)
                time.sleep(0.3)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        states = journal_states(workspace, f"{SNIPPET}--parents")
        assert_agree(handler.received_by_recipient(), states)
    return proc, err.decode(), states, list_arg, handler


def test_closing_the_terminal_sighup_finishes_the_message_in_flight(workspace: Path) -> None:
    proc, stderr, states, list_arg, _ = _stop_with(workspace, [signal.SIGHUP], 0.1)
    assert proc.returncode == 130, stderr
    assert "Stopped after the messages in flight" in stderr
    assert f"mailer send {SNIPPET} --list {list_arg} --yes" in stderr
    assert State.UNCERTAIN not in states.values(), "the message in flight was finished"
    assert State.PENDING in states.values()


def test_a_second_ctrl_c_stops_at_once_and_says_what_to_do(workspace: Path) -> None:
    proc, stderr, states, list_arg, _ = _stop_with(
        workspace, [signal.SIGINT, signal.SIGINT], 3.0, n=4)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Stopped." in stderr
    assert f"mailer send {SNIPPET} --list {list_arg} --yes" in stderr
    assert "uncertain" in stderr and "mailer status" in stderr
    assert State.UNCERTAIN in states.values(), "the message in flight had its data sent"
