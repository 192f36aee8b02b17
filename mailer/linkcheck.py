"""Check every web address in a snippet (and its translations): ``mailer check --links``.

Each URL gets a HEAD request (then a GET when the site refuses HEAD or answers with an
error), following redirects one hop at a time so that a permanent move can be told from a
temporary one. A few URLs are checked at a time (:data:`AT_ONCE`, at most
:data:`PER_HOST` to one site), each with a timeout, under a User-Agent that says who is
asking and why. Verdicts:

* ``ok``: the page answers (2xx), directly or after a temporary redirect (302/303/307).
* ``broken``: 404 or 410, an address that does not exist (DNS), a refused connection, or a
  TLS certificate that does not verify. An error: ``check`` exits 1.
* ``moved``: the first redirect is permanent (301/308, RFC 9110 §15.4.2 and §15.4.9); the
  new address is where it leads. ``--fix`` writes it into the snippet.
* ``home``: a deep link redirected to the site's home page ("soft 404"): the page has
  probably gone, but the site does not say so.
* ``unchecked``: the site refused an automatic check (401, 403, 405, 429 on both HEAD and
  GET), answered with a server error (5xx), timed out or looped. Not reported as broken:
  open it in a browser.

Results are cached for a day in ``.mailer/links.json`` (:class:`LinkCache`), so the
preview can show them without waiting, and a second check the same day does not ask the
sites again (``--recheck`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from mailer import __version__
from mailer.advice import base_id, snippet_family
from mailer.checks.model import Finding, error, warning
from mailer.errors import MailerError
from mailer.snippets import Snippet, find_snippet, load_snippet
from mailer.workspace import Workspace
from mailer.yamledit import edit_yaml, map_strings

#: URLs checked at the same time, and at most this many to one host (be polite).
AT_ONCE = 4
PER_HOST = 2
#: Seconds to wait for a site (connect, then each read).
TIMEOUT_S = 10.0
#: Redirects followed before giving up.
MAX_HOPS = 10
#: How long a result is reused (seconds): a day.
CACHE_SECONDS = 24 * 3600
CACHE_NAME = "links.json"

USER_AGENT = (f"mailer/{__version__} link check (checks the links in a school's advice to "
              "parents; one request per link, a few at a time)")

PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
#: Answers that mean "I will not tell a robot", not "the page is gone".
REFUSED = (401, 403, 405, 406, 429, 451, 999)

VERDICTS = ("ok", "broken", "moved", "home", "unchecked")


@dataclass(frozen=True)
class LinkUse:
    """Where a URL is written: the file and the 1-based line (0 when not found)."""

    url: str
    path: Path
    line: int


@dataclass
class LinkResult:
    """What checking one URL found.

    Attributes:
        url: the URL as written in the snippet.
        verdict: one of :data:`VERDICTS`.
        status: the final HTTP status code, or ``None`` when no answer came.
        final_url: where the redirects led (``url`` when there were none).
        new_url: for ``moved``: the address to write instead.
        detail: what happened, in plain words.
        checked_at: when (seconds since the epoch).
    """

    url: str
    verdict: str
    status: int | None = None
    final_url: str = ""
    new_url: str = ""
    detail: str = ""
    checked_at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


# --- which URLs ---------------------------------------------------------------------------

#: A Markdown link's address; brackets inside it must balance, as Markdown requires
#: (``https://en.wikipedia.org/wiki/Sextortion_(crime)``).
_MD_LINK = re.compile(r"\]\(\s*<?(https?://(?:[^()\s>]|\([^()\s>]*\))+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")


def snippet_urls(snippet: Snippet) -> list[str]:
    """Every http(s) URL of a loaded snippet, once each, in the order the email shows
    them: the links written in the body, the button, the links (nested too), then the
    sources."""
    urls = [m.group(1) for m in _MD_LINK.finditer(snippet.body)]
    urls += [m.group(1) for m in _AUTOLINK.finditer(snippet.body)]
    if snippet.call_to_action is not None:
        urls.append(snippet.call_to_action.url)
    urls += [link.url for link in snippet.all_links()]
    urls += [s.url for s in snippet.sources]
    return list(dict.fromkeys(u for u in urls if u.lower().startswith(("http://", "https://"))))


def family_links(path: Path) -> list[LinkUse]:
    """Every http(s) URL of the snippet at ``path`` and its translations, with the file
    and line where it is written.

    Raises:
        SnippetError: when one of the files is not a valid snippet.
    """
    uses: list[LinkUse] = []
    for file in snippet_family(path):
        snippet = load_snippet(file)
        lines = snippet.source_text.splitlines()
        for url in snippet_urls(snippet):
            uses.append(LinkUse(url, file, _line_of(url, lines)))
    return uses


def _line_of(url: str, lines: list[str]) -> int:
    """The 1-based line where ``url`` is written whole (not as the start of a longer
    address), outside a ``#`` comment line if it can be; 0 when not found."""
    whole = re.compile(re.escape(url) + r"(?![\w/.~%?=&#+:@!$*,;-])")
    found = [i for i, text in enumerate(lines, 1) if whole.search(text)]
    written = [i for i in found if not lines[i - 1].lstrip().startswith("#")]
    return (written or found or [0])[0]


