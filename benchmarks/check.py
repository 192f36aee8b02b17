"""Check benchmark: what ``mailer check`` costs, and the share of the client checks.

Usage (from the repository root, with the project's venv)::

    python benchmarks/check.py [--repeat 7]

For the demo advisory, each round times, one after the other: rendering (Jinja2 and
premailer), composing the sample message, every rule of ``mailer check``, and of those
the E23-E27 client checks (:mod:`mailer.checks.client_rules`, which re-parse the email
as Gmail and Samsung Email show it) and the four client simulations of
:mod:`mailer.simulate` the browser tests use. It prints medians (milliseconds) and the
ratios within each round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, SNIPPET, machine  # noqa: E402
from mailer import simulate  # noqa: E402
from mailer.checks import client_rules, compose_sample  # noqa: E402
from mailer.checks.model import Inputs  # noqa: E402
from mailer.checks.runner import RULES  # noqa: E402
from mailer.jobs import render_snippet  # noqa: E402
from mailer.workspace import Workspace  # noqa: E402


def _ms(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def one_round() -> dict[str, float]:
    ws = Workspace(REPO)
    t_render, rendered = _ms(lambda: render_snippet(ws, SNIPPET))
    t_compose, sample = _ms(lambda: compose_sample(rendered, ws.config))
    html, text = rendered.personalise(rendered.preview_fields())

    def inputs() -> Inputs:
        return Inputs(html=html, block=rendered.block, text=text, message=sample,
                      snippet=rendered.snippet, config=ws.config)

    all_inp = inputs()
    t_all, _ = _ms(lambda: [rule(all_inp) for rule in RULES])
    client_inp = inputs()
    t_client, _ = _ms(lambda: [rule(client_inp) for rule in client_rules.RULES])
    t_sim, _ = _ms(lambda: [c.transform(html) for c in simulate.CLIENTS])
    return {"render": t_render, "compose sample": t_compose, "all rules": t_all,
            "E23-E27 rules": t_client, "simulations": t_sim}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    one_round()  # warm: template compilation, imports
    rounds = [one_round() for _ in range(args.repeat)]
    print(machine())
    print(f"mailer check on {SNIPPET}, median of {args.repeat} rounds (ms):")
    for key in rounds[0]:
        print(f"  {key:15} {statistics.median(r[key] for r in rounds):8.1f}")
    share = statistics.median(r["E23-E27 rules"] / r["all rules"] for r in rounds)
    whole = statistics.median(
        r["E23-E27 rules"] / (r["render"] + r["compose sample"] + r["all rules"]) for r in rounds)
    print(f"  E23-E27 / all rules: {share:.2f}; E23-E27 / whole check: {whole:.2f}")


if __name__ == "__main__":
    main()
