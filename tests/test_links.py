"""``mailer check --links``: every case against real HTTP and HTTPS servers on 127.0.0.1
(tests/link_server.py, trustme for TLS). No other network: the one DNS failure case
replaces ``socket.getaddrinfo`` for one made-up name (a real DNS lookup would leave this
machine), everything else goes over real sockets."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailer.linkcheck import (
    CACHE_SECONDS,
    USER_AGENT,
    LinkCache,
    LinkResult,
    cached_findings,
    check_snippet_links,
    check_urls,
    family_links,
)
from mailer.snippets import load_snippet
from tests.conftest import run_mailer
from tests.link_server import LinkServer, LocalCA

#: path -> (verdict, status, new address path or None)
CASES = {
    "/ok": ("ok", 200, None),
    "/gone": ("broken", 410, None),
    "/missing": ("broken", 404, None),
    "/moved": ("moved", 200, "/ok-new"),
    "/moved308": ("moved", 200, "/ok"),
    "/chain": ("moved", 200, "/ok"),
    "/temp": ("ok", 200, None),
    "/deep/advice": ("home", 200, None),
    "/deep/other": ("home", 200, None),
    "/nohead": ("ok", 200, None),
    "/headwrong": ("ok", 200, None),
    "/bots": ("unchecked", 403, None),
    "/busy": ("unchecked", 503, None),
    "/loop": ("unchecked", None, None),
    "/slow": ("unchecked", None, None),
}


@pytest.fixture(scope="module")
def http() -> Iterator[LinkServer]:
    with LinkServer(slow_s=1.5) as server:
        yield server


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def https(ca: LocalCA) -> Iterator[LinkServer]:
    with LinkServer(tls=ca.server_context(), slow_s=1.5) as server:
        yield server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_case_over_http_and_https(scheme: str, http: LinkServer, https: LinkServer,
                                        ca: LocalCA) -> None:
    server = http if scheme == "http" else https
    results = check_urls([server.url(p) for p in CASES], timeout=0.5,
                         verify=ca.client_context())
    for path, (verdict, status, new) in CASES.items():
        r = results[server.url(path)]
        assert (r.verdict, r.status) == (verdict, status), (path, r)
        assert r.new_url == (server.url(new) if new else ""), (path, r)
    assert "410 Gone" in results[server.url("/gone")].detail
    assert "moved permanently (308)" in results[server.url("/moved308")].detail
    assert "home page" in results[server.url("/deep/advice")].detail
    assert "403" in results[server.url("/bots")].detail
    assert "0.5 seconds" in results[server.url("/slow")].detail
    assert "loop" in results[server.url("/loop")].detail


def test_head_refused_is_tried_with_get_and_robots_are_not_broken(http: LinkServer) -> None:
    before = len(http.requests)
    results = check_urls([http.url("/nohead"), http.url("/bots")])
    asked = sorted((m, p) for m, p, _ in http.requests[before:])
    assert asked == [("GET", "/bots"), ("GET", "/nohead"), ("HEAD", "/bots"), ("HEAD", "/nohead")]
    assert results[http.url("/nohead")].verdict == "ok"
    assert results[http.url("/bots")].verdict == "unchecked"


def test_untrusted_certificate_is_broken(https: LinkServer) -> None:
    (r,) = check_urls([https.url("/ok")]).values()  # the test CA is not trusted here
    assert r.verdict == "broken" and r.status is None
    assert "security certificate is not valid" in r.detail


def test_refused_connection_is_broken() -> None:
    url = f"http://127.0.0.1:{free_port()}/advice"
    (r,) = check_urls([url], timeout=2).values()
    assert r.verdict == "broken" and "refused" in r.detail


def test_unknown_name_is_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS failure: ``socket.getaddrinfo`` answers "name not known" for one made-up name,
    as the resolver does (a real lookup would leave this machine)."""
    real = socket.getaddrinfo

    def fake(host: object, *args: object, **kwargs: object) -> object:
        if host == "no-such-site.example-school.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    (r,) = check_urls(["https://no-such-site.example-school.invalid/advice"]).values()
    assert r.verdict == "broken" and "does not exist" in r.detail and "DNS" in r.detail