# --- checking one URL ---------------------------------------------------------------------

def _cause_chain(exc: BaseException) -> Iterable[BaseException]:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


_DNS_WORDS = ("name or service not known", "nodename nor servname", "getaddrinfo",
              "name resolution", "no address associated", "eai_noname")


def _classify_error(exc: Exception, timeout: float) -> tuple[str, str]:
    """(verdict, detail) for a request that got no HTTP answer."""
    if isinstance(exc, httpx.TimeoutException):
        return "unchecked", f"the site did not answer within {timeout:g} seconds"
    chain = list(_cause_chain(exc))
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(w in text for w in _DNS_WORDS):
        return "broken", "the web address does not exist (its name is not found: DNS)"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in text or "[ssl" in text:
        reason = next((str(getattr(e, "verify_message", "") or e) for e in chain
                       if isinstance(e, ssl.SSLError)), "")
        return "broken", ("the site's security certificate is not valid (TLS"
                          + (f": {reason}" if reason else "") + "), so browsers warn parents "
                          "away from it")
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return "broken", "nothing answers at that address (the connection was refused)"
    if isinstance(exc, httpx.ConnectError):
        return "broken", f"the site cannot be reached ({chain[-1]})"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "unchecked", ("the site did not answer as a web site does (its server sent "
                             "something that is not a web page, or hung up); open it in a "
                             "browser to check")
    return "unchecked", f"the check failed ({type(exc).__name__}: {exc})"


_HOME_PAGE = re.compile(r"/(?:(?:index|default|home)(?:\.\w+)?)?/?", re.IGNORECASE)


def _is_home(url: str) -> bool:
    """True for a site's home page: ``/``, ``/index.html``, ``/default.aspx``, ``/home``
    (and the same with a language folder such as ``/en/``)."""
    parts = urlsplit(url)
    path = re.sub(r"^/[a-z]{2}(?:-[a-z]{2})?(?=/)", "", parts.path, flags=re.IGNORECASE)
    return not parts.query and (path == "" or bool(_HOME_PAGE.fullmatch(path)))


async def _follow(client: httpx.AsyncClient, method: str, url: str
                  ) -> tuple[int, str, list[tuple[int, str]]]:
    """Request ``url`` with ``method`` and follow redirects by hand. Returns (final status,
    final URL, [(redirect status, location)...])."""
    hops: list[tuple[int, str]] = []
    current = url
    for _ in range(MAX_HOPS + 1):
        async with client.stream(method, current) as response:
            status = response.status_code
            location = response.headers.get("location")
        if status in REDIRECTS and location:
            fragment = urlsplit(current).fragment
            current = urljoin(current, location.strip())
            if fragment and not urlsplit(current).fragment:
                # The browser keeps the #part across a redirect without one (RFC 9110
                # §10.2.2), so the new address keeps it too.
                current = f"{current}#{fragment}"
            hops.append((status, current))
            continue
        return status, current, hops
    raise _Loop(current)


class _Loop(Exception):
    pass


