"""Work done ahead, in a child process, while this process does something else.

``mailer send`` renders the advisory and runs the checklist on it (about 0.6 s of CPU, and
premailer's and cssutils' memory) and reads the list (about 1.5 s for 100,000 rows). The
two do not depend on each other, and a machine has two cores or more, so the rendering is
done in a child process (``os.fork``) while this one reads the list, and only its result
comes back (the rendered strings: about 50 KB, pickled through a pipe).

Where that cannot be done safely, the work is done here, at once, as it always was:
without ``os.fork`` (Windows), on macOS (whose system libraries are not safe to use in a
forked child), and in a process that runs other threads (a fork copies only the calling
thread, so a lock another thread held would stay locked in the child). If the child fails
in any other way than a :class:`~mailer.errors.MailerError` (a bug, a kill, a full pipe),
the work is done again here, so any error is seen as if there had been no child.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from mailer.errors import MailerError

T = TypeVar("T")


def can_fork() -> bool:
    """True when work may be done in a forked child: ``os.fork`` exists, the system is not
    macOS, and this process runs no other thread."""
    return (hasattr(os, "fork") and sys.platform != "darwin"
            and threading.active_count() == 1)


class Ahead(Generic[T]):
    """``work()`` done in a child process from now on; :meth:`result` waits for it.

    Args:
        work: a function of no arguments whose result can be pickled. It may raise
            :class:`~mailer.errors.MailerError`, which :meth:`result` raises here.
        fork: try a child process (default: :func:`can_fork`); ``False`` does the work
            here, at once (its :class:`~mailer.errors.MailerError` is raised now).

    Use as a context manager, or call :meth:`close`: a child whose result is not wanted
    (this process stopped first, for a mistake in the list or Ctrl-C) is stopped.
    """

    def __init__(self, work: Callable[[], T], *, fork: bool | None = None) -> None:
        self._work = work
        self._pid = 0
        self._fd = -1
        self._done = False
        self._value: T | None = None
        self._error: MailerError | None = None
        if fork is None:
            fork = can_fork()
        if fork:
            self._start()
        if not self._pid:
            self._run_here()

    def _run_here(self) -> None:
        self._value = self._work()
        self._done = True

    def _start(self) -> None:
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child(self._work, write_fd)
        os.close(write_fd)
        self._pid, self._fd = pid, read_fd

    def result(self) -> T:
        """The work's result (waiting for the child to finish).

        Raises:
            MailerError: the one the work raised, in the child or here.
        """
        if not self._done:
            outcome = self._collect()
            if outcome is None:  # the child broke: do the work here instead
                self._run_here()
            else:
                kind, payload = outcome
                if kind == "value":
                    self._value = payload
                else:
                    self._error = payload
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _collect(self) -> tuple[str, object] | None:
        """What the child sent, or ``None`` when it sent nothing whole (it broke)."""
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 16):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            self._close_pipe()
            self._reap()
        try:
            kind, payload = pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - nothing or half a result: the child broke
            return None
        if kind == "value" or (kind == "error" and isinstance(payload, MailerError)):
            return kind, payload
        return None

    def _close_pipe(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _reap(self, stop: bool = False) -> None:
        if not self._pid:
            return
        if stop:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)
        self._pid = 0

    def close(self) -> None:
        """Stop a child whose result was not collected, and wait for it to end."""
        self._close_pipe()
        self._reap(stop=True)

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _child(work: Callable[[], object], fd: int) -> None:
    """In the forked child: do ``work``, send ``("value", result)`` or ``("error",
    MailerError)`` down ``fd`` pickled, and end at once (``os._exit``: no ``atexit``
    handler, no flush of buffers copied from the parent). Anything else sends nothing:
    the parent then does the work itself."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it, quietly
        try:
            data = pickle.dumps(("value", work()), pickle.HIGHEST_PROTOCOL)
        except MailerError as exc:
            data = pickle.dumps(("error", exc), pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        code = 0
    except BaseException:  # noqa: BLE001 - the parent does the work again and sees it
        pass
    finally:
        os._exit(code)
