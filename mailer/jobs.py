"""High-level operations shared by the CLI and the preview server.

Each function takes a :class:`Workspace` and names, and returns data; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.config import ListsConfig
from mailer.errors import MailerError, SnippetError
from mailer.lists import ListReport, read_list, read_suppression
from mailer.render import Rendered, render
from mailer.snippets import Snippet, find_snippet, load_snippet, parse_snippet
from mailer.workspace import Workspace

if TYPE_CHECKING:  # python-docx is imported only by the commands that write Word files
    from mailer.letters import LetterPlan

RENDER_FILES = {"html": "email.html", "text": "email.txt", "block": "block.html"}


def render_snippet(ws: Workspace, name: str) -> Rendered:
    """Load snippet ``name`` (id or path) and render it with the workspace's configuration.

    Raises:
        MailerError: for a missing snippet, a snippet/config mistake or a template error.
    """
    snippet = load_snippet(find_snippet(name, ws.snippet_dirs))
    return render(snippet, ws.config, ws.template_dirs)


def render_snippet_text(ws: Workspace, text: str, path: Path) -> Rendered:
    """Render snippet YAML ``text`` that is not (yet) saved, as if it were the file ``path``
    (whose stem is the snippet id). Used by the browser editor for unsaved changes.

    Raises:
        MailerError: as :func:`render_snippet`, with lines counted in ``text``.
    """
    from mailer.yamlfile import parse_yaml

    snippet = parse_snippet(parse_yaml(text, path, SnippetError), path, source_text=text)
    return render(snippet, ws.config, ws.template_dirs)


def write_render(rendered: Rendered, out_dir: Path, formats: list[str]) -> list[Path]:
    """Write the chosen formats (``html``, ``text``, ``block``) into ``out_dir``.

    The full email and the text part are written for a neutral reader
    ("Dear Parent/Carer"). Returns the files written.

    Raises:
        MailerError: when the folder cannot be written.
    """
    html, text = rendered.personalise(rendered.preview_fields())
    content = {"html": html, "text": text, "block": rendered.block}
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = out_dir / RENDER_FILES[fmt]
            path.write_text(content[fmt], encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise MailerError(f"cannot write the output ({exc.strerror}).", path=out_dir) from None
    return written


def read_workspace_letters(ws: Workspace, snippet_name: str, list_name: str,
                           where: Sequence[str] = ()) -> tuple[LetterPlan, Snippet]:
    """Plan ``mailer letters``: the snippet, and which households of list ``list_name``
    get a paper copy (with the workspace's column mapping and suppression list).

    Raises:
        MailerError: for a missing snippet or list, a list with no postal address
            columns, or a bad ``--where``.
    """
    from mailer.letters import plan_letters

    snippet = load_snippet(find_snippet(snippet_name, ws.snippet_dirs))
    path = ws.list_path(list_name)
    config = ws.config
    configured = config.lists.suppression
    suppression = read_suppression(
        ws.root / configured, required=configured != ListsConfig().suppression
    )
    return plan_letters(path, config.lists.columns, suppression, where), snippet


def read_workspace_list(ws: Workspace, name: str, where: Sequence[str] = ()) -> ListReport:
    """Read list ``name`` (a path, or a file in ``lists/``) with the workspace's column
    mapping (``lists.columns``) and suppression list (``lists.suppression``), keeping the
    rows that match every ``--where COLUMN=VALUE`` in ``where``.

    Raises:
        mailer.errors.ListError: for a missing or unreadable list, a configured
            suppression list that is missing, or an unknown ``--where`` column.
        mailer.errors.MailerError: for a malformed ``--where``.
    """
    path = ws.list_path(name)
    config = ws.config
    configured = config.lists.suppression
    suppression = read_suppression(
        ws.root / configured, required=configured != ListsConfig().suppression
    )
    return read_list(path, config.lists.columns, suppression, where)