def _verdict(url: str, status: int, final: str, hops: list[tuple[int, str]],
             method: str) -> LinkResult:
    if 200 <= status < 300 or status == 304:
        if hops and not _is_home(url) and _is_home(final):
            return LinkResult(url, "home", status, final, detail=(
                f"the page now leads to the site's home page ({final}): it has probably "
                "been removed (a \"soft 404\"). Find where the advice moved, or remove "
                "the link"))
        permanent = []
        for hop_status, location in hops:
            if hop_status not in PERMANENT:
                break
            permanent.append(location)
        if permanent:
            new = final if len(permanent) == len(hops) else permanent[-1]
            code = hops[0][0]
            return LinkResult(url, "moved", status, final, new_url=new, detail=(
                f"the site says the page has moved permanently ({code}) to {new}"))
        if hops:
            return LinkResult(url, "ok", status, final,
                              detail=f"works (a temporary redirect to {final})")
        return LinkResult(url, "ok", status, final, detail="works")
    if status in (404, 410):
        words = "gone (410 Gone)" if status == 410 else "not found (404 Not Found)"
        where = f" at {final}" if hops else ""
        return LinkResult(url, "broken", status, final,
                          detail=f"the page is {words}{where}")
    if status in REFUSED:
        return LinkResult(url, "unchecked", status, final, detail=(
            f"the site refused an automatic check ({status} to {method}); open it in a "
            "browser to check it yourself"))
    if status >= 500:
        return LinkResult(url, "unchecked", status, final, detail=(
            f"the site answered with a server error ({status}); try again later"))
    return LinkResult(url, "unchecked", status, final,
                      detail=f"the site answered {status}; open it in a browser to check")


async def check_url(client: httpx.AsyncClient, url: str, timeout: float = TIMEOUT_S
                    ) -> LinkResult:
    """Check one URL: HEAD, then GET when HEAD is refused or answers with an error (some
    sites answer HEAD with 403/404/405 but serve the page to GET)."""
    result: LinkResult | None = None
    for method in ("HEAD", "GET"):
        try:
            status, final, hops = await _follow(client, method, url)
        except _Loop as loop:
            result = LinkResult(url, "unchecked", None, str(loop), detail=(
                f"the site redirects in a loop (more than {MAX_HOPS} redirects)"))
            break
        except httpx.HTTPError as exc:
            verdict, detail = _classify_error(exc, timeout)
            result = LinkResult(url, verdict, None, url, detail=detail)
            break
        result = _verdict(url, status, final, hops, method)
        if status < 400:
            break
    assert result is not None
    return result


# --- checking many ------------------------------------------------------------------------

Progress = Callable[[LinkResult], None]


async def _check_all(urls: list[str], timeout: float, verify: ssl.SSLContext | bool,
                     on_result: Progress | None) -> dict[str, LinkResult]:
    limits = httpx.Limits(max_connections=AT_ONCE, max_keepalive_connections=AT_ONCE)
    overall = asyncio.Semaphore(AT_ONCE)
    per_host: dict[str, asyncio.Semaphore] = {}
    results: dict[str, LinkResult] = {}
    async with httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
        timeout=httpx.Timeout(timeout), limits=limits, verify=verify,
        follow_redirects=False,
    ) as client:
        async def one(url: str) -> None:
            host = (urlsplit(url).hostname or "").lower()
            gate = per_host.setdefault(host, asyncio.Semaphore(PER_HOST))
            async with overall, gate:
                result = await check_url(client, url, timeout)
            results[url] = result
            if on_result is not None:
                on_result(result)

        await asyncio.gather(*(one(u) for u in urls))
    return {u: results[u] for u in urls}


def check_urls(urls: Iterable[str], *, timeout: float = TIMEOUT_S,
               verify: ssl.SSLContext | bool = True,
               on_result: Progress | None = None) -> dict[str, LinkResult]:
    """Check ``urls`` (each once), :data:`AT_ONCE` at a time. ``verify``: TLS
    verification (True: the system's or ``SSL_CERT_FILE``'s certificate authorities, via
    httpx). ``on_result`` is called after each URL (for a progress bar).

    Returns:
        URL -> :class:`LinkResult`, in the order given.
    """
    unique = list(dict.fromkeys(urls))
    if not unique:
        return {}
    return asyncio.run(_check_all(unique, timeout, verify, on_result))


