"""YAML syntax mistakes in words an office understands, at the line where the mistake is.

PyYAML reports where its parser gave up, in the parser's words (``expected <block end>,
but found '<scalar>'``), often many lines after the mistake: a missing closing quote is
reported where the next quote happens to be. :func:`explain_yaml_error` looks at the text
and the tokens read before the failure to name the line a person must change and what to
change there.
"""

from __future__ import annotations

import re

import yaml

_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<dashes>(?:- +)*)(?P<key>[^\s:#'\"\-][^:#]*?):(?:\s|$)")
_NO_SPACE = re.compile(r"^\s*(?:- +)?[\w-]+:\S")
_ITEM_LINE = re.compile(r"^(?P<indent> *)- ")
_BAD_START = re.compile(r"found character '(.+)' that cannot start any token")


def _significant(lines: list[str], upto: int) -> list[int]:
    """0-based indexes of lines before ``upto`` that hold something (not blank, not only
    a comment)."""
    return [i for i in range(min(upto, len(lines)))
            if lines[i].strip() and not lines[i].lstrip().startswith("#")]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shown(line: str, limit: int = 40) -> str:
    text = line.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _spaces(n: int) -> str:
    return f"{n} space" + ("" if n == 1 else "s")


def _key_column(line: str) -> int | None:
    """Column where a ``key:`` starts on ``line`` (after any ``- `` list markers)."""
    m = _KEY_LINE.match(line)
    if not m:
        return None
    return len(m.group("indent")) + len(m.group("dashes"))


def _tokens_before_error(text: str) -> list[yaml.Token]:
    out: list[yaml.Token] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            out.append(token)
    except (yaml.YAMLError, RecursionError):
        pass
    return out


def _tab_line(lines: list[str], upto: int) -> int | None:
    for i, line in enumerate(lines[: upto + 1]):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in lead and line.strip():
            return i
    return None


def explain_yaml_error(text: str, exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The 1-based line of the mistake behind ``exc`` and one or two sentences saying
    what to change there (the sentence does not repeat the file name or line)."""
    mark = exc.problem_mark or exc.context_mark
    if type(exc).__name__ == "PlainYAMLError":
        return (mark.line + 1 if mark is not None else None), exc.problem or ""
    lines = text.splitlines()
    err = mark.line if mark is not None else len(lines)  # 0-based
    problem = exc.problem or ""
    context = exc.context or ""

    tab = _tab_line(lines, err)
    if tab is not None:
        return tab + 1, ("this line is indented with a tab. Indent with spaces only (the "
                         "same number of spaces as the lines it belongs with).")

    # A quoted value that never closed swallows the lines after it, up to the next quote.
    if "quoted scalar" in context and exc.context_mark is not None:
        start = exc.context_mark.line
        return start + 1, _unclosed_quote(lines[start], exc.context_mark.column)
    tokens = _tokens_before_error(text)
    for token in reversed(tokens):
        if (isinstance(token, yaml.ScalarToken) and token.style in ("'", '"')
                and token.end_mark.line != token.start_mark.line
                and token.end_mark.line >= err - 1):
            start = token.start_mark.line
            return start + 1, _unclosed_quote(lines[start], token.start_mark.column)

    line = lines[err] if err < len(lines) else ""
    previous = _significant(lines, err)

    # Text after a closing quote on the same line: title: 'Don't do it' / "Hello" world.
    if "found '<scalar>'" in problem and mark is not None:
        quoted = [t for t in tokens if isinstance(t, yaml.ScalarToken)
                  and t.style in ("'", '"') and t.end_mark.line == err
                  and t.end_mark.column <= mark.column]
        if quoted:
            quote = quoted[-1].style
            other = 'double quotes (")' if quote == "'" else "single quotes (')"
            inside = f"write it twice ({quote}{quote})" if quote == "'" else f"write \\{quote}"
            return err + 1, (
                f"the value starts with a quote ({quote}), so it ends at the next {quote}, "
                f"but more text follows on this line. Put the whole value in {other} "
                f"instead, or, for a {quote} inside the value, {inside}.")

    # A value that starts as a list and goes on as text: title: [Draft] Video chat
    if "found '<scalar>'" in problem and mark is not None and any(
            isinstance(t, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken))
            and t.start_mark.line == err and t.start_mark.column < mark.column
            for t in tokens):
        return err + 1, ("the value starts with '[' or '{', so YAML reads it as a list, but "
                         "more text follows. Put the whole value in quotes.")

    # A line with no ': ' after its name: "language:en", or a stray line of text.
    if "could not find expected ':'" in problem and exc.context_mark is not None:
        start = exc.context_mark.line
        text_line = lines[start] if start < len(lines) else ""
        if _NO_SPACE.match(text_line):
            key = text_line.strip().split(":", 1)[0].lstrip("- ")
            return start + 1, (f"put a space after the colon in '{_shown(text_line)}' "
                               f"('{key}: ...').")
        return start + 1, ("this line is not 'name: value' and is not indented under a "
                           "name. Add the name and a colon, or indent it to belong to the "
                           "text above.")

    # A bracket that opens a value which is really text: title: [Draft] ...
    if context.startswith("while parsing a flow") and exc.context_mark is not None:
        start = exc.context_mark.line
        return start + 1, (
            "a value starting with '[' or '{' is read as a list, and it is not closed "
            "properly. If it is text, put the whole value in quotes.")

    bad = _BAD_START.search(problem)
    if bad or "while scanning an alias" in context or "while scanning an anchor" in context \
            or "while scanning a tag" in context or "constructor for the tag" in problem:
        char = bad.group(1) if bad else (
            "*" if "alias" in context else "&" if "anchor" in context else "!")
        return err + 1, (f"a value cannot start with '{char}' unless it is in quotes. Put "
                         "the whole value in quotes, e.g. \"" + f"{char}…\".")

    indent_words = _indentation(lines, err, previous)
    if indent_words and ("mapping values are not allowed" in problem
                         or "expected <block end>" in problem):
        return indent_words

    if "mapping values are not allowed" in problem:
        if previous and _NO_SPACE.match(lines[previous[-1]]) \
                and ": " not in lines[previous[-1]]:
            p = previous[-1]
            key = lines[p].strip().split(":", 1)[0].lstrip("- ")
            return p + 1, (f"put a space after the colon in '{_shown(lines[p])}' "
                           f"('{key}: ...').")
        m = _KEY_LINE.match(line)
        if m:
            key = m.group("key").strip()
            value = line[m.end():].strip()
            return err + 1, (
                f"the value of '{key}' contains a colon followed by a space, which YAML "
                f"reads as a new key. Put the whole value in quotes: "
                f"{key}: \"{_shown(value, 60)}\"")
        return err + 1, ("this line contains a colon followed by a space inside a value. "
                         "Put the whole value in quotes.")

    where = f" (column {mark.column + 1})" if mark is not None else ""
    said = problem or context or "this is not valid YAML"
    return (err + 1 if mark is not None else None), (
        f"this is not valid YAML: {said}{where}. Check the indentation and that any text "
        "containing ':' or '#' is in quotes.")


def _unclosed_quote(line: str, column: int) -> str:
    quote = line[column] if column < len(line) else '"'
    return (f"the value starting {quote}{_shown(line[column + 1:], 30)} has no closing "
            f"{quote}. Add a {quote} at the end of the value (or remove the opening one).")


def _indentation(lines: list[str], err: int, previous: list[int]) -> tuple[int, str] | None:
    """A line indented differently from the lines it belongs with: the words, or None."""
    if err >= len(lines) or not previous:
        return None
    line = lines[err]
    col = _indent(line)
    is_item = bool(_ITEM_LINE.match(line))
    candidates: list[tuple[int, int]] = []  # (column, 0-based line) of same-kind lines
    for i in reversed(previous):
        other = lines[i]
        if is_item:
            m = _ITEM_LINE.match(other)
            if m:
                candidates.append((_indent(other), i))
        else:
            kc = _key_column(other)
            if kc is not None:
                candidates.append((kc, i))
        if _indent(other) == 0 and not (is_item and _ITEM_LINE.match(other)):
            break  # nothing above a top-level line belongs with this one
    if not candidates or any(c == col for c, _ in candidates[:1]):
        prev = previous[-1]
        if (candidates and candidates[0][0] == col) or _indent(lines[prev]) >= col:
            return None
        # Indented further than a line holding a value: a continuation YAML rejects.
        if _key_column(lines[prev]) is None or lines[prev].rstrip().endswith(":"):
            return None
        return err + 1, (
            f"this line is indented further than line {prev + 1} above it "
            f"('{_shown(lines[prev])}'), which already has its value. Start it in the same "
            "column as the other lines at its level.")
    near_col, near = min(candidates, key=lambda c: (abs(c[0] - col), -c[1]))
    if near_col == col:
        return None
    prev = previous[-1]
    if (not is_item and _key_column(line) is None and _key_column(lines[prev]) is None
            and not _ITEM_LINE.match(lines[prev])):
        return err + 1, (
            f"this line is indented less than the text above it (line {prev + 1}). Indent "
            "every line of a text by the same number of spaces.")
    diff = col - near_col
    side = "right" if diff > 0 else "left"
    what = "list item" if is_item else "line"
    return err + 1, (
        f"this {what} is {_spaces(abs(diff))} too far to the {side} compared with line "
        f"{near + 1} ('{_shown(lines[near])}'), which is at the same level. Line them up: "
        "items at the same level must start in the same column.")
