"""Edit a YAML file in place without disturbing the rest of it (round trip).

People write snippets by hand: comments, key order, quoting, block scalars (``|``,
``>-``) and indentation are theirs. :func:`edit_yaml` loads a file with ruamel.yaml's
round-trip loader, lets a function change the data, and writes it back so that only the
changed values differ. Used by ``mailer check --links --fix``; written to be reused by any
command that changes a snippet (an editor, an importer).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from mailer.errors import MailerError

#: Longer than any line a person writes: ruamel.yaml must never re-wrap a value.
_NO_WRAP = 4096


def _structure_indent(text: str) -> tuple[int | None, int | None, int | None]:
    """``(mapping indent, sequence indent, dash offset)`` as the file's own nested maps
    and lists are written, read from where the parser found their keys and items (so the
    lines of a ``|`` block, such as a Markdown list in a body, are never taken for YAML
    structure); ``None`` for what the file does not show."""
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError:
        return None, None, None
    lines = text.splitlines()
    mapping = sequence = offset = None

    def walk(node: Any, column: int) -> None:
        nonlocal mapping, sequence, offset
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                key_column = node.lc.key(key)[1]
                if isinstance(value, CommentedMap) and value and mapping is None:
                    mapping = value.lc.key(next(iter(value)))[1] - key_column
                if isinstance(value, CommentedSeq) and value and sequence is None:
                    line, item_column = value.lc.item(0)
                    dash = lines[line].rfind("-", 0, item_column) if line < len(lines) else -1
                    if dash >= key_column:
                        sequence, offset = item_column - key_column, dash - key_column
                walk(value, key_column)
        elif isinstance(node, CommentedSeq):
            for item in node:
                walk(item, column)

    walk(data, 0)
    return mapping, sequence, offset


def round_trip_yaml(text: str = "") -> YAML:
    """A ruamel.yaml round-trip reader/writer set to write as ``text`` (a file's text) is
    written: its own indentation of nested maps and lists (:func:`_structure_indent`), and
    like the shipped files (two spaces, list dashes two spaces under their key) for what
    it does not show. Quotes are kept as written; lines are never re-wrapped. The one
    YAML configuration of every writer (``check --links --fix``, the browser editor)."""
    mapping, seq_indent, dash_offset = _structure_indent(text) if text else (None,) * 3
    if seq_indent is None:
        seq_indent, dash_offset = 4, 2
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _NO_WRAP
    # ``links:\n  - title:`` is a sequence indented 4 with its dash at 2 (offset 2).
    dash_offset = dash_offset or 0
    yaml.indent(mapping=mapping if mapping and mapping > 0 else 2,
                sequence=max(seq_indent, dash_offset + 2), offset=dash_offset)
    return yaml


def edit_yaml(path: Path, change: Callable[[Any], bool],
              error: type[MailerError] = MailerError) -> bool:
    """Load ``path`` (round trip), call ``change(data)``, and write the file back only when
    it returns True. The write is atomic (a temporary file renamed over the original), so
    a crash never leaves half a file. Line ends (LF or CRLF) and a UTF-8 byte order mark
    are kept as the file had them.

    ``data`` is ruamel.yaml's ``CommentedMap``/``CommentedSeq`` tree: change values in
    place (``data["url"] = ...``) to keep comments and order. Use :func:`same_style` to
    keep a string's block style (``|``, ``>``) when replacing it.

    Returns:
        True when the file was written.

    Raises:
        error: when the file cannot be read, parsed or written.
    """
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise error(f"the file cannot be read ({exc.strerror}).", path=path) from None
    except UnicodeDecodeError:
        raise error("the file is not UTF-8 text.", path=path) from None
    # Keep how the file was saved: Windows line ends (CRLF) and a byte order mark.
    newline = "\r\n" if b"\r\n" in raw else "\n"
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    text = text.replace("\r\n", "\n")
    try:
        yaml = round_trip_yaml(text)
        data = yaml.load(text)
    except YAMLError as exc:
        raise error(f"this is not valid YAML ({exc}).", path=path) from None
    if not change(data):
        return False
    try:
        out = io.StringIO()
        yaml.dump(data, out)
        write_text_atomic(path, out.getvalue(), newline=newline,
                          bom=encoding == "utf-8-sig")
    except OSError as exc:
        raise error(f"the file cannot be written ({exc.strerror}).", path=path) from None
    return True


def write_text_atomic(path: Path, text: str, newline: str = "\n", bom: bool = False) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder renamed over
    it, so a crash never leaves half a file. Keeps an existing file's permissions (new
    files get 0644); ``newline`` (``"\\n"`` or ``"\\r\\n"``) and ``bom`` keep the line ends and
    UTF-8 byte order mark the file had (Windows editors write both). The one writer of
    YAML files: ``check --links --fix`` (:func:`edit_yaml`) and the browser editor.

    Raises:
        OSError: when the folder or file cannot be written (nothing is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8",
                       newline=newline) as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_like_existing(path: Path, text: str) -> None:
    """:func:`write_text_atomic` with the line ends (CRLF or LF) and UTF-8 byte order mark
    the file at ``path`` has now (LF, no mark, for a new file).

    Raises:
        OSError: as :func:`write_text_atomic`.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = b""
    write_text_atomic(path, text, newline="\r\n" if b"\r\n" in raw else "\n",
                      bom=raw.startswith(b"\xef\xbb\xbf"))


def same_style(old: Any, new_text: str) -> Any:
    """``new_text`` as the same kind of YAML string as ``old`` (literal ``|``, folded ``>``,
    quoted or plain), with ``old``'s anchor (``&name``) if it had one, so replacing a value
    keeps how it is written. A folded string loses where it was folded: see
    :func:`map_strings`, which keeps the folds."""
    if isinstance(old, LiteralScalarString):
        new: Any = LiteralScalarString(new_text)
    elif isinstance(old, FoldedScalarString):
        new = FoldedScalarString(new_text)
    elif isinstance(old, str) and type(old) is not str:
        new = type(old)(new_text)  # DoubleQuotedScalarString, SingleQuotedScalarString...
    else:
        return new_text
    anchor = getattr(old, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        new.yaml_set_anchor(anchor.value, always_dump=True)
    return new


def _refold(old: FoldedScalarString, fn: Callable[[str], str], new_text: str) -> list[int]:
    """Where to fold ``new_text``, the result of ``fn`` on the folded string ``old``: the
    same line breaks as the file had, when ``fn`` changes each folded line on its own (a
    URL never spans a fold: it has no spaces); else none (one long line)."""
    folds = list(getattr(old, "fold_pos", []) or [])
    if not folds:
        return []
    text = str(old)
    starts = [0] + [p + 1 for p in folds]
    ends = folds + [len(text)]
    lines = [fn(text[a:b]) for a, b in zip(starts, ends, strict=True)]
    if " ".join(lines) != new_text:
        return []
    positions, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        positions.append(at)
        at += 1
    return positions


def map_strings(data: Any, fn: Callable[[Any, str], str]) -> int:
    """Call ``fn(key, text)`` for every string value in ``data`` (nested mappings and
    lists; ``key`` is the mapping key, or ``None`` for a list item) and store what it
    returns when that differs, keeping the string's style, anchor and, for a folded
    (``>``) string, its line breaks (see :func:`same_style`). A value written once with an
    anchor and used again by alias (``*name``) stays one value, so the alias is kept.
    Returns how many strings changed."""
    changed = 0
    done: dict[int, tuple[Any, Any]] = {}  # id(old) -> (old, new): aliases share a node

    def visit(container: Any, index: Any, key: Any) -> None:
        nonlocal changed
        value = container[index]
        if isinstance(value, str):
            if id(value) in done and done[id(value)][0] is value:
                container[index] = done[id(value)][1]
                changed += 1
                return
            new = fn(key, str(value))
            if new != str(value):
                styled = same_style(value, new)
                if isinstance(value, FoldedScalarString):
                    styled.fold_pos = _refold(value, lambda t: fn(key, t), new)
                done[id(value)] = (value, styled)
                container[index] = styled
                changed += 1
        else:
            walk(value)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k in list(node):
                visit(node, k, k)
        elif isinstance(node, list):
            for i in range(len(node)):
                visit(node, i, None)

    walk(data)
    return changed