def test_polite_user_agent_and_a_few_at_a_time(http: LinkServer) -> None:
    port = http.server_address[1]
    urls = [f"http://{host}:{port}/wait/{i}" for host in ("127.0.0.1", "localhost")
            for i in range(8)]
    before = len(http.requests)
    http.in_flight_max = 0
    started = time.monotonic()
    results = check_urls(urls)
    took = time.monotonic() - started
    assert all(r.verdict == "ok" for r in results.values())
    agents = {ua for _, _, ua in http.requests[before:]}
    assert agents == {USER_AGENT} and "link check" in USER_AGENT and "mailer/" in USER_AGENT
    assert 2 < http.in_flight_max <= 4  # parallel, but never more than 4 (2 per site)
    assert took < 16 * 0.2  # faster than one at a time


# --- a snippet with links, through the command line ---------------------------------------

SNIPPET = """\
# A test advisory. This comment must survive --fix.
title: Links test
subject: "Links test"
preheader: Checking links.
date: 2026-01-10
reviewed: {today}
body: |
  Read [the new advice]({base}/moved308) and the [old page]({base}/gone).
call_to_action:
  text: Report a concern
  url: {base}/ok   # the button
links:
  - title: Moved page
    url: {base}/moved
    description: >-
      A page that moved permanently.
  - title: 'Temporary'
    url: "{base}/temp"
  - title: Deep link
    url: {base}/deep/advice
  - title: Robots not welcome
    url: {base}/bots
sources:
  - title: A source
    url: {base}/chain
    date: 2025-04-29
"""


def write_snippet(ws: Path, base: str, name: str = "links-test") -> Path:
    path = ws / "snippets" / f"{name}.yaml"
    path.write_text(SNIPPET.format(base=base, today=time.strftime("%Y-%m-%d")))
    return path


def test_urls_are_found_everywhere_with_their_lines(workspace: Path, http: LinkServer) -> None:
    path = write_snippet(workspace, http.base)
    (workspace / "snippets" / "links-test.pl.yaml").write_text(
        SNIPPET.format(base=http.base, today="2026-01-10").replace(
            "title: Links test", "title: Test linków")
        + f"  - title: Tylko po polsku\n    url: {http.base}/missing\n")  # a 2nd source
    uses = family_links(path)
    by_url = {(u.url, u.path.name): u.line for u in uses}
    assert by_url[(http.url("/moved308"), "links-test.yaml")] == 8
    assert by_url[(http.url("/ok"), "links-test.yaml")] == 11
    assert by_url[(http.url("/temp"), "links-test.yaml")] == 18
    assert by_url[(http.url("/chain"), "links-test.yaml")] == 25
    assert by_url[(http.url("/missing"), "links-test.pl.yaml")] == 28
    assert {u.url for u in uses} == {http.url(p) for p in (
        "/moved308", "/gone", "/ok", "/moved", "/temp", "/deep/advice", "/bots", "/chain",
        "/missing")}


def test_check_links_command(workspace: Path, http: LinkServer) -> None:
    write_snippet(workspace, http.base)
    result = run_mailer("check", "links-test", "--links", "--json", cwd=workspace)
    assert result.returncode == 1, result.stderr  # a broken link is an error
    report = json.loads(result.stdout)
    by_id: dict[str, list[str]] = {}
    for f in report["findings"]:
        if f["id"].startswith("L"):
            by_id.setdefault(f["id"], []).append(f["element"].split(" ")[0])
    assert by_id == {
        "L1": [http.url("/gone")],
        "L2": [http.url("/moved308"), http.url("/moved"), http.url("/chain")],
        "L3": [http.url("/deep/advice")],
        "L4": [http.url("/bots")],
    }
    assert report["links"]["counts"] == {"ok": 2, "broken": 1, "moved": 3, "home": 1,
                                         "unchecked": 1}
    gone = next(f for f in report["findings"] if f["id"] == "L1")
    assert gone["severity"] == "error" and "(links-test.yaml, line 8)" in gone["element"]
    assert "410 Gone" in gone["message"]
    # The results are kept for a day: a second check asks no site, and says so.
    cache = json.loads((workspace / ".mailer" / "links.json").read_text())
    assert set(cache["results"]) == {http.url(p) for p in (
        "/moved308", "/gone", "/ok", "/moved", "/temp", "/deep/advice", "/bots", "/chain")}
    asked = len(http.requests)
    again = run_mailer("check", "links-test", "--links", cwd=workspace)
    assert again.returncode == 1 and len(http.requests) == asked
    assert "8 from a check less than a day ago" in again.stdout
    assert "Links: 8 checked: 2 work, 1 broken, 3 moved permanently" in again.stdout
    assert "ERROR   L1" in again.stdout and "WARNING L4" in again.stdout
    recheck = run_mailer("check", "links-test", "--links", "--recheck", cwd=workspace)
    assert recheck.returncode == 1 and len(http.requests) > asked
    assert "from a check less than a day ago" not in recheck.stdout


