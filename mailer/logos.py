"""The letterhead logo of a Word letter: fetched from an ``http(s)://`` address with httpx,
or read from a file inside the workspace; nothing else is ever opened.

A logo must be a PNG or a JPEG (the formats every version of Word and LibreOffice shows),
both by the server's ``Content-Type`` and by the file's own first bytes (PNG signature,
ISO/IEC 15948 §5.2; JPEG SOI marker ``FF D8 FF``), at most :data:`MAX_BYTES`, and must
arrive within :data:`TIMEOUT_S` seconds. Anything else raises :class:`LogoError`, which
the caller reports as a warning and writes the letter without the logo.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from mailer.errors import LogoError

#: The largest logo read, in bytes (a letterhead logo is a few tens of kilobytes).
MAX_BYTES = 2 * 1024 * 1024
#: Seconds to wait for the logo's server (connect, and between bytes).
TIMEOUT_S = 10.0
#: Redirects followed (a school site moving its logo to a CDN).
MAX_REDIRECTS = 3
#: Accepted content types and the bytes their files start with.
SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
#: Names reserved for examples and tests (RFC 2606 §2-3, RFC 6761 §6.2-6.5): never looked
#: up, so a sample schools file never sends a request out.
RESERVED_SUFFIXES = (".example", ".invalid", ".test", ".example.com", ".example.net",
                     ".example.org")
RESERVED_SUFFIXES_BARE = ("example", "invalid", "test", "example.com", "example.net",
                          "example.org")
USER_AGENT = "mailer (school safeguarding advisory letter; logo)"


@dataclass(frozen=True)
class Logo:
    """A logo ready for the letter.

    Attributes:
        data: the file's bytes (PNG or JPEG).
        content_type: ``image/png`` or ``image/jpeg``.
        source: the address or path it came from, as given.
    """

    data: bytes
    content_type: str
    source: str


def is_local(source: str) -> bool:
    """True when ``source`` names a file (``logos/oak.png``), not a web address."""
    scheme = urlsplit(source.strip()).scheme
    return scheme == "" or (len(scheme) == 1 and source[1:2] == ":")  # C:\\logos\\oak.png


def fetch_logo(source: str, root: Path, *, timeout: float = TIMEOUT_S,
               max_bytes: int = MAX_BYTES, verify: ssl.SSLContext | bool = True) -> Logo:
    """The logo at ``source``: an ``http://`` or ``https://`` address (TLS verified,
    ``verify`` as httpx takes it; ``SSL_CERT_FILE`` is honoured), or a file path, taken
    relative to ``root`` (the workspace), that must lie inside ``root``.

    Raises:
        LogoError: for any other scheme, a file outside the workspace, a missing file, a
            server error or timeout, a logo over ``max_bytes``, or one that is not PNG or
            JPEG (the message says which, and names the address or file).
    """
    text = source.strip()
    if is_local(text):
        return _read_file(text, root, max_bytes)
    scheme = urlsplit(text).scheme.lower()
    if scheme not in ("http", "https"):
        raise LogoError(f"the logo '{text}' is neither an http(s):// address nor a file in "
                        "the workspace, so it was not read.")
    try:
        host = (urlsplit(text).hostname or "").lower().rstrip(".")
        if host:
            host.encode("idna")
    except (ValueError, UnicodeError):
        host = ""
    if not host:
        raise LogoError(f"the logo '{text}' is not a web address with a site name in it, "
                        "so it was not fetched.")
    if host.endswith(RESERVED_SUFFIXES) or host in RESERVED_SUFFIXES_BARE:
        raise LogoError(f"the logo {text} is on an example address reserved for "
                        "documentation (RFC 2606), not a real web site, so it was not "
                        "fetched.")
    return _download(text, timeout, max_bytes, verify)


def _read_file(text: str, root: Path, max_bytes: int) -> Logo:
    base = root.resolve()
    path = (base / text).resolve()
    if not path.is_relative_to(base):
        raise LogoError(f"the logo file '{text}' is outside the workspace ({base}), so it "
                        "was not read; copy it into the workspace.")
    ctype = _SUFFIXES.get(path.suffix.lower())
    if ctype is None:
        raise LogoError(f"the logo file '{text}' is not a .png or .jpg file.")
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise LogoError(f"the logo file '{text}' cannot be read ({exc.strerror}).") from None
    if len(data) > max_bytes:
        raise LogoError(f"the logo file '{text}' is over {max_bytes // 1024} KB; use a "
                        "smaller picture.")
    return _checked(data, ctype, text)


def _download(url: str, timeout: float, max_bytes: int,
              verify: ssl.SSLContext | bool) -> Logo:
    try:
        client = httpx.Client(timeout=httpx.Timeout(timeout), verify=verify,
                              follow_redirects=True, max_redirects=MAX_REDIRECTS,
                              headers={"User-Agent": USER_AGENT,
                                       "Accept": "image/png, image/jpeg"})
        with client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise LogoError(f"the logo {url} could not be fetched: the server "
                                f"answered {response.status_code} "
                                f"{response.reason_phrase}.")
            ctype = response.headers.get("content-type", "").split(";")[0]
            ctype = ctype.strip().lower()
            if ctype not in SIGNATURES:
                raise LogoError(f"the logo {url} is '{ctype or 'of no stated type'}', "
                                "not a PNG or JPEG picture.")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise LogoError(f"the logo {url} is over {max_bytes // 1024} KB.")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise LogoError(f"the logo {url} is over {max_bytes // 1024} KB.")
    except httpx.TimeoutException:
        raise LogoError(f"the logo {url} did not arrive within {timeout:g} seconds.") from None
    except httpx.TooManyRedirects:
        raise LogoError(f"the logo {url} redirects too many times.") from None
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise LogoError(f"the logo {url} is not a web address that can be fetched "
                        f"({exc}).") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise LogoError(f"the logo {url} could not be fetched ({reason}).") from None
    return _checked(bytes(data), ctype, url)


def _checked(data: bytes, ctype: str, source: str) -> Logo:
    if not data.startswith(SIGNATURES[ctype]):
        kind = "PNG" if ctype == "image/png" else "JPEG"
        raise LogoError(f"the logo {source} is said to be a {kind} picture but is not one.")
    return Logo(data=data, content_type=ctype, source=source)
