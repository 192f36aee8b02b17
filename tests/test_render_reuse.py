"""Re-rendering in one process (the preview) reuses compiled templates but never serves a
stale one."""

from __future__ import annotations

import os
from pathlib import Path

from mailer.jobs import render_snippet
from mailer.workspace import Workspace


def test_edited_template_is_used_even_with_the_same_timestamp(workspace: Path) -> None:
    ws = Workspace(workspace)
    first = render_snippet(ws, "online-safety-webcams")
    assert "Edited footer line" not in first.text
    template = workspace / "templates" / "email.txt"
    stat = template.stat()
    template.write_text(template.read_text(encoding="utf-8") + "\nEdited footer line\n",
                        encoding="utf-8")
    # A FAT-formatted stick or a quick second save can leave the timestamp unchanged.
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = render_snippet(ws, "online-safety-webcams")
    assert "Edited footer line" in second.text
    assert second.digest != first.digest


def test_edited_snippet_is_rendered_again(workspace: Path) -> None:
    ws = Workspace(workspace)
    first = render_snippet(ws, "online-safety-webcams")
    snippet = workspace / "snippets" / "online-safety-webcams.yaml"
    text = snippet.read_text(encoding="utf-8")
    snippet.write_text(text.replace("title:", "title: Updated -", 1), encoding="utf-8")
    second = render_snippet(ws, "online-safety-webcams")
    assert second.snippet.title.startswith("Updated -")
    assert second.snippet.title in second.html and second.digest != first.digest
