"""Send benchmark: ``mailer send`` against a fast local sink, next to the ceiling and mailmerge.

Usage (from the repository root, with the project's venv)::

    python benchmarks/send.py [SIZE] [--connections 1 2 4] [--repeat 3] [--no-mailmerge]
                              [--profile] [--first-message 100000 [--first-repeat 3]]

Starts ``benchmarks/sink.py`` as its own process on 127.0.0.1 and, for each connection
count, each round:

- **mailer**: ``mailer send`` (the real command, in a subprocess, in a fresh copy of the demo
  workspace with a synthetic list of SIZE recipients, default 2,000) with ``smtp.connections``
  set and no rate limit;
- **bare aiosmtplib**: the ceiling for the same client library: the same pre-built bytes sent
  with ``SMTP.sendmail`` over the same number of connections, nothing else;
- **pipelined**: a minimal asyncio client sending the same bytes with RFC 2920 pipelining
  (MAIL, RCPT and DATA in one write), to show what the round trips cost;

then **mailmerge 2.3.0** (one connection per message; its own plain-text sample, without
its Bcc line), installed on first use into ``benchmarks/.venv-mailmerge``. Every message is
counted at the sink, and the rate is the sink's: messages / (last accepted - first MAIL).
Medians of the rounds are printed, and ratios within each round.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import cProfile
import csv
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SNIPPET, machine, make_workspace, median, set_smtp, spread  # noqa: E402
from mailer.transports.wire import smtp_data  # noqa: E402

HERE = Path(__file__).resolve().parent
MAILMERGE_VENV = HERE / ".venv-mailmerge"


class Sink:
    """The sink process; ``stats()`` and ``reset()`` talk to it over its stdin/stdout."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "sink.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().split()[1])

    def _ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def stats(self) -> dict[str, float]:
        """Counts since the last reset."""
        return json.loads(self._ask("stats"))  # type: ignore[no-any-return]

    def reset(self) -> None:
        """Zero the counts."""
        self._ask("reset")

    def close(self) -> None:
        """Stop the process (only this one)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sink_rate(stats: dict[str, float]) -> float:
    """Messages a second at the sink, first MAIL to last accepted message."""
    span = stats["last"] - stats["first"]
    return stats["messages"] / span if span > 0 else 0.0


def check_count(stats: dict[str, float], expected: int, label: str) -> str:
    """'' when the sink got ``expected`` messages to as many recipients, else a warning."""
    if stats["messages"] == expected and stats["unique_recipients"] == expected:
        return ""
    return (f"  !! {label}: sink counted {stats['messages']} messages to "
            f"{stats['unique_recipients']} recipients, expected {expected}")


# ---------------------------------------------------------------------------- mailer send

def mailer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def send_args() -> list[str]:
    """``mailer send`` arguments; adds ``--yes`` when this version asks for confirmation."""
    help_text = subprocess.run([sys.executable, "-m", "mailer", "send", "--help"],
                               capture_output=True, text=True, env=mailer_env()).stdout
    args = ["send", SNIPPET, "--list", "lists/bench.csv", "--json"]
    if "--yes" in help_text:
        args.append("--yes")
    return args


def spawn_mailer(base: Path, tmp: Path, port: int, connections: int, args: list[str],
                 profile: Path | None = None) -> dict[str, float]:
    """One ``mailer send`` in a fresh copy of ``base`` (so no journal says "already sent").
    Returns wall seconds, CPU seconds and peak RSS (KiB, from ``wait4``), exit status."""
    ws = Path(tempfile.mkdtemp(dir=tmp, prefix=f"send-{connections}-"))
    shutil.copytree(base, ws, dirs_exist_ok=True)
    set_smtp(ws, {"host": "127.0.0.1", "port": port, "security": "none",
                  "connections": connections, "rate_per_minute": 0, "timeout_s": 60})
    out_path, err_path = ws / "stdout.txt", ws / "stderr.txt"
    start = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        cmd = [sys.executable]
        if profile is not None:
            cmd += ["-m", "cProfile", "-o", str(profile)]
        pid = subprocess.Popen([*cmd, "-m", "mailer", *args], cwd=ws,
                               env=mailer_env(), stdout=out, stderr=err).pid
        peak = PeakWatcher(pid)
        _, status, usage = os.wait4(pid, 0)
        peak.stop()
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  !! mailer send exited {code}: "
              f"{err_path.read_text(errors='replace')[-400:]}")
    shutil.rmtree(ws, ignore_errors=True)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": peak.peak_kib,
            "code": code}


class PeakWatcher:
    """Reads a child's peak resident set (VmHWM, KiB) from /proc every 0.1 s.

    Not ``wait4``'s ``ru_maxrss``: that keeps the high-water mark from before ``exec``,
    when the forked child still shared this benchmark's pages (its pre-built messages),
    so it reports this process's size, not mailer's."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while not self._done.is_set():
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            self._done.wait(0.1)

    def stop(self) -> None:
        """Stop watching (after the child exited)."""
        self._done.set()
        self._thread.join()


