"""Build benchmark: personalised messages per second, and memory for a large list.

Usage (from the repository root, with the project's venv)::

    python benchmarks/build.py [SIZE] [--repeat 5] [--naive-sample 200] [--memory 100000]
                               [--profile]

For SIZE recipients (default 10,000) of a synthetic list and the demo advisory, each round
times, one after the other so they share the machine's state:

- **mailer**: render once (Jinja2 + premailer) and compose + serialise every message to
  bytes with :class:`mailer.compose.Composer`;
- **EmailMessage**: render once, then build and serialise an ``EmailMessage`` per message
  (``Composer.compose_reference``: the spine before the fast build);
- **naive**: Jinja2 + premailer + ``EmailMessage`` for every message (a sample of
  ``--naive-sample`` recipients; the rate is the sample's).

It prints the median of the rounds (wall clock and CPU time of this one process) and the
ratios within each round. Then, in a fresh subprocess for each size, it does what
``mailer send`` does before the first message leaves for a list of ``--memory`` recipients
(and one a tenth of that): read the list with the lists package's reader, open the
journal, plan, pre-flight every message (``mailer.sending.prepare_send``); then composes
every message again as the engine does, keeping none. It reports resident memory: after
start-up, after reading the list, and the peaks.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import pstats
import re
import subprocess
import sys
import tempfile
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SNIPPET, machine, make_workspace, median, rss_kib, spread  # noqa: E402
from mailer import render as R  # noqa: E402
from mailer.compose import BODY_POLICY, POLICY, Composer, clean_display_name  # noqa: E402
from mailer.jobs import read_workspace_list, render_snippet  # noqa: E402
from mailer.lists import Recipient  # noqa: E402
from mailer.snippets import find_snippet, load_snippet  # noqa: E402
from mailer.workspace import Workspace  # noqa: E402


class _Values:
    """A recipient's real values where the templates expect ``recipient.*``."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.__dict__.update(fields)


