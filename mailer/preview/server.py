"""The preview's web server: the standard library's ``http.server`` on 127.0.0.1 only.

It serves a fixed set of paths and nothing else (:data:`ROUTES`): the page and its three
assets shipped in ``mailer/preview/static``, the state the page long-polls, and the views
it shows (the email, the newsletter block, the text part, the message source). Any other
path, ``..`` and percent-encoded tricks included, is a 404: paths are compared exactly and
never joined to a folder. Requests whose ``Host`` header is not this server's address
are refused (403), so a web page on the internet cannot read the preview through DNS
rebinding. Every response carries ``Cache-Control: no-store`` and a Content Security
Policy; the email views are sandboxed (``CSP sandbox``, and the page's ``<iframe
sandbox>``), so nothing in an email can run script or reach the page.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from mailer.errors import MailerError
from mailer.languages import english_name
from mailer.preview.session import (
    PreviewSession,
    Snapshot,
    force_colour_scheme,
    has_dark_styles,
    local_time,
    personal_fields,
    recipient_label,
    sample_message,
)

#: The only address the preview listens on: this computer. The page shows parents' names
#: and addresses from ``--list``, so it is never offered to the network.
LOOPBACK = "127.0.0.1"

#: Port tried when none is given; when it is busy a free one is taken instead.
DEFAULT_PORT = 8321

#: Longest time (seconds) the page's state request waits for a change before answering.
LONG_POLL_S = 20.0

_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/preview.css": ("preview.css", "text/css; charset=utf-8"),
    "/static/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
}

#: Every path the server answers; anything else is 404.
ROUTES = frozenset(_STATIC) | {
    "/api/state", "/view/email", "/view/block", "/view/text", "/view/source",
    "/copy/block.html", "/copy/text",
}

_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# Email views: images from https like a mail app, inline styles, no script, no forms, and
# sandboxed even when opened on their own. Popups let links open in a new tab.
_VIEW_CSP = (
    "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; font-src https: "
    "data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
_DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

_BLOCK_PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<base target="_blank"><title>Newsletter block</title>'
    "<style>body {{ margin: 0; padding: 16px; background: {bg}; }}</style></head>"
    "<body>\n{block}</body></html>\n"
)


class PreviewError(MailerError):
    """The preview server cannot start (a non-loopback address, a busy port)."""


def loopback_host(host: str) -> str:
    """Return the address to bind for ``host``: only ``127.0.0.1`` (or ``localhost``, which
    means it) is accepted.

    Raises:
        PreviewError: for any other address (``0.0.0.0``, ``::``, a LAN address, a name).
    """
    if host.strip().lower() in (LOOPBACK, "localhost"):
        return LOOPBACK
    raise PreviewError(
        f"the preview only listens on 127.0.0.1 (this computer), not on '{host}'. It shows "
        "parents' names and addresses, so it is never shared on the network."
    )


def has_display() -> bool:
    """``True`` when a web browser can be shown: always on Windows and macOS, and on other
    systems when ``DISPLAY`` or ``WAYLAND_DISPLAY`` is set."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _asset(name: str) -> bytes:
    return (resources.files("mailer.preview") / "static" / name).read_bytes()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 32
    preview: PreviewServer


