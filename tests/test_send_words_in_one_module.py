"""Every sentence the send path shows a person is in :mod:`mailer.sendwords` (or, for
OAuth2 sign-in, :mod:`mailer.oauth.words`): the modules that send, journal and sign in
hold logic only, and the words module needs nothing above the data it words."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import mailer

PACKAGE = Path(mailer.__file__).parent

#: The modules of the send path, from the list to RCPT TO and the journal.
SEND_PATH = sorted(
    [PACKAGE / name for name in ("campaign.py", "credentials.py", "engine.py", "journal.py",
                                 "progress.py", "sending.py", "status.py")]
    + list((PACKAGE / "transports").glob("*.py")))

#: A statement to SQLite, not words for a person.
SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|AND|ORDER)\b")

#: Texts of two words or more that are data, not words for a person, and why.
NOT_WORDS = {
    # journal.AWAITING_REPLY: the reply stored while a message's data is on its way; the
    # words shown for it are sendwords.UNCERTAIN_WORDS.
    "data sent, awaiting reply",
}

#: A word: letters (with an apostrophe or a hyphen), between spaces or punctuation; not
#: an identifier (``stop_reason``), a placeholder or a pattern.
WORD = re.compile(r"(?<![\w{.\\])[A-Za-z]+(?:['-][A-Za-z]+)*(?=[\s.,:;!?)]|$)")


def _text(node: ast.AST) -> str:
    """The literal text of a string or f-string (``{}`` where a value goes)."""
    if isinstance(node, ast.Constant):
        return node.value
    assert isinstance(node, ast.JoinedStr)
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def _docstrings(tree: ast.Module) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def sentences(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``file:line: text`` for each string literal of two words or more in ``path``
    that is not a docstring, a statement to SQLite or in :data:`NOT_WORDS`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str)):
            text = _text(node)
            if (id(node) not in skip and len(WORD.findall(text)) >= 2
                    and not SQL.match(text) and text not in NOT_WORDS):
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}: {text!r}")
            if isinstance(node, ast.JoinedStr):  # the values put in: no format specs
                for part in node.values:
                    if isinstance(part, ast.FormattedValue):
                        visit(part.value)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_the_send_path_has_no_sentences_of_its_own():
    found = [line for path in SEND_PATH for line in sentences(path)]
    assert not found, "words for a person outside mailer/sendwords.py:\n" + "\n".join(found)


def test_the_check_finds_sentences_in_an_outcome_and_a_raise_not_sql_or_docstrings(
        tmp_path):
    sample = tmp_path / "mailer" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        '"""A docstring of many words is fine."""\n'
        'def f(where):\n'
        '    """So is this one, however long."""\n'
        '    db.execute("SELECT email, state FROM recipients WHERE campaign = ?")\n'
        '    ok = Outcome(State.SENT, 250, words.sent_words(where))\n'
        '    bad = Outcome(State.FAILED, 0, f"connection lost ({where})")\n'
        '    raise TransportError(f"cannot connect to {where:>10}: nothing answers")\n',
        encoding="utf-8")
    found = sentences(sample, tmp_path)
    assert [line.split(": ", 1)[0] for line in found] == ["mailer/sample.py:6",
                                                          "mailer/sample.py:7"]
    assert "connection lost ({})" in found[0]
    assert "cannot connect to {}: nothing answers" in found[1]


#: What mailer.sendwords may import: the data it words and nothing that uses it.
LOW = {"mailer.errors", "mailer.outcome", "mailer.config", "mailer.oauth.words"}


def test_the_words_module_imports_only_the_data_it_words():
    tree = ast.parse((PACKAGE / "sendwords.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module
                and node.module.startswith("mailer")}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names if alias.name.startswith("mailer")}
    assert imported <= LOW, f"mailer.sendwords imports {sorted(imported - LOW)}"


def test_importing_the_words_loads_no_module_of_the_send_path():
    code = ("import sys, mailer.sendwords, mailer.oauth.words; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('mailer'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True, check=True).stdout.split())
    send_path = {"mailer." + p.relative_to(PACKAGE).with_suffix("").as_posix()
                 .replace("/", ".").removesuffix(".__init__") for p in SEND_PATH}
    assert "mailer.sendwords" in loaded
    assert not loaded & send_path, sorted(loaded & send_path)