# --- the cache ----------------------------------------------------------------------------

class LinkCache:
    """Results of earlier checks in ``STATE_DIR/links.json``, reused for a day.

    The file maps URL -> result; a result older than :data:`CACHE_SECONDS` is ignored.
    An unreadable file is treated as empty (it is only a cache).
    """

    def __init__(self, state_dir: Path, now: Callable[[], float] = time.time) -> None:
        self.path = state_dir / CACHE_NAME
        self.now = now
        self._data: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self._data = {str(k): dict(v) for k, v in raw.get("results", {}).items()}

    def get(self, url: str) -> LinkResult | None:
        """The result for ``url`` if checked less than a day ago."""
        entry = self._data.get(url)
        if not entry:
            return None
        try:
            result = LinkResult(**entry)
        except TypeError:
            return None
        if self.now() - result.checked_at > CACHE_SECONDS or result.verdict not in VERDICTS:
            return None
        return result

    def put(self, results: Iterable[LinkResult]) -> None:
        """Remember ``results`` and write the file (atomically; old entries dropped)."""
        for r in results:
            self._data[r.url] = r.as_dict()
        fresh = {u: e for u, e in self._data.items()
                 if self.now() - float(e.get("checked_at", 0)) <= CACHE_SECONDS}
        self._data = fresh
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".links.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"version": 1, "results": fresh}, out, indent=1)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise MailerError(f"cannot save the link check results ({exc.strerror}).",
                              path=self.path) from None


# --- the report ---------------------------------------------------------------------------

@dataclass
class LinkReport:
    """The outcome of checking a snippet's links.

    Attributes:
        uses: every URL with where it is written.
        results: URL -> result.
        cached: how many results came from the cache (checked earlier today).
    """

    uses: list[LinkUse]
    results: dict[str, LinkResult]
    cached: int = 0

    def counts(self) -> dict[str, int]:
        """Verdict -> number of URLs."""
        out = dict.fromkeys(VERDICTS, 0)
        for r in self.results.values():
            out[r.verdict] += 1
        return out

    def where(self, url: str) -> str:
        """``online-safety.yaml, line 62`` (and the other files that have it)."""
        places = [f"{u.path.name}, line {u.line}" if u.line else u.path.name
                  for u in self.uses if u.url == url]
        return "; ".join(places)

    def findings(self) -> list[Finding]:
        """L1 broken (error), L2 moved, L3 home page, L4 could not check (warnings)."""
        out = []
        name = base_id(self.uses[0].path) if self.uses else "SNIPPET"
        for url, r in self.results.items():
            element = f"{url} ({self.where(url)})"
            if r.verdict == "broken":
                out.append(error("L1", element, f"Broken link: {r.detail}. Parents clicking "
                                 "it get an error page: remove it or find the page's new "
                                 "address."))
            elif r.verdict == "moved":
                out.append(warning("L2", element, f"Moved: {r.detail}. Run 'mailer check "
                                   f"{name} --links --fix' to write the new address into the "
                                   "snippet."))
            elif r.verdict == "home":
                out.append(warning("L3", element, f"Probably removed: {r.detail}."))
            elif r.verdict == "unchecked":
                out.append(warning("L4", element, f"Could not check: {r.detail}."))
        return out

    def summary(self) -> str:
        """``Links: 14 checked: 11 work, 1 broken, 1 moved, ...``"""
        c = self.counts()
        parts = [f"{c['ok']} work"]
        for key, words in (("broken", "broken"), ("moved", "moved permanently"),
                           ("home", "lead to a home page"),
                           ("unchecked", "could not be checked")):
            if c[key]:
                parts.append(f"{c[key]} {words}")
        text = f"Links: {len(self.results)} checked: " + ", ".join(parts) + "."
        if self.cached:
            text += (f" ({self.cached} from a check less than a day ago; add --recheck to "
                     "ask the sites again.)")
        return text

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``: counts and each URL's result with where it is written."""
        return {
            "checked": len(self.results), "from_cache": self.cached, "counts": self.counts(),
            "results": [{**r.as_dict(), "where": self.where(u)}
                        for u, r in self.results.items()],
        }


