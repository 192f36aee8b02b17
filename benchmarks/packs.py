"""How long ``mailer render SNIPPET --schools FILE`` takes for a local authority.

    python benchmarks/packs.py 300 [--rounds 3] [--profile]

Writes a synthetic schools CSV (every fifth school with a light brand colour that falls
back, one in ten without https://, a few Welsh-medium schools asking for ``cy``) into a
temporary authority workspace, then times, per round, the whole command as the officer
runs it (a new process: start-up, reading, every pack, index) and, in-process, where the
time goes per school: rendering the email and block, the Word letter, the zip. Prints
medians and the range. Target: 300 schools in under a minute on this machine.

Not part of the test suite; writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from benchmarks.common import REPO, SNIPPET, machine, median, spread  # noqa: E402

COLOURS = ["#1d4f91", "#0b6e4f", "#7a1f5c", "#8a2be2", "#b22222", "#005a9c"]
LIGHT = ["#ffcc00", "#87ceeb", "#f0e68c"]


def write_schools(path: Path, count: int, seed: int = 15) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(["School Name", "Website", "Address Line 1", "Town", "Postcode", "Logo",
                      "Brand Colour", "Language", "DSL", "DSL Role", "DSL Email", "DSL Phone"])
        for i in range(count):
            name = f"{rng.choice(['Oak', 'Ash', 'Elm', 'Hill', 'River', 'St Anne'])}" \
                   f"{'s' * (i % 2)} {rng.choice(['Primary', 'Academy', 'Infants'])} {i}"
            domain = f"school{i}.example.sch.uk"
            website = f"https://www.{domain}/" if i % 10 else f"www.{domain}"
            colour = rng.choice(LIGHT) if i % 5 == 0 else rng.choice(COLOURS)
            out.writerow([name, website, f"{i} School Lane", "Exampleton", f"EX{i % 9 + 1} 1AA",
                          # A logo file in the workspace: a web address would be looked up.
                          "logos/crest.png" if i % 3 == 0 else "", colour,
                          "cy" if i % 25 == 0 else "", f"Ms Lead {i}", "",
                          f"dsl@{domain}", f"01632 96{i:04d}"])


def make_authority(root: Path) -> Path:
    import shutil

    ws = root / "authority"
    ws.mkdir()
    for folder in ("snippets", "templates"):
        shutil.copytree(REPO / folder, ws / folder)
    cfg = yaml.safe_load((REPO / "mailer.yaml").read_text())
    cfg["organisation"] = {
        "name": "Exampleshire County Council", "website": "https://www.example.gov.uk/",
        "postal_address": "County Hall, Exampleton, EX9 9ZZ",
        "contact": {"name": "Online Safety Team", "role": "Education Safeguarding",
                    "email": "onlinesafety@example.gov.uk", "phone": "03000 410000"}}
    cfg["sender"] = {"from": "Exampleshire County Council <onlinesafety@example.gov.uk>"}
    (ws / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    from tests.pictures import badge_png

    (ws / "logos").mkdir()
    (ws / "logos" / "crest.png").write_bytes(badge_png())
    return ws


def timed_parts(ws: Path, schools: Path, out: Path) -> dict[str, float]:
    """Per-school seconds of each part, in this one process (no workers), for one pass
    over every school."""
    import mailer.packs as packs
    from mailer.docx_letter import write_letter
    from mailer.render import render

    totals = {"render": 0.0, "letter": 0.0, "zip": 0.0}

    def wrap(name, fn):
        def inner(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                totals[name] += time.perf_counter() - t
        return inner

    packs.render, packs.write_letter, packs._zip = (
        wrap("render", render), wrap("letter", write_letter), wrap("zip", packs._zip))
    from mailer.workspace import Workspace

    start = time.perf_counter()
    result = packs.render_packs(Workspace(ws), SNIPPET, schools, out, date=dt.date(2026, 12, 1),
                                workers=1)  # in this process, so the parts can be timed
    totals["whole"] = time.perf_counter() - start
    n = len(result.written)
    return {k: v / n for k, v in totals.items()} | {"schools": n}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int, nargs="?", default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = make_authority(root)
        schools = root / "schools.csv"
        write_schools(schools, args.count)
        walls, cpus = [], []
        for r in range(args.rounds):
            out = root / f"cli-{r}"
            start = time.perf_counter()
            before = _children_cpu()
            done = subprocess.run([sys.executable, "-m", "mailer", "--workspace", str(ws),
                                   "render", SNIPPET, "--schools", str(schools), "--out",
                                   str(out)], capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            cpus.append(_children_cpu() - before)
            packs = sum(1 for p in out.iterdir() if p.suffix == ".zip")
            print(f"round {r + 1}: {walls[-1]:.1f} s wall, {cpus[-1]:.1f} s CPU, {packs} packs "
                  f"(exit {done.returncode}; {done.stdout.count('Warning:')} warnings)")
        w = median(walls)
        print(f"\nmailer render --schools, {args.count} schools: median {w:.1f} s "
              f"(range {spread(walls)}), {w / args.count * 1000:.0f} ms a school, "
              f"{args.count / w:.1f} schools a second; CPU median {median(cpus):.1f} s")
        cores = os.cpu_count() or 1
        busy = median(cpus) / cores
        print(f"target: {args.count} schools in under 60 s -> wall {w:.1f} s: "
              f"{'met' if w < 60 else 'missed'} at load average {os.getloadavg()[0]:.1f} on "
              f"{cores} cores; the CPU it needs, {median(cpus):.1f} s over {cores} worker "
              f"processes, is {busy:.1f} s of wall time on an idle machine "
              f"({'met' if busy < 60 else 'missed'}, {60 / busy:.1f}x inside the limit)")
        parts = timed_parts(ws, schools, root / "parts")
        print(f"\nper school, in-process ({parts['schools']} schools): whole "
              f"{parts['whole'] * 1000:.0f} ms = render (Jinja + premailer, email and block) "
              f"{parts['render'] * 1000:.0f} ms ({parts['render'] / parts['whole']:.0%}), Word "
              f"letter {parts['letter'] * 1000:.0f} ms "
              f"({parts['letter'] / parts['whole']:.0%}), zip {parts['zip'] * 1000:.0f} ms "
              f"({parts['zip'] / parts['whole']:.0%}), the rest (mailer.yaml written and "
              "read back, snippet, templates copied, files written) "
              f"{(parts['whole'] - parts['render'] - parts['letter'] - parts['zip']) * 1000:.0f}"
              " ms")
        if args.profile:
            from mailer.packs import render_packs
            from mailer.workspace import Workspace

            prof = cProfile.Profile()
            prof.enable()
            render_packs(Workspace(ws), SNIPPET, schools, root / "prof")
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


if __name__ == "__main__":
    main()
