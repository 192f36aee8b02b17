"""Helpers for the preview tests: a server on a free port, raw HTTP requests, file edits."""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mailer.preview import PreviewServer, PreviewSession
from mailer.workspace import Workspace

SNIPPET = "online-safety-webcams"
TITLE = "Video chat, webcams and keeping your child safe online"


@contextmanager
def running_preview(ws: Path, list_name: str | None = None) -> Iterator[PreviewServer]:
    """A preview of the demo snippet in workspace ``ws`` on 127.0.0.1 and a free port,
    served from a background thread; stopped (port freed) when the block ends."""
    server = PreviewServer(PreviewSession(Workspace(ws), SNIPPET, list_name), port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def raw_get(port: int, path: str, host: str | None = None,
            method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    """Send ``path`` exactly as given (no normalisation of ``..`` or ``%2e``) and return
    status, body and headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def snippet_path(ws: Path) -> Path:
    """The demo snippet's file in workspace ``ws``."""
    return ws / "snippets" / f"{SNIPPET}.yaml"


def rewrite(path: Path, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) by ``new`` in ``path``; return the new text.

    The modification time is pushed forward past the previous one, so a change is visible
    even on file systems with coarse timestamps."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    return write(path, text.replace(old, new, 1))


def write(path: Path, text: str) -> str:
    """Write ``text`` to ``path`` as an editor's save would; return it."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns <= before:
        bump = time.time_ns()
        os.utime(path, ns=(bump, max(bump, before + 1_000_000)))
    return text
