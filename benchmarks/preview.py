"""Preview benchmark: time from saving a snippet (or a template, or mailer.yaml) to the new
render being ready.

Usage (from the repository root, with the project's venv)::

    python benchmarks/preview.py [EDITS] [--profile]

In a copy of the demo workspace it saves EDITS (default 30) changes of each kind and times
``mailer.jobs.render_snippet`` from the moment the file is written until the new
:class:`~mailer.render.Rendered` (full email, text part and newsletter block) is ready,
checking that the edit shows in it. It also times a cold start (a new process importing
mailer and rendering once), and what it costs to notice a save by polling file timestamps.
Target: a re-render in under 100 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SNIPPET, machine, make_workspace  # noqa: E402
from mailer.jobs import render_snippet  # noqa: E402
from mailer.workspace import Workspace  # noqa: E402

COLD = (
    "import sys, time; t = time.perf_counter(); sys.path.insert(0, {repo!r}); "
    "from pathlib import Path; from mailer.jobs import render_snippet; "
    "from mailer.workspace import Workspace; "
    "render_snippet(Workspace(Path({ws!r})), {snippet!r}); "
    "print(time.perf_counter() - t)"
)


def figures(ms: list[float]) -> str:
    """median, 90th percentile and worst, in milliseconds."""
    ordered = sorted(ms)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"{statistics.median(ms):7.1f} {p90:7.1f} {max(ms):7.1f}"


def edit_snippet(path: Path, n: int) -> str:
    """Change the snippet's title; returns the text that must appear in the render."""
    marker = f"Edit number {n}"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("title:"):
            lines[i] = f"title: {marker} - video chat and webcams\n"
    path.write_text("".join(lines), encoding="utf-8")
    return marker


def edit_template(path: Path, n: int) -> str:
    """Append a line to the text template; returns the text that must appear."""
    marker = f"Template edit {n}"
    text = path.read_text(encoding="utf-8").rstrip("\n").rsplit("\n{# bench #}", 1)[0]
    path.write_text(f"{text}\n{{# bench #}}\n{marker}\n", encoding="utf-8")
    return marker


def edit_config(path: Path, n: int) -> str:
    """Change the contact phone number in mailer.yaml; returns the new number."""
    marker = f"01632 96{n:04d}"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().startswith("phone:"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}phone: {marker}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return marker


def poll_cost(ws: Path, rounds: int = 200) -> float:
    """Milliseconds for one stat() of every file a render reads (what a watcher that polls
    pays per poll)."""
    files = [ws / "mailer.yaml", *sorted((ws / "snippets").rglob("*")),
             *sorted((ws / "templates").rglob("*"))]
    start = time.perf_counter()
    for _ in range(rounds):
        for f in files:
            f.stat()
    return (time.perf_counter() - start) * 1000 / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("edits", nargs="?", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="mailer-preview-bench-") as tmpdir:
        root = Path(tmpdir) / "ws"
        make_workspace(root, 10)
        repo = str(Path(__file__).resolve().parent.parent)
        cold = []
        for _ in range(3):
            out = subprocess.run([sys.executable, "-c", COLD.format(
                repo=repo, ws=str(root), snippet=SNIPPET)], capture_output=True, text=True,
                check=True)
            cold.append(float(out.stdout) * 1000)

        ws = Workspace(root)
        render_snippet(ws, SNIPPET)
        snippet = root / "snippets" / f"{SNIPPET}.yaml"
        results: dict[str, list[float]] = {"snippet": [], "template": [], "config": []}
        for n in range(args.edits):
            for kind, path, edit in (("snippet", snippet, edit_snippet),
                                     ("template", root / "templates" / "email.txt",
                                      edit_template),
                                     ("config", root / "mailer.yaml", edit_config)):
                marker = edit(path, n)
                start = time.perf_counter()  # the file is saved
                if kind == "config":
                    ws.reload()
                rendered = render_snippet(ws, SNIPPET)
                results[kind].append((time.perf_counter() - start) * 1000)
                assert marker in rendered.text, f"{kind} edit {n} not in the new render"

        print(f"\nPreview: save -> new render ready (ms), {args.edits} edits each")
        print(f"{'what was saved':36} {'median':>7} {'p90':>7} {'worst':>7}")
        print(f"{'the snippet (YAML)':36} {figures(results['snippet'])}")
        print(f"{'a template (recompiles templates)':36} {figures(results['template'])}")
        print(f"{'mailer.yaml (reload config)':36} {figures(results['config'])}")
        print(f"{'cold start: new process + render':36} {figures(cold)}")
        print(f"Noticing a save by polling timestamps costs {poll_cost(root):.2f} ms a poll.")
        best = statistics.median(results["snippet"])
        print(f"Target: re-render under 100 ms: {'met' if best < 100 else 'MISSED'} "
              f"(median {best:.0f} ms)")

        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            for n in range(10):
                edit_snippet(snippet, 1000 + n)
                render_snippet(ws, SNIPPET)
            prof.disable()
            print("\nProfile: 10 snippet re-renders, top functions by cumulative time")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(22)


if __name__ == "__main__":
    main()