def first_message(sink: Sink, tmp: Path, size: int, args: list[str],
                  watch_s: float = 30.0, checkout: Path = HERE.parent) -> dict[str, float]:
    """``mailer send`` of ``size`` recipients (one connection, no rate limit): seconds from
    starting the command to the first MAIL at the sink, and peak RSS (MiB, VmHWM) up to
    ``watch_s`` seconds into sending (then the send is stopped with Ctrl-C; exit 130 is
    expected), and the messages the sink counted. ``checkout``: the mailer source tree
    run (this one, or another given by ``--against``)."""
    ws = tmp / f"first-{size}"
    shutil.rmtree(ws, ignore_errors=True)
    make_workspace(ws, size, {"host": "127.0.0.1", "port": sink.port, "security": "none",
                              "connections": 1, "rate_per_minute": 0, "timeout_s": 60})
    sink.reset()
    env = mailer_env()
    env["PYTHONPATH"] = str(checkout)
    start = time.time()
    with (ws / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mailer", *args], cwd=ws,
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
        peak = PeakWatcher(proc.pid)
        first = 0.0
        first_cpu = child_cpu = 0.0
        while proc.poll() is None:
            st = sink.stats()
            if st["first"]:
                first = st["first"] - start
                first_cpu, child_cpu = cpu_seconds(proc.pid)
                break
            time.sleep(0.01)
        # Memory stays flat while sending (messages are streamed): watch the first
        # ``watch_s`` seconds of sending, then stop it as a person would (Ctrl-C).
        try:
            proc.wait(timeout=watch_s)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
        code = proc.wait()
        peak.stop()
    st = sink.stats()
    if code not in (0, 130):
        print(f"  !! mailer send exited {code}: "
              f"{(ws / 'stderr.txt').read_text(errors='replace')[-400:]}")
    shutil.rmtree(ws, ignore_errors=True)
    return {"first_s": first or (st["first"] - start), "first_cpu_s": first_cpu + child_cpu,
            "child_cpu_s": child_cpu, "rss_mib": peak.peak_kib / 1024,
            "messages": st["messages"]}


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) a running process has used so far, and those of its
    children it has waited for (mailer's rendering child), from /proc/PID/stat ((0.0,
    0.0) when it cannot be read). On a shared machine this says what the wall-clock figure
    would be with the cores to itself."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return ((int(fields[11]) + int(fields[12])) / tick,
                (int(fields[13]) + int(fields[14])) / tick)
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0


# ------------------------------------------------------------------- the ceiling clients

def prebuilt(base: Path) -> list[tuple[str, str, bytes]]:
    """(envelope sender, recipient, bytes) for every recipient, built by mailer's Composer."""
    from mailer.compose import Composer
    from mailer.jobs import read_workspace_list, render_snippet
    from mailer.workspace import Workspace

    ws = Workspace(base)
    composer = Composer(render_snippet(ws, SNIPPET), ws.config.sender)
    out = []
    for rec in read_workspace_list(ws, "lists/bench.csv").recipients:
        m = composer.compose(rec.email, rec.name, rec.fields())
        out.append((m.envelope_from, m.recipient, m.data))
    return out


async def bare_aiosmtplib(port: int, messages: list[tuple[str, str, bytes]],
                          connections: int) -> None:
    """Send ``messages`` with aiosmtplib ``sendmail`` over ``connections`` connections."""
    import aiosmtplib

    queue = iter(messages)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False,
                                 use_tls=False, timeout=60)
        await client.connect()
        for sender, rcpt, data in queue:
            await client.sendmail(sender, [rcpt], data)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


