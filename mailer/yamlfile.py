"""Load YAML files so that every later error can name the file and line.

Mappings are loaded as :class:`Node` (a ``dict`` that also remembers the 1-based line of
itself and of each key), so validation code can say ``mailer.yaml, line 12: unknown key``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mailer.errors import MailerError
from mailer.yamlwords import explain_yaml_error


class Node(dict):
    """A YAML mapping: a plain ``dict`` plus ``line`` (of the mapping) and ``key_lines``."""

    line: int | None = None
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: Any) -> int | None:
        """1-based line where ``key`` was written, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds :class:`Node` mappings carrying line numbers, and reads every
    plain scalar as text (``~`` and empty values stay ``None``).

    YAML 1.1's implicit typing silently corrupts what schools write: a phone number
    ``0163260123`` is read as an octal integer (30236755), ``+441632960123`` loses its
    ``+``, a link titled ``No`` becomes ``False`` and ``2024-02-30`` raises an exception.
    So no implicit int, float, bool or timestamp: the validation code converts the few
    values that are numbers or dates, and can name the line when they are not.
    """


class PlainYAMLError(yaml.MarkedYAMLError):
    """A YAML mistake whose ``problem`` is already in plain words (see
    :func:`mailer.yamlwords.explain_yaml_error`)."""


def _compose_node(loader: _LineLoader, parent: Any, index: Any) -> Any:
    """Compose a node, refusing YAML references (``&name`` / ``*name``).

    No snippet, list or setting needs them, and they are the way to make a small file
    expand to billions of entries ("billion laughs") or loop forever (a reference to
    itself); an office writing ``title: *Important* news`` meant text, not a reference.
    """
    event = loader.peek_event()
    if isinstance(event, yaml.AliasEvent):
        raise PlainYAMLError(None, None, (
            f"'*{event.anchor}' is read as a reference to another part of the file. If it "
            "is text, put the whole value in quotes."), event.start_mark)
    anchor = getattr(event, "anchor", None)
    if anchor:
        raise PlainYAMLError(None, None, (
            f"'&{anchor}' is read as a label for a reference, and the text after it "
            "would lose it. If it is text, put the whole value in quotes."),
            event.start_mark)
    return yaml.SafeLoader.compose_node(loader, parent, index)


_LineLoader.compose_node = _compose_node  # type: ignore[method-assign]

_TEXT_ONLY = {
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _TEXT_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    result = Node()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise PlainYAMLError(
                None, None, "a name before ':' must be plain text, not a list or section. "
                "If it is text, put it in quotes.", key_node.start_mark
            ) from exc
        if key in result:
            first = result.key_lines.get(key)
            raise PlainYAMLError(
                None, None, f"'{key}' is written twice (first on line {first}): keep one of "
                "them.", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


#: Deepest nesting of lists and mappings accepted. PyYAML composes nodes recursively, so a
#: file of thousands of ``[`` would exhaust Python's stack; no real snippet, list or
#: ``mailer.yaml`` nests more than a handful of levels.
MAX_DEPTH = 50


def parse_yaml(text: str, path: Path, error: type[MailerError] = MailerError) -> Any:
    """Parse YAML ``text`` (from ``path``, used only in messages).

    Returns plain Python values with mappings as :class:`Node`.

    Raises:
        error: (a :class:`MailerError` subclass) naming ``path`` and the line of the
            mistake, in words for someone who has never read the YAML specification: a
            missing closing quote, a colon inside an unquoted value, a tab or one space
            too many in the indentation, brackets nested too deeply (:data:`MAX_DEPTH`).
    """
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except RecursionError:
        line = _too_deep_line(text)
        raise error(
            f"lists or brackets are nested more than {MAX_DEPTH} deep here, which no "
            "advisory, list or setting needs. Check for stray '[' or '{' characters, or "
            "put the value in quotes.",
            path=path,
            line=line,
        ) from None
    except yaml.MarkedYAMLError as exc:
        line, words = explain_yaml_error(text, exc)
        raise error(words, path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"this is not valid YAML: {exc}", path=path) from None


def _too_deep_line(text: str) -> int | None:
    """1-based line where nesting first goes past :data:`MAX_DEPTH` (the event parser
    keeps its own stack, so it does not recurse)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(event.start_mark.line) + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        pass
    return None


def load_yaml(path: Path, error: type[MailerError] = MailerError) -> Any:
    """Read and parse the YAML file at ``path``; see :func:`parse_yaml`.

    Raises:
        error: when the file is missing, unreadable, not UTF-8, or not valid YAML.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error("the file does not exist.", path=path) from None
    except OSError as exc:
        raise error(f"the file cannot be read ({exc.strerror}).", path=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            "the file is not UTF-8 text. Save it as UTF-8 in your editor.", path=path, line=line
        ) from None
    return parse_yaml(text, path, error)


#: Keys a mapping accepts only so that validation can refuse them with their own message
#: (``smtp.password``: a secret never belongs in a file); never offered as "Allowed keys".
REFUSED_KEYS = frozenset({"password"})


def check_keys(
    node: Node,
    allowed: set[str] | dict[str, Any],
    path: Path,
    error: type[MailerError],
    where: str = "",
    required: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Check a mapping's keys: every key known, every required key present.

    Raises:
        error: naming the unknown key and the allowed keys, or the missing key.
    """
    prefix = f"in {where}: " if where else ""
    shown = ", ".join(sorted(k for k in allowed if k not in REFUSED_KEYS))
    for key in node:
        if key not in allowed:
            raise error(
                f"{prefix}unknown key '{key}'. Allowed keys: {shown}.",
                path=path,
                line=node.line_of(key),
            )
    for key in sorted(required):
        if key not in node:
            raise error(f"{prefix}the required key '{key}' is missing.", path=path, line=node.line)
        value = node[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            raise error(f"{prefix}'{key}' is empty: write its value after '{key}:'.",
                        path=path, line=node.line_of(key))