class PreviewServer:
    """The preview of one :class:`PreviewSession`, bound to 127.0.0.1.

    Binding happens in the constructor, so a refused address or a busy port is reported
    before anything else starts. Use :meth:`serve_forever` (blocks until Ctrl-C) from the
    command line, or :meth:`start` / :meth:`stop` (a background thread) from tests.

    Args:
        session: what to show.
        host: must be ``127.0.0.1`` or ``localhost`` (see :func:`loopback_host`).
        port: TCP port; 0 takes a free one; ``None`` tries :data:`DEFAULT_PORT`, then a
            free one.

    Raises:
        PreviewError: for a non-loopback ``host``, a port in use or not permitted.
    """

    #: The request handler class (the editor's server adds routes to it).
    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self, session: PreviewSession, host: str = LOOPBACK,
                 port: int | None = None) -> None:
        self.session = session
        self.host = loopback_host(host)
        self._assets = {path: (_asset(name), ctype) for path, (name, ctype) in _STATIC.items()}
        self.httpd = self._bind(port)
        self.httpd.preview = self
        self.port: int = self.httpd.server_address[1]
        self._allowed_hosts = {f"{self.host}:{self.port}", f"localhost:{self.port}"}
        self._thread: threading.Thread | None = None
        self._serving = False

    def _bind(self, port: int | None) -> _HTTPServer:
        if port is not None and not 0 <= port <= 65535:
            raise PreviewError(
                f"--port must be a number from 1 to 65535 (or 0 for any free port), not {port}."
            )
        tries = [DEFAULT_PORT, 0] if port is None else [port]
        for i, candidate in enumerate(tries):
            try:
                return _HTTPServer((self.host, candidate), self.handler_class)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE and i + 1 < len(tries):
                    continue
                if exc.errno == errno.EADDRINUSE:
                    raise PreviewError(
                        f"port {candidate} is already in use (is another preview running?). "
                        "Use --port 0 to take a free port."
                    ) from None
                if exc.errno == errno.EACCES:
                    raise PreviewError(
                        f"port {candidate} needs administrator rights. Use a port above 1024, "
                        "or --port 0 to take a free port."
                    ) from None
                raise PreviewError(f"cannot listen on port {candidate} ({exc.strerror}).") \
                    from None
        raise AssertionError("unreachable")

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://{self.host}:{self.port}/"

    def host_allowed(self, header: str | None) -> bool:
        """``True`` for a ``Host`` header naming this server (DNS-rebinding guard)."""
        return header is not None and header.strip().lower() in self._allowed_hosts

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Render, start watching files and serve from a background thread."""
        self.session.start()
        self._serving = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={
            "poll_interval": 0.1}, name="mailer-preview-http", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Render, start watching files and serve until KeyboardInterrupt (Ctrl-C), then
        stop cleanly: the watcher ends, waiting requests are answered, the port is freed."""
        self.session.start()
        try:
            self.httpd.serve_forever(poll_interval=0.1)
        finally:
            self.session.stop()
            self.httpd.server_close()

    def stop(self) -> None:
        """Stop what :meth:`start` started and free the port."""
        self.session.stop()
        if self._serving:
            self.httpd.shutdown()
            self._serving = False
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the routes return ----------------------------------------------------------

    def state(self, snap: Snapshot) -> dict[str, Any]:
        """The JSON the page polls: version, problem or render summary, recipients, checks."""
        rendered = snap.rendered
        out: dict[str, Any] = {
            "version": snap.version,
            "snippet": self.session.snippet,
            "workspace": str(self.session.workspace.root),
            "status": "problem" if snap.problem else "ok",
            "problem": snap.problem.as_dict() if snap.problem else None,
            "render_key": snap.render_key,
            "updated": local_time(snap.ready_at) if snap.ready_at else "",
            "render_ms": round(snap.render_s * 1000, 1),
            "list": None,
            "recipients": [{"index": i, "label": recipient_label(r)}
                           for i, r in enumerate(snap.recipients)],
            "checks": snap.checks.as_dict(),
        }
        if self.session.list_name is not None:
            out["list"] = {"name": self.session.list_name, "total": snap.recipients_total,
                           "shown": len(snap.recipients)}
        if rendered is not None:
            out["languages"] = [
                {"tag": "en", "name": "English", "dir": rendered.direction,
                 "native_speaker_reviewed": True},
                *({"tag": tag, "name": english_name(tag), "dir": t.direction,
                   "native_speaker_reviewed": bool(
                       t.translation and t.translation.native_speaker_reviewed),
                   "title": t.title, "subject": t.subject, "preheader": t.preheader}
                  for tag, t in snap.translations.items()),
            ]
            out.update({
                "title": rendered.snippet.title,
                "subject": rendered.subject,
                "preheader": rendered.snippet.preheader,
                "has_dark_styles": has_dark_styles(rendered.html),
                "sizes": {"html": len(rendered.html.encode("utf-8")),
                          "block": len(rendered.block.encode("utf-8")),
                          "text": len(rendered.text.encode("utf-8"))},
            })
        return out

    def view(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str, str]:
        """Body, content type and CSP for a ``/view/...`` or ``/copy/...`` path.

        Raises:
            LookupError: for a bad recipient index or colour scheme (answered with 404).
            RuntimeError: when there is no render to show (answered with 503).
        """
        snap = self.session.snapshot
        rendered = snap.rendered
        if rendered is None or snap.config is None:
            raise RuntimeError("no render")
        index = _int(query.get("r", ["-1"])[0])
        recipient = snap.recipient(index)
        rendered = snap.in_language(query.get("lang", [""])[0], recipient) or rendered
        scheme = query.get("scheme", ["light"])[0]
        if scheme not in ("light", "dark"):
            raise LookupError(scheme)
        html_type, text_type = "text/html; charset=utf-8", "text/plain; charset=utf-8"
        if path == "/view/email":
            html, _ = rendered.personalise(personal_fields(rendered, recipient))
            html = force_colour_scheme(html, scheme)
            html = html.replace("<head>", '<head><base target="_blank">', 1)
            return html.encode("utf-8"), html_type, _VIEW_CSP
        if path == "/view/block":
            page = _BLOCK_PAGE.format(bg="#121212" if scheme == "dark" else "#ffffff",
                                      block=rendered.block)
            return page.encode("utf-8"), html_type, _VIEW_CSP
        if path == "/view/text":
            _, text = rendered.personalise(personal_fields(rendered, recipient))
            return text.encode("utf-8"), text_type, _DATA_CSP
        if path == "/view/source":
            data = sample_message(rendered, snap.config, recipient)
            return data.replace(b"\r\n", b"\n"), text_type, _DATA_CSP
        if path == "/copy/block.html":
            return rendered.block.encode("utf-8"), text_type, _DATA_CSP
        if path == "/copy/text":
            return block_text(rendered.text).encode("utf-8"), text_type, _DATA_CSP
        raise LookupError(path)