def check_snippet_links(path: Path, state_dir: Path, *, recheck: bool = False,
                        timeout: float = TIMEOUT_S, verify: ssl.SSLContext | bool = True,
                        on_start: Callable[[int], None] | None = None,
                        on_result: Progress | None = None) -> LinkReport:
    """Check every URL of the snippet file at ``path`` and its translations, reusing
    results younger than a day from ``state_dir`` unless ``recheck``; the new results are
    saved there. ``on_start(n)`` is called with the number of URLs to ask the sites
    about, ``on_result`` after each.

    Raises:
        SnippetError: when a file of the snippet is invalid.
        MailerError: when the results cannot be saved.
    """
    uses = family_links(path)
    urls = list(dict.fromkeys(u.url for u in uses))
    cache = LinkCache(state_dir)
    results: dict[str, LinkResult] = {}
    if not recheck:
        for url in urls:
            hit = cache.get(url)
            if hit is not None:
                results[url] = hit
    todo = [u for u in urls if u not in results]
    if on_start is not None:
        on_start(len(todo))
    fresh = check_urls(todo, timeout=timeout, verify=verify, on_result=on_result)
    if fresh:
        cache.put(fresh.values())
    results.update(fresh)
    return LinkReport(uses, {u: results[u] for u in urls}, cached=len(urls) - len(todo))


def cached_findings(snippet: Snippet, state_dir: Path) -> list[Finding]:
    """The findings of the last link check (less than a day old) for ``snippet``'s URLs,
    for the preview: no site is asked."""
    cache = LinkCache(state_dir)
    results = {u: r for u in snippet_urls(snippet) if (r := cache.get(u)) is not None}
    lines = snippet.source_text.splitlines()
    uses = [LinkUse(u, snippet.path, next((i for i, t in enumerate(lines, 1) if u in t), 0))
            for u in results]
    return LinkReport(uses, results).findings()


# --- --fix --------------------------------------------------------------------------------

def _replace_url(text: str, old: str, new: str) -> str:
    if text.strip() == old:
        return text.replace(old, new)
    text = re.sub(r"(\]\(\s*<?)" + re.escape(old) + r"(?=[>\s)])", lambda m: m.group(1) + new,
                  text)
    return re.sub(r"<" + re.escape(old) + r">", lambda _m: f"<{new}>", text)


def fix_moved(report: LinkReport) -> list[tuple[Path, str, str]]:
    """Write the new address of every ``moved`` URL into each file that has it, keeping
    the rest of the file as it was (comments, order, quoting: see
    :func:`mailer.yamledit.edit_yaml`).

    Returns:
        (file, old URL, new URL) for each change made.

    Raises:
        MailerError: when a file cannot be read or written.
    """
    moved = {u: r.new_url for u, r in report.results.items()
             if r.verdict == "moved" and r.new_url and r.new_url != u}
    done: list[tuple[Path, str, str]] = []
    for path in dict.fromkeys(use.path for use in report.uses if use.url in moved):
        changes: list[tuple[str, str]] = []

        def change(data: Any, path: Path = path, changes: list[tuple[str, str]] = changes
                   ) -> bool:
            for old, new in moved.items():
                if map_strings(data, lambda _key, text, o=old, n=new: _replace_url(text, o, n)):
                    changes.append((old, new))
            return bool(changes)

        edit_yaml(path, change)
        done += [(path, old, new) for old, new in changes]
    return done


def check_workspace_links(ws: Workspace, name: str, **kwargs: Any) -> LinkReport:
    """:func:`check_snippet_links` for snippet ``name`` (id or path) of workspace ``ws``,
    caching in the workspace's ``.mailer/`` folder. ``kwargs`` as for
    :func:`check_snippet_links`.

    Raises:
        SnippetError: for a missing or invalid snippet.
    """
    path = find_snippet(name, ws.snippet_dirs)
    return check_snippet_links(path, ws.state_dir, **kwargs)