async def pipelined(port: int, messages: list[tuple[str, str, bytes]], connections: int) -> None:
    """A minimal client with RFC 2920 pipelining: MAIL FROM, RCPT TO and DATA in one write,
    then the message after the 354 reply; two round trips a message instead of four."""
    queue = iter(messages)

    async def reply(reader: asyncio.StreamReader) -> bytes:
        while True:
            line = await reader.readline()
            if line[3:4] != b"-":
                if line[:1] not in (b"2", b"3"):
                    raise RuntimeError(f"server said {line!r}")
                return line

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reply(reader)
        writer.write(b"EHLO bench.localhost\r\n")
        await reply(reader)
        for sender, rcpt, data in queue:
            writer.write(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                         % (sender.encode(), rcpt.encode()))
            for _ in range(3):
                await reply(reader)
            writer.write(smtp_data(data))
            await reply(reader)
        writer.write(b"QUIT\r\n")
        await reply(reader)
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(connections)))


def run_client(client, sink: Sink, messages: list[tuple[str, str, bytes]],  # type: ignore[no-untyped-def]
               connections: int) -> tuple[dict[str, float], float]:
    """Run one client; (sink stats, client CPU seconds a message)."""
    sink.reset()
    cpu = time.process_time()
    asyncio.run(client(sink.port, messages, connections))
    cpu = time.process_time() - cpu
    return sink.stats(), cpu / len(messages)


# ------------------------------------------------------------------------------ mailmerge

