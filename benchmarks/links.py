"""Link check benchmark: how long ``mailer check --links`` takes for a snippet's links when
each site takes a while to answer, checked a few at a time versus one at a time, and a
second check answered from the day's cache.

Usage (from the repository root, with the project's venv)::

    python benchmarks/links.py [URLS] [--runs N]

A web server on 127.0.0.1 (tests/link_server.py) answers ``/wait/N`` after 0.2 s, like a
slow school or charity site. URLS (default 24) links are split between two host names for
that server (``127.0.0.1`` and ``localhost``), as a snippet's links are spread over sites.
Reported: the median of N runs (default 5) of :func:`mailer.linkcheck.check_urls` as
shipped (4 at a time, at most 2 per site), of the same with one at a time, their ratio,
and the time to answer the same URLs from ``.mailer/links.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine  # noqa: E402
from mailer import linkcheck  # noqa: E402
from tests.link_server import LinkServer  # noqa: E402


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="?", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    with LinkServer() as server:
        port = server.server_address[1]
        urls = [f"http://{('127.0.0.1', 'localhost')[i % 2]}:{port}/wait/{i}"
                for i in range(args.urls)]
        parallel = [timed(lambda: linkcheck.check_urls(urls)) for _ in range(args.runs)]
        most_at_once = server.in_flight_max
        at_once, per_host = linkcheck.AT_ONCE, linkcheck.PER_HOST
        linkcheck.AT_ONCE = linkcheck.PER_HOST = 1
        try:
            serial = [timed(lambda: linkcheck.check_urls(urls)) for _ in range(args.runs)]
        finally:
            linkcheck.AT_ONCE, linkcheck.PER_HOST = at_once, per_host
        with tempfile.TemporaryDirectory() as tmp:
            cache = linkcheck.LinkCache(Path(tmp))
            cache.put(linkcheck.check_urls(urls).values())
            def from_cache() -> None:
                day = linkcheck.LinkCache(Path(tmp))
                assert all(day.get(u) is not None for u in urls)

            cached = [timed(from_cache) for _ in range(args.runs)]
    p, s, c = (statistics.median(x) for x in (parallel, serial, cached))
    print(f"{args.urls} links, each site answering after 0.2 s, median of {args.runs} runs:")
    print(f"  a few at a time (at most {at_once}, {per_host} per site): {p:6.2f} s "
          f"(most requests in flight seen: {most_at_once})")
    print(f"  one at a time:                          {s:6.2f} s")
    print(f"  ratio one-at-a-time / a-few-at-a-time:  {s / p:6.2f}x")
    print(f"  from the day's cache (.mailer/links.json): {c * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
