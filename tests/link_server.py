"""A web server on 127.0.0.1 (HTTP, or HTTPS with a trustme certificate) answering each
case the link check must tell apart, the way real sites answer.

Paths:
    /ok               200
    /gone             410 Gone
    /missing          404 Not Found
    /moved            301 -> /ok-new      (permanent)
    /moved308         308 -> /ok          (permanent)
    /chain            301 -> /chain2 -> 301 -> /ok (two permanent hops)
    /temp             302 -> /ok          (temporary: fine)
    /deep/advice      301 -> /            (a deep link sent to the home page: soft 404)
    /deep/other       302 -> /en/index.html (the home page in English: soft 404 too)
    /                 200 (the home page)
    /nohead           405 to HEAD, 200 to GET (servers that do not implement HEAD)
    /headwrong        404 to HEAD, 200 to GET
    /bots             403 to HEAD and to GET (a site that refuses robots)
    /busy             503
    /loop             302 -> /loop
    /slow             answers after ``slow_s`` seconds
    /wait/ANY         200 after 0.2 s (to count requests in flight)
    any path in ``files``: that body with that Content-Type (logos, for the letter)
Every request is recorded (method, path, User-Agent); ``in_flight_max`` is the most
requests handled at the same time.
"""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

REDIRECTS = {
    "/moved": (301, "/ok-new"),
    "/moved308": (308, "/ok"),
    "/chain": (301, "/chain2"),
    "/chain2": (301, "/ok"),
    "/temp": (302, "/ok"),
    "/deep/advice": (301, "/"),
    "/deep/other": (302, "/en/index.html"),
    "/loop": (302, "/loop"),
}
STATUS = {"/ok": 200, "/ok-new": 200, "/": 200, "/en/index.html": 200, "/gone": 410,
          "/missing": 404, "/bots": 403, "/busy": 503}


class _Handler(BaseHTTPRequestHandler):
    server: LinkServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _answer(self, method: str) -> None:
        srv = self.server
        with srv.lock:
            srv.requests.append((method, self.path, self.headers.get("User-Agent", "")))
            srv.in_flight += 1
            srv.in_flight_max = max(srv.in_flight_max, srv.in_flight)
        try:
            path = self.path.split("?")[0]
            if path in srv.files:
                ctype, body, sized = srv.files[path]
                self.send_response(200)
                if ctype:
                    self.send_header("Content-Type", ctype)
                if sized:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                if method == "GET":
                    self.wfile.write(body)
                return
            if path == "/slow":
                time.sleep(srv.slow_s)
                status = 200
            elif path.startswith("/wait/"):
                time.sleep(0.2)
                status = 200
            elif path in REDIRECTS:
                status, location = REDIRECTS[path]
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            elif path == "/nohead":
                status = 405 if method == "HEAD" else 200
            elif path == "/headwrong":
                status = 404 if method == "HEAD" else 200
            else:
                status = STATUS.get(path, 404)
            body = f"<html><body>{status} {path}</body></html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if status == 405:
                self.send_header("Allow", "GET")
            self.end_headers()
            if method == "GET":
                self.wfile.write(body)
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("HEAD")

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")


class LinkServer(ThreadingHTTPServer):
    """The server; ``base`` is ``http://127.0.0.1:PORT`` (or ``https://localhost:PORT``)."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None, slow_s: float = 2.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tls = tls
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []
        #: path -> (Content-Type or "", body, send Content-Length): files to serve as is.
        self.files: dict[str, tuple[str, bytes, bool]] = {}
        self.in_flight = 0
        self.in_flight_max = 0
        host = "localhost" if tls else "127.0.0.1"
        self.base = f"{'https' if tls else 'http'}://{host}:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def get_request(self):  # type: ignore[no-untyped-def]
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(5)
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate: nothing to answer
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # a client that hangs up early is not a test failure

    def __enter__(self) -> LinkServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def url(self, path: str) -> str:
        """The full URL of ``path``."""
        return self.base + path


class LocalCA:
    """A trustme certificate authority: ``server_context()`` for the server,
    ``client_context()`` for a client that trusts it, ``pem`` a CA file (for
    ``SSL_CERT_FILE``)."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("localhost", "127.0.0.1")
        self.pem = folder / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.pem))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx
