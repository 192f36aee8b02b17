"""Write changed values into a YAML file and keep everything else as it was.

ruamel.yaml reads a file into maps and lists that remember their comments, key order,
block styles (``|``, ``>-``) and quotes, and writes them back byte for byte when nothing
changed (PyYAML, which reads the files elsewhere in mailer, forgets all of that). So a
school's comments and layout survive an edit made in the browser, and changing one value
changes one line of the file. Indentation and string styles follow
:mod:`mailer.yamledit` (``mailer check --links --fix``), so both writers write alike.

:func:`merge` puts new plain values (``str``, ``datetime.date``, ``dict``, ``list``) into a
loaded document: a value equal to the one already there is left alone (with its style), a
changed string keeps the old one's style where it can (folded, literal, quoted), list items
are matched to the old ones by their ``url``, then ``title``, so reordering or editing a
link keeps its comments. The writer quotes whatever must be quoted (a ``:``, ``#``, a
leading quote, a tab), so a value can never break the file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from mailer.errors import MailerError
from mailer.yamledit import round_trip_yaml, same_style


def new_yaml(like: str = "") -> YAML:
    """The round-trip reader/writer for text written as ``like`` is (see
    :func:`mailer.yamledit.round_trip_yaml`)."""
    return round_trip_yaml(like)


def load_document(text: str) -> CommentedMap:
    """Parse ``text`` into a round-trip document (an empty map for an empty file).

    Raises:
        MailerError: when ``text`` is not YAML or its top level is not a set of
            ``name: value`` lines.
    """
    try:
        doc = new_yaml(text).load(text)
    except YAMLError as exc:
        raise MailerError(f"this is not valid YAML ({exc}).") from None
    if doc is None:
        return CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise MailerError("the file must be a set of 'name: value' lines.")
    return doc


def dump_document(doc: CommentedMap, like: str = "") -> str:
    """The YAML text of ``doc``, indented as ``like`` is (see :func:`new_yaml`)."""
    out = io.StringIO()
    new_yaml(like).dump(doc, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    """``value`` with ruamel's types turned into plain ``dict``, ``list`` and ``str``."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _styled(old: Any, new: str) -> str:
    """``new`` in the scalar style ``old`` was written in (:func:`mailer.yamledit.same_style`),
    except that text with a line break is always a ``|`` block and an empty old value
    (quoted ``""`` only because it was empty) gives no style."""
    if "\n" in new:
        return LiteralScalarString(new)
    if not isinstance(old, str) or not old:
        return new
    return same_style(old, new)


def _node(value: Any, key_order: dict[str, Sequence[str]], key: str = "") -> Any:
    """A fresh document node for a plain ``value``."""
    if isinstance(value, dict):
        node = CommentedMap()
        for k in _ordered(value, key_order.get(key, ())):
            node[k] = _node(value[k], key_order, k)
        return node
    if isinstance(value, list):
        return CommentedSeq(_node(v, key_order, key) for v in value)
    if isinstance(value, str):
        return _styled(None, value)
    return value


def _ordered(value: dict[str, Any], order: Sequence[str]) -> list[str]:
    known = [k for k in order if k in value]
    return known + [k for k in value if k not in known]


def _match(pool: list[Any], new: Any) -> Any:
    """Take from ``pool`` the old item that ``new`` is an edit of: same url, else same
    title, else the same plain value; ``None`` when there is none."""
    for field in (None, "url", "title"):
        for i, old in enumerate(pool):
            if field is None:
                hit = plain(old) == new
            else:
                hit = (isinstance(old, dict) and isinstance(new, dict) and new.get(field)
                       and str(old.get(field, "")) == new.get(field))
            if hit:
                return pool.pop(i)
    return None


def merge(old: Any, new: Any, key_order: dict[str, Sequence[str]] | None = None,
          key: str = "") -> Any:
    """Return the node to store for plain value ``new`` where ``old`` (a loaded node, or
    ``None``) was: ``old`` itself, updated in place, when it is a map or list or equal
    to ``new``; a new node otherwise.

    Args:
        key_order: for each key whose value is a map (``""`` for the top level), the
            order new keys go in; a key missing from the old map is inserted after the
            keys that come before it in that order.
    """
    order = key_order or {}
    if old is not None and plain(old) == new:
        return old
    if isinstance(new, dict) and isinstance(old, CommentedMap):
        owned = order.get(key)  # keys the caller does not know of (a source's date) stay
        update_map(old, new, order, key, owned=owned)
        return old
    if isinstance(new, list) and isinstance(old, CommentedSeq):
        pool = list(old)
        items = []
        for value in new:
            match = _match(pool, value)
            items.append(_node(value, order, key) if match is None
                         else merge(match, value, order, key))
        while len(old):
            old.pop()
        old.extend(items)
        return old
    if isinstance(new, str):
        return _styled(old, new)
    return _node(new, order, key)


def update_map(doc: CommentedMap, values: dict[str, Any],
               key_order: dict[str, Sequence[str]], key: str = "",
               owned: Sequence[str] | None = None) -> None:
    """Make ``doc``'s keys say ``values``: changed keys are merged (see :func:`merge`),
    new keys inserted in ``key_order[key]`` order, and keys in ``owned`` (default: all of
    ``doc``'s keys) that ``values`` lacks are removed. Other keys are left alone."""
    order = list(key_order.get(key, ()))
    removable = list(doc) if owned is None else [k for k in owned if k in doc]
    for k in removable:
        if k not in values:
            del doc[k]
    for k, value in values.items():
        if k in doc:
            merged = merge(doc[k], value, key_order, k)
            if merged is not doc[k]:
                doc[k] = merged
            continue
        position = len(doc)
        if k in order:
            before = order[: order.index(k)]
            existing = list(doc)
            after_index = [i for i, name in enumerate(existing) if name in before]
            position = after_index[-1] + 1 if after_index else 0
        doc.insert(position, k, _node(value, key_order, k))


def to_date(value: str) -> dt.date | str:
    """``"2026-12-01"`` as a ``datetime.date`` (written unquoted), anything else as is."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return value
