"""High-level operations shared by the CLI and the preview server.

Each function takes a :class:`Workspace` and names, and returns data; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.config import ListsConfig
from mailer.errors import MailerError, SnippetError
from mailer.languages import best_match, is_english
from mailer.lists import ListReport, Recipient, read_list, read_suppression
from mailer.render import Rendered, render
from mailer.snippets import Snippet, find_snippet, list_translations, load_snippet, parse_snippet
from mailer.workspace import Workspace

if TYPE_CHECKING:  # python-docx is imported only by the commands that write Word files
    from mailer.letters import LetterPlan
    from mailer.translate import Imported

RENDER_FILES = {"html": "email.html", "text": "email.txt", "block": "block.html"}


def render_snippet(ws: Workspace, name: str) -> Rendered:
    """Load snippet ``name`` (id or path) and render it with the workspace's configuration.

    Raises:
        MailerError: for a missing snippet, a snippet/config mistake or a template error.
    """
    snippet = load_snippet(find_snippet(name, ws.snippet_dirs))
    return render(snippet, ws.config, ws.template_dirs)


def builtin_notice(ws: Workspace, name: str) -> str | None:
    """The one-line notice when snippet ``name`` resolves to a built-in advisory although
    the workspace exists (see :meth:`Workspace.builtin_snippet_notice`); ``None`` otherwise,
    and when ``name`` is no snippet at all (the command itself then says so)."""
    try:
        path = find_snippet(name, ws.snippet_dirs)
    except SnippetError:
        return None
    return ws.builtin_snippet_notice(path)


def render_snippet_text(ws: Workspace, text: str, path: Path) -> Rendered:
    """Render snippet YAML ``text`` that is not (yet) saved, as if it were the file ``path``
    (whose stem is the snippet id). Used by the browser editor for unsaved changes.

    Raises:
        MailerError: as :func:`render_snippet`, with lines counted in ``text``.
    """
    from mailer.yamlfile import parse_yaml

    snippet = parse_snippet(parse_yaml(text, path, SnippetError), path, source_text=text)
    return render(snippet, ws.config, ws.template_dirs)
def snippet_translations(ws: Workspace, snippet: Snippet) -> dict[str, Path]:
    """Language tag -> file of every translation of ``snippet`` (``ID.LANG.yaml`` in the
    workspace's ``snippets/`` or beside the snippet's own file). The packaged translations
    of a packaged advisory apply only while the workspace has no copy of its own (an
    edited copy would no longer say what they say)."""
    dirs = [(ws.root / "snippets").resolve(), snippet.path.parent.resolve()]
    return list_translations(snippet.id, list(dict.fromkeys(dirs)))


def load_language(ws: Workspace, snippet: Snippet, language: str) -> Snippet:
    """``snippet`` in ``language``: the translation that suits a reader of it (``pt-BR``
    takes ``pt``), or the English snippet itself when there is none (or ``language`` is
    English).

    Raises:
        mailer.errors.SnippetError: when the translation file is not a valid snippet.
    """
    if is_english(language) or snippet.language == language:
        return snippet
    files = snippet_translations(ws, snippet)
    match = best_match(language, tuple(files))
    return load_snippet(files[match]) if match is not None else snippet


def render_language(ws: Workspace, name: str, language: str = "") -> Rendered:
    """Render snippet ``name`` in ``language`` (its translation, else the English); ``""``
    renders the English.

    Raises:
        MailerError: as :func:`render_snippet`, and for an invalid translation file.
    """
    snippet = load_snippet(find_snippet(name, ws.snippet_dirs))
    return render(load_language(ws, snippet, language), ws.config, ws.template_dirs)


def export_translation(ws: Workspace, name: str, language: str,
                       out: Path | None = None) -> tuple[Path, int]:
    """Write the PO file for translating snippet ``name`` into ``language`` (default
    ``translations/SNIPPET.LANG.po`` in the workspace). Returns the file and how many
    strings it holds.

    Raises:
        MailerError: for a missing snippet, a language that is not one, or a file that
            cannot be written.
    """
    from mailer.languages import parse_language
    from mailer.translate import export_po, segments

    snippet = load_snippet(find_snippet(name, ws.snippet_dirs))
    data = export_po(snippet, language)
    tag = parse_language(language).tag
    path = out if out is not None else ws.root / "translations" / f"{snippet.id}.{tag}.po"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise MailerError(f"cannot write the PO file ({exc.strerror}).", path=path) from None
    return path, len(segments(snippet))


def import_translation(ws: Workspace, po_file: Path, language: str | None = None,
                       name: str | None = None, replace: bool = False) -> Imported:
    """Write ``snippets/SNIPPET.LANG.yaml`` in the workspace from a translated PO file; the
    snippet is the one the file names (``Project-Id-Version``) unless ``name`` is given.
    An existing translation is not replaced by one with fewer translated strings unless
    ``replace`` is True. Returns a :class:`mailer.translate.Imported`.

    Raises:
        MailerError: for an unreadable or malformed PO file (with its line), an unknown
            snippet or language, or fewer translated strings than the existing file.
    """
    from mailer.translate import import_po, read_po_file

    catalog = read_po_file(po_file)
    snippet_name = name or str(catalog.project or "")
    if not snippet_name or snippet_name == "PROJECT":
        raise MailerError("the PO file does not say which advisory it translates. Add "
                          "--snippet, for example --snippet online-safety-webcams.",
                          path=po_file)
    english = load_snippet(find_snippet(snippet_name, ws.snippet_dirs))
    return import_po(po_file, english, ws.root / "snippets", language or "", replace=replace)


def translation_file(ws: Workspace, name: str, language: str,
                     refused: str = "") -> tuple[str, Path | None]:
    """The translation of snippet ``name`` that ``language`` (a tag or a name: ``ar``,
    ``Polish``) asks for: (its tag, its file), or ``("", None)`` for English.

    Raises:
        MailerError: when there is no such translation, naming those there are;
            ``refused`` says what was therefore not done (``", so no letter was written"``).
    """
    from mailer.languages import english_name, parse_language

    tag = parse_language(language).tag
    if tag and is_english(tag):
        return "", None
    snippet = load_snippet(find_snippet(name, ws.snippet_dirs))
    files = snippet_translations(ws, snippet)
    match = best_match(tag, tuple(files)) if tag else None
    if match is None:
        have = ", ".join(f"{english_name(t)} ({t})" for t in files) or "none"
        raise MailerError(f"'{snippet.id}' has no translation into '{language}'{refused}. "
                          f"Translations: {have}.")
    return match, files[match]


def render_translation(ws: Workspace, name: str, language: str) -> Rendered:
    """Render the translation of snippet ``name`` into ``language`` (a tag or a name).

    Raises:
        MailerError: when there is no such translation (naming those there are), or as
            :func:`render_language`.
    """
    _, path = translation_file(ws, name, language)
    if path is None:
        return render_snippet(ws, name)
    return render(load_snippet(path), ws.config, ws.template_dirs)


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


def read_workspace_list(
    ws: Workspace, name: str, where: Sequence[str] = (),
    on_recipients: Callable[[list[Recipient]], object] | None = None,
) -> ListReport:
    """Read list ``name`` (a path, or a file in ``lists/``) with the workspace's column
    mapping (``lists.columns``) and suppression list (``lists.suppression``), keeping the
    rows that match every ``--where COLUMN=VALUE`` in ``where``; ``on_recipients``: see
    :func:`mailer.lists.read_list`.

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
    return read_list(path, config.lists.columns, suppression, where, on_recipients)
