"""Sending in five languages costs what sending in one does: the snippet is rendered once
per language (not per recipient) and each language's message template is built once.

Measures, on a list of N recipients (default 10,000) whose language column gives English,
Polish, Arabic, Romanian, Urdu and Somali (plus a few it cannot read):

- preparation: rendering the English alone vs. :func:`mailer.language_plan.plan_languages`
  (English + 5 translations), in milliseconds;
- building every message (compose + serialise) with one English
  :class:`~mailer.compose.Composer` vs. the :class:`~mailer.language_plan.LanguageComposer`
  that picks each recipient's language, in messages per second (CPU time), and the ratio.

Run by hand: ``python benchmarks/languages.py [N] [--repeat 5]``. Medians of the rounds;
ratios within one round.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SNIPPET, machine, make_workspace, median, spread  # noqa: E402
from mailer.compose import Composer  # noqa: E402
from mailer.jobs import read_workspace_list, render_snippet  # noqa: E402
from mailer.language_plan import LanguageComposer, plan_languages  # noqa: E402
from mailer.workspace import Workspace  # noqa: E402

#: Share of the list per language cell; "" is no language given.
MIX = [("", 0.55), ("Polish", 0.1), ("ar", 0.08), ("Romanian", 0.08), ("Urdu", 0.08),
       ("so", 0.08), ("Martian", 0.03)]


def add_languages(path: Path, seed: int = 11) -> None:
    """Add a ``Home Language`` column to the benchmark list (same value on every row of an
    address)."""
    rng = random.Random(seed)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    chosen: dict[str, str] = {}
    cells, weights = zip(*MIX, strict=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([*rows[0], "Home Language"])
        for row in rows[1:]:
            email = row[-1]
            if email not in chosen:
                chosen[email] = rng.choices(cells, weights)[0]
            out.writerow([*row, chosen[email]])


def add_translations(ws: Path) -> None:
    """Romanian, Urdu and Somali stand-ins (the English words under another language; the
    cost of rendering does not depend on the words), beside the shipped Polish and Arabic."""
    english = (ws / "snippets" / f"{SNIPPET}.yaml").read_text(encoding="utf-8")
    for tag in ("ro", "ur", "so"):
        (ws / "snippets" / f"{SNIPPET}.{tag}.yaml").write_text(
            english.replace("language: en", f"language: {tag}"), encoding="utf-8")


def build_all(composer, recipients) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.process_time()
    size = 0
    for rec in recipients:
        size += len(composer.compose(rec.email, rec.name, rec.fields()).data)
    return time.process_time() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=10_000, help="recipients")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (median reported)")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="mailer-bench-lang-") as tmpdir:
        root = Path(tmpdir) / "ws"
        list_path = make_workspace(root, args.size)
        add_languages(list_path)
        add_translations(root)
        ws = Workspace(root)
        recipients = read_workspace_list(ws, "lists/bench.csv").recipients
        english = render_snippet(ws, SNIPPET)  # first compile, as in a long-running process
        plan = plan_languages(ws, english.snippet, recipients, english)
        print(f"List: {len(recipients):,} recipients; messages: "
              + ", ".join(f"{k} {v}" for k, v in plan.counts(recipients)["languages"].items()))
        one_ms, five_ms, one_rate, five_rate, ratios = [], [], [], [], []
        for n in range(args.repeat):
            t0 = time.perf_counter()
            english = render_snippet(ws, SNIPPET)
            t1 = time.perf_counter()
            plan = plan_languages(ws, english.snippet, recipients)
            t2 = time.perf_counter()
            one_ms.append((t1 - t0) * 1000)
            five_ms.append((t2 - t1) * 1000)
            single, _ = build_all(Composer(english, ws.config.sender), recipients)
            multi, _ = build_all(LanguageComposer(plan, ws.config.sender), recipients)
            one_rate.append(len(recipients) / single)
            five_rate.append(len(recipients) / multi)
            ratios.append(five_rate[-1] / one_rate[-1])
            print(f"  round {n + 1}: render {one_ms[-1]:.0f} ms vs {five_ms[-1]:.0f} ms; "
                  f"build {one_rate[-1]:,.0f}/s vs {five_rate[-1]:,.0f}/s "
                  f"({ratios[-1]:.2f}x)")
        print(f"\nMedian of {args.repeat} rounds (min-max):")
        print(f"  render English only:          {median(one_ms):8.0f} ms ({spread(one_ms)})")
        print(f"  render English + 5 languages: {median(five_ms):8.0f} ms ({spread(five_ms)})")
        print(f"  build, English only:          {median(one_rate):8,.0f} msgs/s CPU "
              f"({spread(one_rate)})")
        print(f"  build, 6 messages by language:{median(five_rate):8,.0f} msgs/s CPU "
              f"({spread(five_rate)})")
        print(f"  ratio six languages / one: median {median(ratios):.2f}x "
              f"({min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