def test_https_links_through_the_command_line(workspace: Path, https: LinkServer,
                                              ca: LocalCA) -> None:
    """The command verifies TLS with the CA in SSL_CERT_FILE, like a school whose
    certificates come from its own authority."""
    write_snippet(workspace, https.base)
    result = run_mailer("check", "links-test", "--links", "--json", cwd=workspace,
                        env={"SSL_CERT_FILE": str(ca.pem)})
    counts = json.loads(result.stdout)["links"]["counts"]
    assert counts == {"ok": 2, "broken": 1, "moved": 3, "home": 1, "unchecked": 1}
    untrusted = run_mailer("check", "links-test", "--links", "--recheck", "--json",
                           cwd=workspace)
    counts = json.loads(untrusted.stdout)["links"]["counts"]
    assert counts["broken"] == 8 and untrusted.returncode == 1


def test_fix_writes_new_addresses_and_keeps_the_rest(workspace: Path, http: LinkServer) -> None:
    path = write_snippet(workspace, http.base)
    translation = workspace / "snippets" / "links-test.pl.yaml"
    translation.write_text(f"""\
# Polish translation; keep this comment.
title: Test linków
subject: Test linków
preheader: Sprawdzanie linków.
date: 2026-01-10
language: pl
body: |
  Przeczytaj [nowe porady]({http.base}/moved308).
links:
  - title: Strona przeniesiona
    url: {http.base}/moved  # moved
""")
    before, before_pl = path.read_text(), translation.read_text()
    result = run_mailer("check", "links-test", "--links", "--fix", cwd=workspace)
    assert result.returncode == 1  # the broken link is still there: --fix only moves
    assert f"Fixed links-test.yaml: {http.url('/moved')} -> {http.url('/ok-new')}" in \
        result.stdout
    after, after_pl = path.read_text(), translation.read_text()
    expected = (before.replace(f"{http.base}/moved308)", f"{http.base}/ok)")
                .replace(f"url: {http.base}/moved\n", f"url: {http.base}/ok-new\n")
                .replace(f"url: {http.base}/chain\n", f"url: {http.base}/ok\n"))
    assert after == expected  # comments, quotes, block styles, order: all as they were
    # (ruamel.yaml keeps an end-of-line comment where it was: one space fewer after a
    # longer address)
    assert after_pl == (before_pl.replace(f"{http.base}/moved308)", f"{http.base}/ok)")
                        .replace(f"{http.base}/moved  # moved",
                                 f"{http.base}/ok-new # moved"))
    assert load_snippet(path).call_to_action.url == http.url("/ok")  # type: ignore[union-attr]
    # Fixed links are no longer reported as moved.
    report = json.loads(run_mailer("check", "links-test", "--links", "--json",
                                   cwd=workspace).stdout)
    assert not [f for f in report["findings"] if f["id"] == "L2"]


def test_fix_needs_links(workspace: Path) -> None:
    result = run_mailer("check", "online-safety-webcams", "--fix", cwd=workspace)
    assert result.returncode == 2 and "--fix goes with --links" in result.stderr
    assert "Traceback" not in result.stderr


# --- the cache and the preview -------------------------------------------------------------

