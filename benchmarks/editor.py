"""Editor benchmark: time from a change in the Edit panel to the preview and the checks
being up to date, and the cost of each step.

Usage (from the repository root, with the project's venv)::

    python benchmarks/editor.py [ROUNDS]

In a copy of the demo workspace it starts the editor's server on 127.0.0.1 and sends
ROUNDS (default 20) drafts of the shipped advisory, each with a different title, as the
page does (``POST /api/draft``): the answer comes once the draft is rendered and checked.
It also times the steps alone: form to YAML text (ruamel.yaml round trip), render, checks;
a Save; and ROUNDS drafts of the Polish translation in the translation view. Target: a
change shown and checked within a second (the page adds 200 ms of typing pause before it
sends).
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SNIPPET, machine, make_workspace  # noqa: E402
from mailer.preview import PreviewSession  # noqa: E402
from mailer.preview.editor import EditorServer, clean_form, snippet_text  # noqa: E402
from mailer.workspace import Workspace  # noqa: E402


def post(port: int, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json",
                                                      "Origin": f"http://127.0.0.1:{port}"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def get(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode("utf-8")
    finally:
        conn.close()


def ms(values: list[float]) -> str:
    values = sorted(values)
    return (f"median {statistics.median(values) * 1000:7.1f} ms  "
            f"(min {values[0] * 1000:.1f}, max {values[-1] * 1000:.1f}, n={len(values)})")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        make_workspace(root, 10)
        session = PreviewSession(Workspace(root), SNIPPET)
        server = EditorServer(session, port=0)
        server.start()
        try:
            token = re.search(r'mailer-token" content="([^"]+)', get(server.port, "/"))
            assert token
            doc = json.loads(get(server.port, "/api/editor"))
            form = doc["form"]
            post(server.port, "/api/draft", {"token": token.group(1), "form": form})  # warm
            drafts, yaml_s, render_s, checks_s = [], [], [], []
            for i in range(rounds):
                form["title"] = f"Video chat and webcams, draft {i}"
                started = time.perf_counter()
                status, answer = post(server.port, "/api/draft",
                                      {"token": token.group(1), "form": form})
                drafts.append(time.perf_counter() - started)
                assert status == 200 and answer["rendered"], answer
                assert session.snapshot.rendered.snippet.title == form["title"]
                with session._build_lock:
                    t0 = time.perf_counter()
                    text = snippet_text(clean_form(form), server.editor.base_text, verify=False)
                    t1 = time.perf_counter()
                    session.draft_text = text
                    session.rebuild()
                    t2 = time.perf_counter()
                    session.update_checks()
                    t3 = time.perf_counter()
                yaml_s.append(t1 - t0)
                render_s.append(t2 - t1)
                checks_s.append(t3 - t2)
            # the translation view: a Polish draft (English beside it) rendered and checked
            # as 'mailer check' checks a translation
            tdoc = json.loads(get(server.port, "/api/editor?lang=pl"))
            texts = {f["key"]: f["text"] for f in tdoc["fields"]}
            post(server.port, "/api/draft", {"token": token.group(1), "language": "pl",
                                             "texts": texts})  # warm
            translation_drafts = []
            for i in range(rounds):
                texts["title"] = f"Czat wideo i kamery, szkic {i}"
                started = time.perf_counter()
                status, answer = post(server.port, "/api/draft", {
                    "token": token.group(1), "language": "pl", "texts": texts})
                translation_drafts.append(time.perf_counter() - started)
                assert status == 200, answer
                assert session.snapshot.translations["pl"].title == texts["title"]
            form["title"] = "Saved title"
            started = time.perf_counter()
            status, _ = post(server.port, "/api/save", {"token": token.group(1), "form": form,
                                                        "path": doc["path"], "sha": doc["sha"]})
            save_s = time.perf_counter() - started
            assert status == 200
        finally:
            server.stop()
    total = statistics.median(drafts)
    print(f"draft round trip (POST /api/draft: YAML, render, checks): {ms(drafts)}")
    print(f"  form to YAML (ruamel round trip)             {ms(yaml_s)}")
    print(f"  render                                       {ms(render_s)}")
    print(f"  checks                                       {ms(checks_s)}")
    parts = statistics.median(yaml_s) + statistics.median(render_s) + statistics.median(checks_s)
    share = statistics.median(yaml_s) / total
    print(f"  parts / round trip: {parts / total:.2f}; YAML share {share:.0%}")
    ready = statistics.median(yaml_s) + statistics.median(render_s)
    print(f"preview shown (published before the checks run): about {ready * 1000:.0f} ms + "
          "the page's 200 ms pause")
    print(f"save (POST /api/save): {save_s * 1000:.1f} ms")
    translated = statistics.median(translation_drafts)
    print(f"translation draft (POST /api/draft, Polish: YAML, render of both languages, "
          f"translation checks): {ms(translation_drafts)}; "
          f"{translated / total:.2f}x the English draft")
    shown = total + 0.2
    print(f"change to checked preview incl. the page's 200 ms pause: {shown * 1000:.0f} ms "
          f"(target 1000 ms: {'met' if shown < 1 else 'missed'})")


if __name__ == "__main__":
    main()