def mailmerge_exe() -> tuple[Path | None, str]:
    """The mailmerge 2.3.0 command in its own venv, installed on first use; (None, reason)
    when it cannot be installed (no network to the package index, say)."""
    exe = MAILMERGE_VENV / "bin" / "mailmerge"
    if exe.exists():
        return exe, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(MAILMERGE_VENV)], check=True,
                       capture_output=True)
        subprocess.run([str(MAILMERGE_VENV / "bin" / "pip"), "install", "-q",
                        "mailmerge==2.3.0"], check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(MAILMERGE_VENV, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        return None, f"{exc} {detail.decode(errors='replace')[-300:]}".strip()
    return (exe, "") if exe.exists() else (None, "installed, but no mailmerge command")


def mailmerge_dir(tmp: Path, exe: Path, port: int, size: int) -> Path:
    """mailmerge's own sample (template without its Bcc line), a database of ``size``
    rows, and a server config for the sink with no rate limit."""
    folder = tmp / "mailmerge"
    folder.mkdir(exist_ok=True)
    subprocess.run([str(exe), "--sample"], cwd=folder, check=True, capture_output=True)
    template = folder / "mailmerge_template.txt"
    lines = template.read_text().splitlines(keepends=True)
    template.write_text("".join(ln for ln in lines if not ln.upper().startswith("BCC:")))
    with (folder / "mailmerge_database.csv").open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["email", "name", "number"])
        for i in range(size):
            out.writerow([f"carer.{i}@example.com", f"Carer {i}", i])
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nratelimit = 0\n")
    return folder


def run_mailmerge(exe: Path, folder: Path) -> float:
    """Send every row; returns wall seconds."""
    start = time.perf_counter()
    done = subprocess.run([str(exe), "--no-dry-run", "--no-limit", "--output-format", "raw"],
                          cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        print(f"  !! mailmerge exited {done.returncode}: {done.stderr.decode()[-300:]}")
    return time.perf_counter() - start


# ----------------------------------------------------------------------------------- main

def profile_client(sink: Sink, messages: list[tuple[str, str, bytes]]) -> None:
    """cProfile of the bare aiosmtplib client on one connection: where its time goes."""
    prof = cProfile.Profile()
    sink.reset()
    prof.enable()
    asyncio.run(bare_aiosmtplib(sink.port, messages, 1))
    prof.disable()
    print(f"\nProfile: bare aiosmtplib, 1 connection, {len(messages)} messages, "
          "top functions by own time")
    pstats.Stats(prof).sort_stats("tottime").print_stats(14)


def profile_mailer(base: Path, tmp: Path, sink: Sink, args: list[str]) -> None:
    out = tmp / "mailer-send.prof"
    sink.reset()
    spawn_mailer(base, tmp, sink.port, 1, args, profile=out)
    print("\nProfile: mailer send, 1 connection, top functions by cumulative time")
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(28)
    print("Profile: mailer send, top functions by own time")
    pstats.Stats(str(out)).sort_stats("tottime").print_stats(16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=2000, help="recipients")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-mailmerge", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print cProfile summaries")
    parser.add_argument("--first-message", type=int, default=0, metavar="N",
                        help="also send to N recipients (e.g. 100000) and print the time "
                             "from start to the first message at the sink and the peak RSS")
    parser.add_argument("--first-repeat", type=int, default=3, metavar="K",
                        help="runs of the --first-message send (medians are printed)")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="another mailer source tree (e.g. a git worktree of main): "
                             "its --first-message sends alternate with this one's and the "
                             "ratio of the medians is printed (the machine's noise then "
                             "falls on both alike)")
    args = parser.parse_args()

    print(f"Machine: {machine()}")
    # As pip installs a package: its modules compiled to bytecode once, not at every run
    # (this machine's PYTHONDONTWRITEBYTECODE would otherwise have mailer compile its own
    # source on every command, about 0.2 s).
    compileall.compile_dir(str(HERE.parent / "mailer"), quiet=1)
    if args.against:
        compileall.compile_dir(str(args.against / "mailer"), quiet=1)
    print("Bytecode: mailer's modules compiled beforehand, as pip does when it installs.")
    sink = Sink()
    try:
        with tempfile.TemporaryDirectory(prefix="mailer-send-bench-") as tmpdir:
            tmp = Path(tmpdir)
            base = tmp / "base"
            make_workspace(base, args.size)
            messages = prebuilt(base)
            size = len(messages)
            avg = sum(len(m[2]) for m in messages) // size
            mailer_args = send_args()
            exe, why = (None, "skipped (--no-mailmerge)") if args.no_mailmerge else mailmerge_exe()
            mm_folder = mailmerge_dir(tmp, exe, sink.port, size) if exe else None
            print(f"Sink: benchmarks/sink.py on 127.0.0.1:{sink.port}; {size:,} recipients, "
                  f"{avg:,} bytes a message; mailer {' '.join(mailer_args)}")
            if exe is None:
                print(f"mailmerge 2.3.0 unavailable: {why}")

            results: dict[tuple[str, int], list[float]] = {}
            extra: dict[tuple[str, int], list[float]] = {}
            ratios: dict[tuple[str, int], list[float]] = {}

            def add(store: dict, key: tuple[str, int], value: float) -> None:  # type: ignore[type-arg]
                store.setdefault(key, []).append(value)

            for n in range(args.repeat):
                mm_rate = 0.0
                if mm_folder is not None and exe is not None:
                    sink.reset()
                    mm_wall = run_mailmerge(exe, mm_folder)
                    st = sink.stats()
                    warn = check_count(st, size, "mailmerge")
                    if warn:
                        print(warn)
                    mm_rate = sink_rate(st)
                    add(results, ("mailmerge", 1), mm_rate)
                    add(extra, ("mailmerge wall", 1), size / mm_wall)
                for c in args.connections:
                    sink.reset()
                    run = spawn_mailer(base, tmp, sink.port, c, mailer_args)
                    st = sink.stats()
                    warn = check_count(st, size, f"mailer send, {c} connection(s)")
                    if warn:
                        print(warn)
                    mailer_rate = sink_rate(st)
                    add(results, ("mailer", c), mailer_rate)
                    add(extra, ("mailer wall", c), size / run["wall"])
                    add(extra, ("mailer cpu ms", c), run["cpu"] * 1000 / size)
                    add(extra, ("mailer rss", c), run["rss"] / 1024)
                    add(extra, ("mailer conns", c), st["connections"])
                    for label, client in (("aiosmtplib", bare_aiosmtplib),
                                          ("pipelined", pipelined)):
                        st, cpu = run_client(client, sink, messages, c)
                        warn = check_count(st, size, f"{label}, {c} connection(s)")
                        if warn:
                            print(warn)
                        add(results, (label, c), sink_rate(st))
                        add(extra, (f"{label} cpu ms", c), cpu * 1000)
                    bare = results[("aiosmtplib", c)][-1]
                    add(ratios, ("mailer/aiosmtplib", c), mailer_rate / bare if bare else 0)
                    if mm_rate:
                        add(ratios, ("mailer/mailmerge", c), mailer_rate / mm_rate)
                line = ", ".join(f"{c}: mailer {results[('mailer', c)][-1]:,.0f}"
                                 f" / bare {results[('aiosmtplib', c)][-1]:,.0f}"
                                 for c in args.connections)
                mm = f"; mailmerge {mm_rate:,.0f}" if mm_rate else ""
                print(f"  round {n + 1} (msgs/s at the sink): {line}{mm}")

            print(f"\nSend: {size:,} messages to the sink, messages/s at the sink (first MAIL "
                  f"to last message), median of {args.repeat} rounds (min-max)")
            print(f"{'connections':>11} {'mailer send':>20} {'bare aiosmtplib':>20} "
                  f"{'pipelined (2920)':>20} {'mailer/bare':>12} {'mailer/mailmerge':>17}")
            for c in args.connections:
                cells = []
                for label in ("mailer", "aiosmtplib", "pipelined"):
                    v = results[(label, c)]
                    cells.append(f"{median(v):>7,.0f} ({spread(v):>11})")
                r1 = median(ratios[("mailer/aiosmtplib", c)])
                r2 = ratios.get(("mailer/mailmerge", c))
                print(f"{c:>11} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20} {r1:>11.0%} "
                      f"{(f'{median(r2):.1f}x' if r2 else '-'):>17}")
            if ("mailmerge", 1) in results:
                v = results[("mailmerge", 1)]
                print(f"mailmerge 2.3.0 (a new connection per message, plain-text sample, "
                      f"{size:,} rows): {median(v):,.0f} msgs/s ({spread(v)})")
            print("\nmailer send as a whole command (start-up, list, render, pre-flight, send):")
            print(f"{'connections':>11} {'msgs/s overall':>15} {'CPU ms/msg':>11} "
                  f"{'peak RSS MiB':>13} {'connections seen':>17}")
            for c in args.connections:
                print(f"{c:>11} {median(extra[('mailer wall', c)]):>15,.0f} "
                      f"{median(extra[('mailer cpu ms', c)]):>11.2f} "
                      f"{median(extra[('mailer rss', c)]):>13.0f} "
                      f"{median(extra[('mailer conns', c)]):>17.0f}")
            print("Client CPU per message (ms): " + ", ".join(
                f"{c}: aiosmtplib {median(extra[('aiosmtplib cpu ms', c)]):.2f} / pipelined "
                f"{median(extra[('pipelined cpu ms', c)]):.2f}" for c in args.connections))
            print("Targets: mailer >= 80% of bare aiosmtplib at each connection count; "
                  ">= 3x mailmerge.")

            big = None
            if args.first_message:
                runs = []
                print(f"\nmailer send of {args.first_message:,} recipients, "
                      f"{args.first_repeat} runs:")
                other: list[float] = []
                for _ in range(args.first_repeat):
                    if args.against:
                        theirs = first_message(sink, tmp, args.first_message, mailer_args,
                                               watch_s=1.0, checkout=args.against)
                        other.append(theirs["first_s"])
                        print(f"  {args.against}: first message at the sink "
                              f"{theirs['first_s']:.2f} s after the command started")
                    one = first_message(sink, tmp, args.first_message, mailer_args)
                    runs.append(one)
                    print(f"  first message at the sink {one['first_s']:.2f} s after the "
                          f"command started ({one['first_cpu_s']:.2f} s of CPU by then, "
                          f"{one['child_cpu_s']:.2f} s of it in the rendering child); peak "
                          f"RSS {one['rss_mib']:.0f} MiB up to 30 s into sending "
                          f"({one['messages']:,.0f} messages by then)")
                big = {key: median([r[key] for r in runs]) for key in runs[0]}
                firsts = [r["first_s"] for r in runs]
                first_range = f"{min(firsts):.2f}-{max(firsts):.2f} s"
            print("\nThe three figures (targets: >= 3x mailmerge; first message <= 2 s of a "
                  "100,000-recipient send; peak RSS <= 100 MB):")
            r2 = ratios.get(("mailer/mailmerge", args.connections[0]))
            print(f"  mailer/mailmerge at {args.connections[0]} connection(s): "
                  + (f"{median(r2):.1f}x" if r2 else "- (run without --no-mailmerge)"))
            if big is not None:
                print(f"  first message: {big['first_s']:.2f} s (median of "
                      f"{args.first_repeat}, {first_range}), {big['first_cpu_s']:.2f} s of CPU "
                      f"({args.first_message:,} recipients)\n"
                      f"  peak RSS: {big['rss_mib']:.0f} MiB "
                      f"({big['rss_mib'] * 1.048576:.0f} MB)")
                if other:
                    print(f"  first message of {args.against}, the same runs alternated: "
                          f"{median(other):.2f} s (median of {len(other)}, "
                          f"{min(other):.2f}-{max(other):.2f} s); this one / that one: "
                          f"{big['first_s'] / median(other):.2f}")
            else:
                print("  first message / peak RSS: run with --first-message 100000")

            if args.profile:
                profile_client(sink, messages[: min(size, 2000)])
                profile_mailer(base, tmp, sink, mailer_args)
    finally:
        sink.close()


if __name__ == "__main__":
    main()