def test_cache_keeps_results_a_day(tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = LinkCache(tmp_path, now=lambda: now[0])
    cache.put([LinkResult("https://a.example/", "broken", 404, checked_at=now[0])])
    assert LinkCache(tmp_path, now=lambda: now[0]).get("https://a.example/").verdict == "broken"
    now[0] += CACHE_SECONDS + 1
    assert LinkCache(tmp_path, now=lambda: now[0]).get("https://a.example/") is None
    (tmp_path / "links.json").write_text("{not json")
    assert LinkCache(tmp_path).get("https://a.example/") is None  # only a cache


def test_preview_shows_the_last_results_without_asking(workspace: Path,
                                                       http: LinkServer) -> None:
    from mailer.jobs import render_snippet
    from mailer.preview.session import compute_checks
    from mailer.workspace import Workspace

    path = write_snippet(workspace, http.base)
    check_snippet_links(path, workspace / ".mailer", timeout=0.5)
    asked = len(http.requests)
    ws = Workspace(workspace)
    checks = compute_checks(render_snippet(ws, "links-test"), ws.config)
    assert len(http.requests) == asked
    ids = [row["id"] for row in checks.findings if row["id"].startswith("L")]
    assert sorted(ids) == ["L1", "L2", "L2", "L2", "L3", "L4"]
    snippet = load_snippet(path)
    assert [f.id for f in cached_findings(snippet, workspace / ".mailer")
            if f.severity == "error"] == ["L1"]


# --- found by trying the command as a school office would ---------------------------------

ODD = """\
title: Odd addresses
subject: Odd addresses
preheader: Links written in unusual ways.
date: 2026-11-01
body: |
  # an earlier draft linked https://example.org/advice too
  See [the longer one](https://example.org/advice-for-parents) first,
  and [the article](https://example.org/wiki/Sextortion_(crime)) about it.
links:
  - title: The advice
    url: https://example.org/advice
    description: x
"""


def test_each_address_is_found_whole_and_on_its_own_line(tmp_path: Path) -> None:
    # A URL that begins another (…/advice, …/advice-for-parents) was reported on the
    # longer one's line; one with brackets (Wikipedia) was cut at "(" and the wrong
    # address checked.
    path = tmp_path / "odd.yaml"
    path.write_text(ODD)
    by_url = {u.url: u.line for u in family_links(path)}
    assert by_url == {"https://example.org/advice-for-parents": 7,
                      "https://example.org/wiki/Sextortion_(crime)": 8,
                      "https://example.org/advice": 11}


def test_moved_says_which_snippet_to_fix(tmp_path: Path) -> None:
    from mailer.linkcheck import LinkReport, LinkUse
    path = tmp_path / "odd.pl.yaml"
    url = "https://example.org/advice"
    report = LinkReport([LinkUse(url, path, 11)], {url: LinkResult(
        url, "moved", 200, url + "-new", new_url=url + "-new", detail="moved (301)")})
    [finding] = report.findings()
    assert "mailer check odd --links --fix" in finding.message


@pytest.mark.parametrize("reply", [b"\x00\xffSSH-2.0-OpenSSH\r\n\r\n", b""])
def test_a_server_that_does_not_speak_http_is_said_in_plain_words(reply: bytes) -> None:
    # Something that is not a web server on the port (or one that hangs up at once):
    # the message was "RemoteProtocolError: illegal status line: bytearray(b'...')".
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        for _ in range(2):  # HEAD (and GET, should it be tried)
            try:
                conn, _ = listener.accept()
            except OSError:  # the test has finished and closed the listener
                return
            conn.recv(4096)
            if reply:
                conn.sendall(reply)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/page"
    try:
        result = check_urls([url], timeout=5)[url]
    finally:
        listener.close()
    assert result.verdict == "unchecked"
    assert "not answer as a web site" in result.detail, result.detail
    assert "Error" not in result.detail and "bytearray" not in result.detail


def test_fix_writes_a_new_address_with_backslash_or_dollar_as_it_is(tmp_path: Path) -> None:
    # A Location such as /new\1$& crashed --fix in an <autolink> with a re.error
    # traceback (the new address was read as a regular-expression replacement).
    from mailer.linkcheck import LinkReport, LinkUse, fix_moved
    old, new = "https://example.org/a", "https://example.org/new\\1$&"
    path = tmp_path / "dol.yaml"
    path.write_text(f"body: |\n  See <{old}> and [this]({old}).\nurl: {old}\n")
    report = LinkReport([LinkUse(old, path, 2)], {old: LinkResult(
        old, "moved", 200, new, new_url=new, detail="moved (301)")})
    assert fix_moved(report) == [(path, old, new)]
    assert path.read_text() == f"body: |\n  See <{new}> and [this]({new}).\nurl: {new}\n"


def test_a_moved_link_keeps_its_part_after_hash(http: LinkServer) -> None:
    # #what-to-do points parents at one section; the site's Location has no #part, and
    # browsers keep the link's own (RFC 9110 §10.2.2): --fix dropped it.
    url = http.url("/moved") + "#what-to-do"
    result = check_urls([url], timeout=5)[url]
    assert result.verdict == "moved"
    assert result.new_url == http.url("/ok-new") + "#what-to-do"