_PERSONAL_LINE = re.compile(r"^.*__MAILER_[A-Z_]+?__.*\n?", re.M)
#: The signature separator that starts the email's footer (sender, address, unsubscribe).
_FOOTER = re.compile(r"^-- ?$", re.M)


def block_text(email_text: str) -> str:
    """The plain text of the newsletter block, from the email's text part as rendered
    once for everyone (personal fields still placeholders): the same words, without the
    greeting (or any other line naming the reader) and without the footer that follows
    the ``--`` signature line (sender's address, why you get this, unsubscribe)."""
    footer = list(_FOOTER.finditer(email_text))
    text = email_text[: footer[-1].start()] if footer else email_text
    text = _PERSONAL_LINE.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise LookupError(value) from None


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "mailer-preview"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Quiet: staff watch the terminal for the URL and errors, not for every request."""

    def _send(self, status: int, body: bytes, ctype: str, csp: str = _DATA_CSP,
              head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _text(self, status: int, message: str, head: bool = False) -> None:
        self._send(status, message.encode("utf-8"), "text/plain; charset=utf-8", head=head)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(head=True)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        preview = self.server.preview
        try:
            if not preview.host_allowed(self.headers.get("Host")):
                self._text(HTTPStatus.FORBIDDEN, "Forbidden: unexpected Host header.\n", head)
                return
            path, _, raw_query = self.path.partition("?")
            if path not in ROUTES:
                self._text(HTTPStatus.NOT_FOUND, "Not found.\n", head)
                return
            query = parse_qs(raw_query)
            if path in _STATIC:
                body, ctype = preview._assets[path]
                self._send(HTTPStatus.OK, body, ctype, _PAGE_CSP, head)
            elif path == "/api/state":
                since = _int(query.get("since", ["-1"])[0])
                snap = preview.session.wait_for_version(since, LONG_POLL_S)
                body = json.dumps(preview.state(snap)).encode("utf-8")
                self._send(HTTPStatus.OK, body, "application/json", _DATA_CSP, head)
            else:
                try:
                    body, ctype, csp = preview.view(path, query)
                except RuntimeError:
                    self._text(HTTPStatus.SERVICE_UNAVAILABLE,
                               "There is a mistake to fix before this can be shown.\n", head)
                    return
                except MailerError as exc:  # a translation that cannot be rendered
                    self._text(HTTPStatus.SERVICE_UNAVAILABLE, f"{exc}\n", head)
                    return
                self._send(HTTPStatus.OK, body, ctype, csp, head)
        except LookupError:
            self._text(HTTPStatus.NOT_FOUND, "Not found.\n", head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed while waiting


PreviewServer.handler_class = _Handler


def open_browser(url: str) -> bool:
    """Open ``url`` in the default web browser from a background thread (some browsers'
    launchers block). Returns ``False`` without trying when there is no display."""
    if not has_display():
        return False
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    return True
