"""Work done ahead in a forked child (mailer.ahead): its result, its mistakes, and a child
that breaks or is not waited for. Real processes, real pipes, real signals."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mailer.ahead import Ahead, can_fork
from mailer.errors import ListError, MailerError, ServerBusyError, TemplateError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the child process is made with os.fork on Linux")


def test_a_mailer_command_may_fork() -> None:
    """A fresh process (as every mailer command is) has one thread: it may fork. (The test
    process may run other tests' threads, so the tests below ask for a child.)"""
    out = subprocess.run([sys.executable, "-c",
                          "from mailer.ahead import can_fork; print(can_fork())"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_the_work_is_done_in_a_child_and_its_result_comes_back() -> None:
    big = "x" * 300_000  # more than a pipe holds: the child waits until it is read
    with Ahead(lambda: (os.getpid(), big), fork=True) as ahead:
        pid, text = ahead.result()
    assert pid != os.getpid()
    assert text == big
    assert ahead.result() == (pid, big)  # asked again: the same, no second child


def test_the_parent_goes_on_while_the_child_works(tmp_path: Path) -> None:
    """The child waits for a sign that only the parent, going on, can give."""
    sign = tmp_path / "parent-went-on"

    def work() -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sign.exists():
                return "the parent went on"
            time.sleep(0.01)
        return "the parent waited"

    with Ahead(work, fork=True) as ahead:
        sign.touch()
        assert ahead.result() == "the parent went on"


def test_a_mistake_found_in_the_child_is_raised_here_whole() -> None:
    def work() -> None:
        raise TemplateError("'greting' is not defined", path="templates/email.html", line=12)

    with Ahead(work, fork=True) as ahead, pytest.raises(TemplateError) as caught:
        ahead.result()
    err = caught.value
    assert (err.message, err.path, err.line) == ("'greting' is not defined",
                                                 Path("templates/email.html"), 12)
    assert str(err) == "templates/email.html, line 12: 'greting' is not defined"
    assert err.exit_code == 2


@pytest.mark.parametrize("err", [
    MailerError("plain"),
    ListError("no address column", path="lists/p.csv", line=1),
    ServerBusyError("busy", code=421, reply="4.7.0 try again later"),
])
def test_every_mailer_error_survives_pickling(err: MailerError) -> None:
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert back.__dict__ == err.__dict__
    assert str(back) == str(err) and back.args == err.args
    assert back.exit_code == err.exit_code


def test_a_child_that_dies_has_its_work_done_here() -> None:
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()

    with Ahead(work, fork=True) as ahead:
        assert ahead._pid  # a child was started
        assert ahead.result() == parent


def test_a_bug_in_the_child_is_raised_here_with_its_own_traceback() -> None:
    parent = os.getpid()
    calls: list[int] = []

    def work() -> None:
        calls.append(os.getpid())  # only the parent's list is seen here
        raise ValueError(f"bug in {'child' if os.getpid() != parent else 'parent'}")

    with Ahead(work, fork=True) as ahead, pytest.raises(ValueError, match="bug in parent"):
        ahead.result()
    assert calls == [parent]


def test_a_child_not_waited_for_is_stopped() -> None:
    ahead = Ahead(lambda: time.sleep(60), fork=True)
    pid = ahead._pid
    assert pid
    started = time.monotonic()
    ahead.close()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


def test_without_a_child_the_work_is_done_at_once() -> None:
    with pytest.raises(ListError):
        Ahead(lambda: (_ for _ in ()).throw(ListError("bad")), fork=False)
    assert Ahead(os.getpid, fork=False).result() == os.getpid()


def test_a_process_with_other_threads_does_not_fork() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        with Ahead(os.getpid) as ahead:
            assert ahead.result() == os.getpid()
    finally:
        stop.set()
        thread.join()


# -- mailer send, whose English email is rendered in a child while the list is read ---------

def _break_template(ws: Path) -> int:
    """A Jinja mistake in templates/email.html; returns its line."""
    path = ws / "templates" / "email.html"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "<title>{{" in line)
    lines[at] = "<title>{{ snippet.subject </title>\n"
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def test_send_names_a_template_mistake_found_in_the_child(workspace: Path) -> None:
    from tests.conftest import run_mailer

    line = _break_template(workspace)
    result = run_mailer("send", "online-safety-webcams", "--list", "example-parents.csv",
                        "--dry-run", cwd=workspace)
    assert result.returncode == 2
    assert f"email.html, line {line}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert "recipients" not in result.stderr.lower()  # no list report before it


def test_a_template_mistake_is_told_before_a_list_mistake(workspace: Path) -> None:
    from tests.conftest import run_mailer

    line = _break_template(workspace)
    (workspace / "lists" / "broken.csv").write_text("Name,Phone\nAnn,0123\n", encoding="utf-8")
    result = run_mailer("send", "online-safety-webcams", "--list", "broken.csv", "--dry-run",
                        cwd=workspace)
    assert result.returncode == 2
    assert f"email.html, line {line}:" in result.stderr
    assert "broken.csv" not in result.stderr
    # and the list's own mistake, once the template is right again
    (workspace / "templates" / "email.html").write_text(
        (Path(__file__).resolve().parent.parent / "templates" / "email.html").read_text(
            encoding="utf-8"), encoding="utf-8")
    result = run_mailer("send", "online-safety-webcams", "--list", "broken.csv", "--dry-run",
                        cwd=workspace)
    assert result.returncode == 2
    assert "broken.csv" in result.stderr and "email.html" not in result.stderr