def naive_messages(ws: Workspace, recipients: list[Recipient]) -> int:
    """The straightforward pipeline: Jinja2, premailer and EmailMessage per message.
    Returns the bytes produced."""
    snippet = load_snippet(find_snippet(SNIPPET, ws.snippet_dirs))
    config = ws.config
    env = R._environment(tuple(ws.template_dirs))
    base = R._context(snippet, config)
    sender = config.sender
    total = 0
    for rec in recipients:
        ctx = dict(base, recipient=_Values(rec.fields()))
        html = R._inline(env.get_template("email.html").render(ctx))
        text = re.sub(r"\n{3,}", "\n\n", env.get_template("email.txt").render(ctx).strip() + "\n")
        msg = EmailMessage(policy=BODY_POLICY)
        msg["From"] = sender.address
        local, _, domain = rec.email.rpartition("@")
        msg["To"] = Address(clean_display_name(rec.name), local, domain)
        msg["Subject"] = snippet.subject
        msg["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc).astimezone())
        msg["Message-ID"] = make_msgid(domain=sender.domain)
        if sender.reply_to is not None:
            msg["Reply-To"] = sender.reply_to
        if sender.unsubscribe:
            msg["List-Unsubscribe"] = f"<{sender.unsubscribe}>"
            if sender.unsubscribe.startswith("https://"):
                msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        total += len(msg.as_bytes(policy=POLICY))
    return total


def fast_messages(ws: Workspace, recipients: list[Recipient]) -> int:
    """mailer's pipeline: render once, compose and serialise each message. Returns bytes."""
    composer = Composer(render_snippet(ws, SNIPPET), ws.config.sender)
    total = 0
    for rec in recipients:
        total += len(composer.compose(rec.email, rec.name, rec.fields()).data)
    return total


def reference_messages(ws: Workspace, recipients: list[Recipient]) -> int:
    """Render once, then one EmailMessage per message (the spine's build)."""
    composer = Composer(render_snippet(ws, SNIPPET), ws.config.sender)
    total = 0
    for rec in recipients:
        total += len(composer.compose_reference(rec.email, rec.name, rec.fields()).data)
    return total


def timed(fn, ws: Workspace, recipients: list[Recipient]) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """(messages/s by wall clock, messages/s by this process's CPU time, bytes)."""
    w0, c0 = time.perf_counter(), time.process_time()
    size = fn(ws, recipients)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return len(recipients) / wall, len(recipients) / max(cpu, 1e-9), size


def memory_child(root: Path) -> None:
    """Run in a subprocess: what ``mailer send`` does before the first message leaves
    (:func:`mailer.sending.prepare_send`: render, read the list with the lists package's
    reader, open the journal, plan the campaign, pre-flight every message), then compose
    every message once more as the engine does, keeping none. Reports memory as JSON."""
    from mailer.sending import SendRequest, prepare_send

    start, _ = rss_kib()
    marks: dict[str, int] = {}

    def on_report(report: object) -> None:
        marks["after_list"], marks["list_peak"] = rss_kib()

    ws = Workspace(root)
    with prepare_send(ws, SendRequest(SNIPPET, "lists/bench.csv"), on_report) as prepared:
        after_preflight, preflight_peak = rss_kib()
        # reset the peak (VmHWM) so the compose phase's own peak can be read (Linux)
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        composer = prepared.composer
        count = total = 0
        for rec in prepared.plan.due:
            total += len(composer.compose(rec.email, rec.name, rec.fields()).data)
            count += 1
        end, compose_peak = rss_kib()
        rows = len(prepared.report.rows)
    print(json.dumps({"recipients": count, "rows": rows, "bytes": total,
                      "start": start, "after_list": marks["after_list"],
                      "list_peak": marks["list_peak"], "after_preflight": after_preflight,
                      "preflight_peak": preflight_peak, "end": end,
                      "compose_peak": compose_peak,
                      "peak": max(preflight_peak, compose_peak)}))


def memory_run(tmp: Path, size: int) -> dict[str, int]:
    root = tmp / f"mem-{size}"
    make_workspace(root, size)
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(root)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def profile(ws: Workspace, recipients: list[Recipient], fn, label: str) -> None:  # type: ignore[no-untyped-def]
    prof = cProfile.Profile()
    prof.enable()
    fn(ws, recipients)
    prof.disable()
    print(f"\nProfile: {label} ({len(recipients)} messages), top functions by own time")
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=10_000, help="recipients")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (median reported)")
    parser.add_argument("--naive-sample", type=int, default=200,
                        help="recipients for the naive pipeline per round")
    parser.add_argument("--reference-sample", type=int, default=1000,
                        help="recipients for the EmailMessage build per round")
    parser.add_argument("--memory", type=int, default=100_000,
                        help="recipients for the memory run (0 to skip)")
    parser.add_argument("--profile", action="store_true", help="print cProfile summaries")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="mailer-bench-") as tmpdir:
        tmp = Path(tmpdir)
        make_workspace(tmp / "ws", args.size)
        ws = Workspace(tmp / "ws")
        t0 = time.perf_counter()
        recipients = read_workspace_list(ws, "lists/bench.csv").recipients
        list_s = time.perf_counter() - t0
        print(f"List: {len(recipients):,} recipients read in {list_s:.2f} s "
              f"({len(recipients) / list_s:,.0f}/s; not included below)")
        render_snippet(ws, SNIPPET)  # imports and first compile, as a long-running process
        rows: dict[str, list[tuple[float, float]]] = {"fast": [], "ref": [], "naive": []}
        ratios_naive: list[float] = []
        ratios_ref: list[float] = []
        size = 0
        for n in range(args.repeat):
            fast = timed(fast_messages, ws, recipients)
            ref = timed(reference_messages, ws, recipients[: args.reference_sample])
            naive = timed(naive_messages, ws, recipients[: args.naive_sample])
            size = fast[2] // len(recipients)
            rows["fast"].append(fast[:2])
            rows["ref"].append(ref[:2])
            rows["naive"].append(naive[:2])
            ratios_naive.append(fast[1] / naive[1])
            ratios_ref.append(fast[1] / ref[1])
            print(f"  round {n + 1}: mailer {fast[0]:,.0f}/s, EmailMessage {ref[0]:,.0f}/s, "
                  f"naive {naive[0]:,.0f}/s (wall); mailer/naive {ratios_naive[-1]:.0f}x (CPU)")

        print(f"\nBuild: render + compose + serialise, {args.size:,} recipients, "
              f"{size:,} bytes a message, median of {args.repeat} rounds (min-max)")
        print(f"{'pipeline':34} {'msgs/s wall':>20} {'msgs/s CPU':>20}")
        labels = {"fast": f"mailer (render once), {len(recipients):,}",
                  "ref": f"EmailMessage per message, {min(args.reference_sample, args.size):,}",
                  "naive": f"naive premailer+EmailMessage, {min(args.naive_sample, args.size):,}"}
        for key, label in labels.items():
            wall = [r[0] for r in rows[key]]
            cpu = [r[1] for r in rows[key]]
            print(f"{label:34} {median(wall):>8,.0f} ({spread(wall):>11}) "
                  f"{median(cpu):>8,.0f} ({spread(cpu):>11})")
        print(f"Ratio mailer / naive (CPU, per round): median {median(ratios_naive):.0f}x "
              f"({spread(ratios_naive)}); target >= 25x")
        print(f"Ratio mailer / EmailMessage per message: median {median(ratios_ref):.0f}x")
        best = median([r[1] for r in rows["fast"]])
        print(f"Target >= 2,000 messages/s on one core: {'met' if best >= 2000 else 'MISSED'}")

        if args.profile:
            profile(ws, recipients[:5000], fast_messages, "mailer")
            profile(ws, recipients[:30], naive_messages, "naive")

        if args.memory:
            memory_table(tmp, args.memory)


def memory_table(tmp: Path, size: int) -> None:
    """Print the memory runs for ``size`` and a tenth of it."""
    print("\nMemory: resident set (MiB) of a fresh process doing what `mailer send` does "
          "before sending (read the list, plan, pre-flight every message), then composing "
          "every message again and keeping none")
    print(f"{'recipients':>11} {'rows':>8} {'start':>7} {'list read':>10} "
          f"{'peak to pre-flight end':>23} {'peak composing':>15} {'composing adds':>15}")
    results = []
    for n in sorted({max(size // 10, 1), size}):
        r = memory_run(tmp, n)
        results.append(r)
        mib = {k: v / 1024 for k, v in r.items()}
        print(f"{r['recipients']:>11,} {r['rows']:>8,} {mib['start']:>7.1f} "
              f"{mib['after_list']:>10.1f} {mib['preflight_peak']:>23.1f} "
              f"{mib['compose_peak']:>15.1f} "
              f"{mib['compose_peak'] - mib['after_preflight']:>15.1f}")
    big = results[-1]
    per = (big["after_list"] - big["start"]) / big["recipients"]
    print(f"Peak for {big['recipients']:,} recipients: {big['peak'] / 1024:.0f} MiB "
          f"({big['peak'] * 1024 / 1e6:.0f} MB; target < 200 MB). The list in memory is "
          f"{per:.2f} KiB a recipient; composing adds "
          f"{(big['compose_peak'] - big['after_preflight']) / 1024:.1f} MiB whatever the size.")


if __name__ == "__main__":
    main()
