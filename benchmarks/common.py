"""Shared helpers for the hand-run benchmarks: synthetic lists, demo workspaces, figures.

Not part of the test suite and not imported by ``mailer``.
"""

from __future__ import annotations

import csv
import os
import platform
import random
import shutil
import statistics
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SNIPPET = "online-safety-webcams"

TITLES = ["Mrs", "Mr", "Ms", "Miss", "Dr", "Mx", ""]
FORENAMES = ["Sadia", "Imran", "Jo", "Mark", "Ngozi", "Emeka", "Laura", "Fatima", "Gareth",
             "Helen", "Isla", "Priya", "Tom", "Aisha", "Daniel", "Chloe", "Omar", "Ruth"]
SURNAMES = ["Khan", "Smith", "Turner", "Okafor", "Brown", "Wilson", "Ahmed", "Evans", "Rossi",
            "Murphy", "Campbell", "Taylor", "Patel", "Jones", "Williams", "Hughes", "Begum"]
# About one carer in twelve has a name outside ASCII (these take the email package's full
# header path for To).
NON_ASCII = ["Zoë", "Siobhán", "Łucja", "Kowalská", "Nuñez", "Müller", "Brontë", "Ó Súilleabháin",
             "Çelik", "Dvořák"]
PUPILS = ["Amy", "Ben", "Cara", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isaac", "Jade"]


SYLLABLES = ["an", "bel", "cor", "da", "el", "fin", "gar", "hal", "is", "jen", "kar", "lo",
             "mer", "nor", "os", "pen", "quin", "ros", "sal", "tam", "ul", "ven", "wil", "yor"]


def _made_up(rng: random.Random) -> str:
    """A made-up name, so a large list has as many distinct names as a real one."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def write_list(path: Path, recipients: int, seed: int = 7) -> int:
    """Write a SIMS-style CSV (one row per pupil-carer pair) with exactly ``recipients``
    unique addresses; about one in six carers has two children (two rows). Returns rows."""
    rng = random.Random(seed)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Pupil Forename", "Pupil Surname", "Year", "Reg Group", "Contact Title",
                      "Contact Forename", "Contact Surname", "Relationship", "Email"])
        for i in range(recipients):
            forename = rng.choice(FORENAMES) if rng.random() < 0.7 else _made_up(rng)
            surname = rng.choice(SURNAMES) if rng.random() < 0.5 else _made_up(rng)
            if rng.random() < 0.08:
                surname = rng.choice(NON_ASCII)
            title = rng.choice(TITLES)
            email = f"{forename.lower()}.{i}@example.com"
            for _ in range(2 if rng.random() < 0.17 else 1):
                year = rng.randint(1, 6)
                out.writerow([rng.choice(PUPILS), surname, f"Year {year}", f"{year}K", title,
                              forename, surname, "Parent", email])
                rows += 1
    return rows


def make_workspace(root: Path, recipients: int, smtp: dict[str, object] | None = None) -> Path:
    """A copy of the demo workspace in ``root`` with ``lists/bench.csv`` of ``recipients``
    addresses, and ``smtp`` as the ``smtp:`` section when given. Returns the list path."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "mailer.yaml", root / "mailer.yaml")
    for folder in ("snippets", "templates"):
        shutil.copytree(REPO / folder, root / folder, dirs_exist_ok=True)
    (root / "lists").mkdir(exist_ok=True)
    path = root / "lists" / "bench.csv"
    write_list(path, recipients)
    if smtp is not None:
        set_smtp(root, smtp)
    return path


def set_smtp(root: Path, smtp: dict[str, object]) -> None:
    """Replace the ``smtp:`` section of ``root/mailer.yaml``."""
    cfg = yaml.safe_load((root / "mailer.yaml").read_text(encoding="utf-8"))
    cfg["smtp"] = smtp
    (root / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")


def median(values: list[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


def spread(values: list[float]) -> str:
    """``min-max`` of the runs, for the reader to judge the noise."""
    return f"{min(values):,.0f}-{max(values):,.0f}" if values else "-"


def machine() -> str:
    """One line: CPU model, cores, memory, Python, OS, and the load average (the machine is
    shared, so the load says how much to trust the figures)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1048576:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        one, five, fifteen = os.getloadavg()
        load = f", load avg {one:.2f} {five:.2f} {fifteen:.2f}"
    return (f"{model}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}{load}")


def rss_kib() -> tuple[int, int]:
    """(current, peak) resident set size of this process in KiB, from /proc (VmRSS, VmHWM)."""
    cur = peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            cur = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1])
    return cur, peak
