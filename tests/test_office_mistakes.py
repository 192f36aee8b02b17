# ruff: noqa: E501 - a table of cases reads best one case per line
"""Mistakes a school office makes, through the command line: exit 2, no traceback, one
plain sentence naming the file and the line where the mistake is (issue 11).

Each row of ``MISTAKES`` changes a fresh copy of the demo workspace the way a person
would (an editor, Excel, the shell), runs ``mailer`` and checks what it says. The table
runs the CLI's entry point (:func:`mailer.cli.main`, argument parsing and exit codes
included) in this process, because a new Python process per row costs seconds on a busy
machine; an exception escaping ``main`` (what would print a traceback) fails the row.
The other tests run ``python -m mailer`` as a person would.
"""

from __future__ import annotations

import csv
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_mailer

SNIPPET = "online-safety-webcams"
SNIPPET_FILE = f"snippets/{SNIPPET}.yaml"
RENDER = ("render", SNIPPET, "--format", "text", "--stdout")
DRY_RUN = ("send", SNIPPET, "--list", "example-parents.csv", "--dry-run")


def replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    """An edit of file ``rel`` in the workspace: ``old`` (which must be there) -> ``new``."""
    def edit(ws: Path) -> None:
        path = ws / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (old, rel)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


def write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def edit(ws: Path) -> None:
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return edit


def append(rel: str, text: str) -> Callable[[Path], None]:
    def edit(ws: Path) -> None:
        with open(ws / rel, "a", encoding="utf-8") as fh:
            fh.write(text)
    return edit


def chain(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(ws: Path) -> None:
        for e in edits:
            e(ws)
    return edit


def links_with(text: str) -> Callable[[Path], None]:
    """The snippet's links replaced by ``text`` (starting at line 61, 'links:')."""
    def edit(ws: Path) -> None:
        path = ws / SNIPPET_FILE
        old = path.read_text(encoding="utf-8")
        path.write_text(old[: old.index("\nlinks:\n") + 1] + text, encoding="utf-8")
    return edit


class At:
    """The 1-based line of ``text`` in file ``rel`` of the workspace as shipped (before the
    edit), plus ``offset``; ``text=None`` means the file's last line. In ``words`` it
    stands for "line N"."""

    def __init__(self, rel: str, text: str | None = None, offset: int = 0) -> None:
        self.rel, self.text, self.offset = rel, text, offset

    def line(self, ws: Path) -> int:
        lines = (ws / self.rel).read_text(encoding="utf-8").splitlines()
        if self.text is None:
            return len(lines) + self.offset
        return next(i for i, line in enumerate(lines, 1) if self.text in line) + self.offset


CFG = "mailer.yaml"
TITLE_LINE = At("templates/email.html", "<title>{{ snippet.subject }}</title>")


def billion_laughs(ws: Path) -> None:
    rows = "".join(
        "  - &l{} {{title: A, url: https://a.example/, links: [{}]}}\n".format(
            k, ", ".join([f"*l{k - 1}"] * 9) if k else "")
        for k in range(9))
    links_with("links:\n" + rows)(ws)


# (id, edit, args, file, line, words): the message must read "FILE, line LINE: ..." (or
# "FILE: ..." when line is None; no file check when file is None) and contain every one
# of ``words``.
MISTAKES: list[tuple[str, Callable[[Path], None], tuple[str, ...], str | None,
                     int | At | None, tuple[str | At, ...]]] = [
    # --- the issue's own cases: deeply nested YAML ----------------------------------------
    ("title of 5,000 brackets", replace(SNIPPET_FILE, "title: Video chat",
                                        "title: " + "[" * 5000 + "]" * 5000 + "\nx: Video chat"),
     RENDER, SNIPPET_FILE, 5, ("nested more than 50 deep",)),
    ("3,000 nested mappings", replace(SNIPPET_FILE, "title: Video chat",
                                      "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\ntitle: V"),
     RENDER, SNIPPET_FILE, 5, ("nested more than 50 deep",)),
    ("600 brackets in a YAML list", write("lists/p.yaml", "- email: a@example.com\n  name: "
                                          + "[" * 600 + "]" * 600 + "\n"),
     ("lists", "check", "p.yaml"), "lists/p.yaml", 2, ("nested more than 50 deep",)),
    ("600 brackets in mailer.yaml", append("mailer.yaml", "lists:\n  columns:\n    email: "
                                           + "[" * 600 + "]" * 600 + "\n"),
     DRY_RUN, "mailer.yaml", At(CFG, None, 3), ("nested more than 50 deep",)),
    # --- YAML authoring, at the right line -------------------------------------------------
    ("missing closing quote",
     replace(SNIPPET_FILE, 'keeping your child safe"\n', "keeping your child safe\n"),
     RENDER, SNIPPET_FILE, 6, ('has no closing "', 'Add a " at the end')),
    ("colon in an unquoted value",
     replace(SNIPPET_FILE, "title: Video chat, webcams and keeping your child safe online",
             "title: Sextortion: what parents need to know"),
     RENDER, SNIPPET_FILE, 5,
     ("the value of 'title' contains a colon", 'title: "Sextortion: what parents need to know"')),
    ("tab in the indentation", replace(SNIPPET_FILE, "  We are writing", "\tWe are writing"),
     RENDER, SNIPPET_FILE, 14, ("indented with a tab", "spaces only")),
    ("top-level key indented one space", replace(SNIPPET_FILE, "\nlanguage: en", "\n language: en"),
     RENDER, SNIPPET_FILE, 11, ("1 space too far to the right", "line 10")),
    ("nested key one space left", replace("mailer.yaml", "    role: Designated", "   role: Designated"),
     DRY_RUN, "mailer.yaml", At(CFG, "role: Designated"), ("1 space too far to the left", At(CFG, "name: Ms Priya"))),
    ("nested key one space right", replace("mailer.yaml", "    role: Designated", "     role: Designated"),
     DRY_RUN, "mailer.yaml", At(CFG, "role: Designated"), ("1 space too far to the right", At(CFG, "name: Ms Priya"))),
    ("list item one space right", replace(SNIPPET_FILE, "  - title: Childnet\n", "   - title: Childnet\n"),
     RENDER, SNIPPET_FILE, 67, ("list item is 1 space too far to the right", "line 62")),
    ("list item one space left", replace(SNIPPET_FILE, "  - title: Childnet\n", " - title: Childnet\n"),
     RENDER, SNIPPET_FILE, 67, ("list item is 1 space too far to the left", "line 62")),
    ("key in a list item one space left",
     replace(SNIPPET_FILE, "    url: https://www.thinkuknow.co.uk/", "   url: https://www.thinkuknow.co.uk/"),
     RENDER, SNIPPET_FILE, 63, ("1 space too far to the left", "line 62")),
    ("unquoted # colour (kept)", replace("mailer.yaml", 'brand_colour: "#1d4f91"', "brand_colour: #1d4f91"),
     RENDER, "mailer.yaml", At(CFG, "brand_colour:"), ("'#' starts a comment", 'brand_colour: "#1d4f91"')),
    # --- templates -------------------------------------------------------------------------
    ("template reaches Python internals",
     replace("templates/email.html", "<title>{{ snippet.subject }}</title>",
             '<title>{{ "".__class__.__mro__[1].__subclasses__() }}</title>'),
     ("render", SNIPPET, "--format", "html", "--stdout"), "templates/email.html", TITLE_LINE,
     ("templates may not do", "__class__")),
    ("template reaches os through a function's globals",
     replace("templates/email.html", "<title>{{ snippet.subject }}</title>",
             '<title>{{ lipsum.__globals__["os"].environ }}</title>'),
     ("render", SNIPPET, "--format", "html", "--stdout"), "templates/email.html", TITLE_LINE,
     ("templates may not do",)),
    # --- further bad inputs: snippets --------------------------------------------------------
    ("a value that starts as a list", replace(SNIPPET_FILE, "title: Video chat", "title: [Draft] Video chat"),
     RENDER, SNIPPET_FILE, 5, ("reads it as a list", "in quotes")),
    ("an unclosed bracket", replace(SNIPPET_FILE, "title: Video chat", "title: [Draft Video chat"),
     RENDER, SNIPPET_FILE, 5, ("starting with '[' or '{'", "in quotes")),
    ("text after a closing quote",
     replace(SNIPPET_FILE, 'subject: "Online safety: video chat, webcams and keeping your child safe"',
             'subject: "Online safety" video chat'),
     RENDER, SNIPPET_FILE, 6, ("more text follows", "single quotes")),
    ("apostrophe inside single quotes", replace(SNIPPET_FILE, "title: Video chat", "title: 'Don't use video chat"),
     RENDER, SNIPPET_FILE, 5, ("write it twice ('')",)),
    ("no space after the colon", replace(SNIPPET_FILE, "\nlanguage: en\n", "\nlanguage:en\n"),
     RENDER, SNIPPET_FILE, 11, ("put a space after the colon in 'language:en'",)),
    ("a value starting with @", replace(SNIPPET_FILE, "audience: Parents and carers", "audience: @parents"),
     RENDER, SNIPPET_FILE, 12, ("cannot start with '@'", "quotes")),
    ("a value starting with *", replace(SNIPPET_FILE, "audience: Parents and carers", "audience: *All* parents"),
     RENDER, SNIPPET_FILE, 12, ("cannot start with '*'", "quotes")),
    ("a reference to nothing", replace(SNIPPET_FILE, "audience: Parents and carers", "audience: *parents"),
     RENDER, SNIPPET_FILE, 12, ("'*parents' is read as a reference", "quotes")),
    ("a stray line of text", replace(SNIPPET_FILE, "\nlanguage: en\n", "\nlanguage: en\nsee below\n"),
     RENDER, SNIPPET_FILE, 12, ("not 'name: value'",)),
    ("a value starting with &", replace(SNIPPET_FILE, "audience: Parents and carers", "audience: &parents"),
     RENDER, SNIPPET_FILE, 12, ("'&parents'", "quotes")),
    ("a value starting with !", replace(SNIPPET_FILE, "audience: Parents and carers", "audience: !important"),
     RENDER, SNIPPET_FILE, 12, ("cannot start with '!'",)),
    ("a key written twice", replace(SNIPPET_FILE, "\nlanguage: en\n", "\nlanguage: en\nlanguage: pl\n"),
     RENDER, SNIPPET_FILE, 12, ("'language' is written twice (first on line 11)",)),
    ("billion laughs in the links", billion_laughs,
     RENDER, SNIPPET_FILE, 62, ("'&l0'", "quotes")),
    ("a link that refers to itself", links_with(
        "links: &l\n  - title: A\n    url: https://a.example/\n    links: *l\n"),
     RENDER, SNIPPET_FILE, 61, ("'&l'",)),
    ("block text indented less", replace(SNIPPET_FILE, "  work together to keep", " work together to keep"),
     RENDER, SNIPPET_FILE, 15, ("indented less than the text above it",)),
    ("an impossible date", replace(SNIPPET_FILE, "date: 2015-05-12", "date: 2024-02-30"),
     RENDER, SNIPPET_FILE, 10, ("2024-02-30, which is not a real date: February 2024 has "
                                "29 days",)),
    ("a date in words", replace(SNIPPET_FILE, "date: 2015-05-12", "date: next Tuesday"),
     RENDER, SNIPPET_FILE, 10, ("YYYY-MM-DD",)),
    ("a title that is a section", replace(SNIPPET_FILE, "title: Video chat, webcams and keeping your child safe online",
                                          "title: {draft}"),
     RENDER, SNIPPET_FILE, 5, ("'title' must be text",)),
    ("a javascript: link", replace(SNIPPET_FILE, "url: https://www.thinkuknow.co.uk/", "url: javascript:alert(1)"),
     RENDER, SNIPPET_FILE, 63, ("https://",)),
    ("raw HTML in the body", replace(SNIPPET_FILE, "  We are writing", "  <script>alert(1)</script>\n  We are writing"),
     RENDER, SNIPPET_FILE, 14, ("raw HTML", "Markdown")),
    ("a snippet saved as Windows-1252", write(SNIPPET_FILE, b"title: caf\xe9\n"),
     RENDER, SNIPPET_FILE, 1, ("not UTF-8",)),
    ("an empty snippet", write(SNIPPET_FILE, ""), RENDER, SNIPPET_FILE, 1, ("'name: value' lines",)),
    ("an unknown language", replace(SNIPPET_FILE, "\nlanguage: en\n", "\nlanguage: klingon-xx-123456789\n"),
     RENDER, SNIPPET_FILE, 11, ("language code",)),
    # --- further bad inputs: mailer.yaml --------------------------------------------------------
    ("mailer.yaml is a folder", lambda ws: ((ws / "mailer.yaml").unlink(), (ws / "mailer.yaml").mkdir()),
     RENDER, "mailer.yaml", None, ("cannot be read",)),
    ("a colour name", replace("mailer.yaml", 'brand_colour: "#1d4f91"', "brand_colour: red"),
     RENDER, "mailer.yaml", At(CFG, "brand_colour:"), ("6-digit hex colour", "'red'")),
    ("a sender that is not an address", replace("mailer.yaml", "  from: Hollybank Primary School <office@hollybank.example.sch.uk>",
                                                "  from: office at school"),
     RENDER, "mailer.yaml", At(CFG, "  from: "), ("not an email address",)),
    ("a port in words", append("mailer.yaml", "smtp:\n  host: 127.0.0.1\n  port: abc\n"),
     DRY_RUN, "mailer.yaml", At(CFG, None, 3), ("whole number from 1 to 65535", "'abc'")),
    ("an unknown provider", append("mailer.yaml", "smtp:\n  provider: office365\n"),
     DRY_RUN, "mailer.yaml", At(CFG, None, 2), ("microsoft365",)),
    ("a misspelt smtp key", append("mailer.yaml", "smtp:\n  provider: microsoft365\n  usename: a@b.example\n"),
     DRY_RUN, "mailer.yaml", At(CFG, None, 3), ("unknown key 'usename'", "username")),
    ("a misspelt section", replace("mailer.yaml", "organisation:", "organization:"),
     RENDER, "mailer.yaml", At(CFG, "organisation:"), ("unknown key 'organization'", "organisation")),
    ("a javascript: website", replace("mailer.yaml", "website: https://www.hollybank.example.sch.uk/",
                                      "website: javascript:alert(1)"),
     RENDER, "mailer.yaml", At(CFG, "website:"), ("https://",)),
    ("unsubscribe in words", replace("mailer.yaml", "unsubscribe: mailto:office@hollybank.example.sch.uk?subject=unsubscribe",
                                     "unsubscribe: reply STOP"),
     RENDER, "mailer.yaml", At(CFG, "unsubscribe: mailto"), ("mailto:",)),
    ("a tab in mailer.yaml", replace("mailer.yaml", "  name: Hollybank", "\tname: Hollybank"),
     RENDER, "mailer.yaml", At(CFG, "  name: Hollybank"), ("indented with a tab",)),
    # --- further bad inputs: lists --------------------------------------------------------------
    ("an Excel workbook as the list", write("lists/parents.xlsx", b"PK\x03\x04\x14\x00\x06\x00" + bytes(200)),
     ("lists", "check", "parents.xlsx"), "lists/parents.xlsx", None, ("Excel workbook", "CSV UTF-8")),
    ("random bytes as the list", write("lists/p.csv", bytes(range(256)) * 4),
     ("lists", "check", "p.csv"), "lists/p.csv", 1, ("NUL bytes",)),
    ("a YAML list that is one section", write("lists/p.yaml", "email: a@example.com\n"),
     ("lists", "check", "p.yaml"), "lists/p.yaml", 1, ("'- '",)),
    ("a YAML list of plain lines", write("lists/p.yaml", "- a@example.com\n- b@example.com\n"),
     ("lists", "check", "p.yaml"), "lists/p.yaml", 1, ("entry 1",)),
    ("a YAML list with a nested address", write("lists/p.yaml", "- email: {x: y}\n"),
     ("lists", "check", "p.yaml"), "lists/p.yaml", 1, ("not a nested section",)),
    ("a list with a 5 MB cell", write("lists/p.csv", "Email\n" + "a" * 5_000_000 + "@b.example\n"),
     ("lists", "check", "p.csv"), "lists/p.csv", 2, ("the cell in column A ('Email') is "
                                                     "over 131,072 characters long",)),
    ("a suppression list that is a folder",
     lambda ws: ((ws / "lists" / "suppressed.txt").unlink(missing_ok=True),
                 (ws / "lists" / "suppressed.txt").mkdir()),
     ("lists", "check", "example-parents.csv"), "lists/suppressed.txt", None, ("cannot be read",)),
    ("--where without '='", lambda ws: None,
     ("lists", "check", "example-parents.csv", "--where", "year"), None, None, ("COLUMN=VALUE",)),
    ("--where on a column that is not there", lambda ws: None,
     ("lists", "check", "example-parents.csv", "--where", "colour=red"), "lists/example-parents.csv",
     None, ("no column 'colour'", "'Year'")),
    ("a device as the list", lambda ws: None,
     ("lists", "check", "/dev/zero"), None, None, ("not an ordinary file",)),
    ("a list that is not there: no suppressed.txt offered",
     write("lists/other.csv", "Email\na@example.com\n"),
     ("lists", "check", "nosuch"), None, None, ("example-parents.csv, other.csv.",)),
    ("a problems file in a folder that is not there", lambda ws: None,
     ("lists", "check", "example-parents.csv", "--problems", "nowhere/p.csv"), "nowhere/p.csv",
     None, ("does not exist",)),
    ("a problems file that is a folder", lambda ws: (ws / "out").mkdir(),
     ("lists", "check", "example-parents.csv", "--problems", "out"), "out", None,
     ("is a folder",)),
    # --- further bad inputs: templates and the workspace's folders ---------------------------------
    ("a template with a syntax error", write("templates/block.html", "<p>{{ snippet.title </p>\n"),
     ("render", SNIPPET, "--format", "block", "--stdout"), "templates/block.html", 1,
     ("template error",)),
    ("a template that calls itself forever",
     write("templates/block.html", "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n"),
     ("render", SNIPPET, "--format", "block", "--stdout"), "templates/block.html", 1,
     ("RecursionError",)),
    ("a template dividing by zero", replace("templates/email.html", "<title>{{ snippet.subject }}</title>",
                                            "<title>{{ 1 / 0 }}</title>"),
     ("render", SNIPPET, "--format", "html", "--stdout"), "templates/email.html", TITLE_LINE,
     ("division by zero",)),
    ("a huge range in a template", replace("templates/email.html", "<title>{{ snippet.subject }}</title>",
                                           "<title>{{ range(10**9)|list }}</title>"),
     ("render", SNIPPET, "--format", "html", "--stdout"), "templates/email.html", TITLE_LINE,
     ("Range too big",)),
    ("an empty email template", write("templates/email.html", ""),
     ("render", SNIPPET, "--format", "html", "--stdout"), "templates/email.html", None,
     ("produced nothing",)),
    ("a template saved as Windows-1252", write("templates/block.html", b"<p>caf\xe9</p>\n"),
     ("render", SNIPPET, "--format", "block", "--stdout"), None, None, ("not UTF-8",)),
    ("an output folder that is a file", write("outfile", "x"),
     ("render", SNIPPET, "--out", "outfile"), "outfile", None, ("cannot write",)),
    ("a build folder that is a file", write("build", "x"),
     ("render", SNIPPET), None, None, ("cannot write", "Not a directory")),
]


def run_main(args: tuple[str, ...], cwd: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> types.SimpleNamespace:
    """Run ``mailer ARGS`` through :func:`mailer.cli.main` in ``cwd``; returns
    ``returncode``, ``stdout``, ``stderr``."""
    from mailer.cli import main

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["mailer", *args])
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return types.SimpleNamespace(returncode=code, stdout=out, stderr=err)


@pytest.mark.parametrize(("edit", "args", "file", "line", "words"),
                         [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_mistake_gets_one_plain_sentence_at_the_right_line(
    workspace: Path, edit: Callable[[Path], None], args: tuple[str, ...], file: str | None,
    line: int | At | None, words: tuple[str | At, ...], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if isinstance(line, At):
        line = line.line(workspace)
    words = tuple(f"line {w.line(workspace)}" if isinstance(w, At) else w for w in words)
    edit(workspace)
    result = run_main(args, workspace, monkeypatch, capsys)
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err, result.stdout[:500])
    assert "Traceback" not in err and "Traceback" not in result.stdout
    message = err[err.index("Error: "):] if "Error: " in err else err
    if file is not None:
        where = f"{file}, line {line}:" if line is not None else f"{file}:"
        assert where in message, message
    if line is None and file is not None:
        assert f"{file}, line" not in message, message
    for w in words:
        assert w in " ".join(message.split()), (w, message)
    # Parser jargon never reaches the office.
    for jargon in ("<block end>", "<scalar>", "mapping values are not allowed",
                   "cannot start any token", "MarkedYAMLError", "RecursionError: maximum"
                   if "RecursionError" not in words else "\0"):
        assert jargon not in message, message
    assert not (workspace / "outbox").exists()  # nothing was sent


def test_at_least_forty_further_bad_inputs_are_tried() -> None:
    assert len(MISTAKES) - 16 >= 40  # the first 16 rows are the issue's own cases


# --- address cells: junk never becomes extra recipients ------------------------------------

JUNK_CELLS = [
    ("a@example.com\r\nRCPT TO:<evil1@evil.example>", "a@example.com\\r\\nRCPT TO:<evil1@evil.example>",
     "line break"),
    ("j@example.com>RCPT TO:<evil4@evil.example", "j@example.com>RCPT TO:<evil4@evil.example",
     "'<' or '>'"),
    ("a, evil@evil.example", "a, evil@evil.example", "words or spaces"),
    ("mark.jones@example,com", "mark.jones@example,com", "a ',' where an address has none"),
    ("a@example.com;<script>", "a@example.com;<script>", "'<' or '>'"),
    ("please use a@example.com", "please use a@example.com", "words or spaces"),
    ("a\u200b@example.com", "a\\u200b@example.com", "invisible character"),
]


def test_junk_in_an_address_cell_makes_the_row_invalid_as_typed(workspace: Path) -> None:
    rows = [["Contact Surname", "Pupil Forename", "Email"]]
    rows += [[f"Parent{i}", f"Child{i}", cell] for i, (cell, _, _) in enumerate(JUNK_CELLS)]
    rows += [["Good", "Amy", "good@example.com"],
             ["Two", "Ben", "one@example.com; two@example.com"],
             ["Slash", "Cal", "x@example.com/y@example.com"],
             ["Comma", "Dee", "i@example.com, evil3@evil.example"]]
    path = workspace / "lists" / "junk.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = run_mailer("lists", "check", "junk.csv", cwd=workspace)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # line numbers: the CRLF cell spans two lines, so later rows start one line later
    lines = [2, 4, 5, 6, 7, 8, 9]
    for line, (_, typed, reason) in zip(lines, JUNK_CELLS, strict=True):
        said = [s for s in out.splitlines() if s.strip().startswith(f"line {line}: invalid ")]
        assert len(said) == 1, (line, out)
        assert said[0].strip().startswith(f"line {line}: invalid {typed}: "), said[0]
        assert reason in said[0]
    assert "invalid com" not in out and "evil1" not in out.split("Left out:")[0]
    dry = run_mailer("send", SNIPPET, "--list", "junk.csv", "--dry-run", "--json",
                     cwd=workspace)
    assert dry.returncode == 0, dry.stderr
    recipients = {r for r in ("good@example.com", "one@example.com", "two@example.com",
                              "x@example.com", "y@example.com", "i@example.com",
                              "evil3@evil.example")}
    assert "6 recipients" not in dry.stderr
    assert f"-> {len(recipients)} recipients" in dry.stderr, dry.stderr
    for bad in ("evil1@", "evil4@", "evil@evil.example", "com\n"):
        assert f"To: {bad}" not in dry.stdout
    assert "line(s) 11, 12, 13 have several addresses in one cell" in dry.stderr


def test_greeting_from_a_name_with_a_nickname_and_a_suffix(workspace: Path) -> None:
    (workspace / "lists" / "p.csv").write_text(
        'Contact Name,Pupil Forename,Email\n"Ann ""Nan"" O\'Hara, Jr.",Amy,ann@example.com\n'
        '"Khan, Mrs Sadia",Ben,sadia@example.com\n"Mr John Smith, MBE",Cal,john@example.com\n',
        encoding="utf-8")
    result = run_mailer("send", SNIPPET, "--list", "p.csv", "--dry-run", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "Dear Jr." not in result.stdout
    assert 'Dear Ann "Nan" O\'Hara Jr.,' in result.stdout


def test_greetings_of_names_with_commas() -> None:
    from mailer.lists.people import split_carer_name
    assert split_carer_name('Ann "Nan" O\'Hara, Jr.') == ("", 'Ann "Nan"', "O'Hara Jr.")
    assert split_carer_name("Khan, Mrs Sadia") == ("Mrs", "Sadia", "Khan")
    assert split_carer_name("Mr John Smith, MBE") == ("Mr", "John", "Smith")
    assert split_carer_name("Smith, John, Jr.") == ("", "John", "Smith Jr.")


# --- the problems list ----------------------------------------------------------------------

def test_lists_check_problems_writes_every_row_that_will_not_get_the_email(
        workspace: Path) -> None:
    (workspace / "lists" / "p.csv").write_text(
        "Contact Title,Contact Forename,Contact Surname,Pupil Forename,Pupil Surname,Email,"
        "No Contact\n"
        "Mrs,Zoë,Brontë,Amy,Brontë,zoe@example.com,\n"
        "Mr,Mark,Jones,Tom,Jones,\"mark.jones@example,com\",\n"
        "Ms,Jo,Smith,Oliver,Smith,,\n"
        "Dr,Ngozi,Okafor,Ben,Okafor,ngozi@example.com,Yes\n"
        "Mrs,Imran,Khan,Cal,Khan,imran.khan@example.com,\n"
        "Mr,Lee,Evans,Dee,Evans,=HYPERLINK(\"http://x.example\"),\n",
        encoding="utf-8")
    (workspace / "lists" / "suppressed.txt").write_text("imran.khan@example.com\n")
    out = workspace / "problems.csv"
    result = run_mailer("lists", "check", "p.csv", "--problems", "problems.csv",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "Wrote problems.csv: 5 row(s) that will not get the email." in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the letters
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["Line", "Pupil", "Parent/carer", "Address as typed", "Problem",
                       "What to do"]
    got = {r[0]: r for r in rows[1:]}
    assert sorted(got) == ["3", "4", "5", "6", "7"]
    assert got["3"][1:4] == ["Tom Jones", "Mr Mark Jones", "mark.jones@example,com"]
    assert "','" in got["3"][4] and "Correct the email address" in got["3"][5]
    assert got["4"][1:4] == ["Oliver Smith", "Ms Jo Smith", ""]
    assert "No address" in got["4"][4] and "paper copy" in got["4"][5]
    assert got["5"][2] == "Dr Ngozi Okafor" and "flag" in got["5"][4]
    assert got["6"][3] == "imran.khan@example.com" and "suppression" in got["6"][4]
    assert got["7"][3] == "'=HYPERLINK(\"http://x.example\")"  # never a live formula
    assert os.stat(out).st_mode & 0o077 == 0


# --- commands that behave as a person expects -------------------------------------------------

def test_help_shows_no_type_names_and_whole_sentences(
        workspace: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def run(*args: str) -> types.SimpleNamespace:
        return run_main(args, workspace, monkeypatch, capsys)

    for args in (("--help",), ("send", "--help"), ("lists", "check", "--help"),
                 ("init", "--help"), ("status", "--help"), ("preview", "--help")):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        for jargon in ("<bool>", "<str>", "<path>", "<int>", "{snippet}", "{directory}"):
            assert jargon not in result.stdout, (args, jargon)
    top = run("--help").stdout
    assert "who failed, was deferred or is uncertain, with the server's reply." in top
    assert "change it with the page's Edit button. The page updates by itself" in top
    send = run("send", "--help").stdout
    assert "--list" in send and " LIST " in send


@pytest.mark.parametrize(("args", "words"), [
    (("--dry-run", "true"), "--dry-run takes no value: write just --dry-run (without 'true')."),
    (("--dry-run=yes",), "--dry-run takes no value: write just --dry-run (without '=yes')."),
    (("--dry-run", "--json", "false"), "--json takes no value: leave --json out"),
    (("--dry-run", "-y", "no"), "--yes takes no value: leave --yes out"),
])
def test_a_flag_given_a_value_says_it_takes_none(
        workspace: Path, args: tuple[str, ...], words: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(("send", SNIPPET, "--list", "example-parents.csv", *args), workspace,
                      monkeypatch, capsys)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert words in " ".join(result.stderr.replace("│", " ").split())
    assert not (workspace / "outbox").exists()


def test_a_path_split_by_the_shell_gets_a_hint_naming_the_file(
        workspace: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "lists" / "Parents export.csv").write_text("Email\na@example.com\n")
    for args in (("lists", "check", "lists/Parents", "export.csv"),
                 ("send", SNIPPET, "--list", "Parents", "export.csv", "--dry-run")):
        result = run_main(args, workspace, monkeypatch, capsys)
        assert result.returncode == 2
        said = " ".join(result.stderr.replace("│", " ").split())
        name = "lists/Parents export.csv" if args[0] == "lists" else "Parents export.csv"
        assert f"The file '{name}' exists, but its name has a space" in said, said
        assert f'put the path in quotes, e.g. "{name}"' in said
    other = run_main(("init", "My", "School"), workspace, monkeypatch, capsys)
    assert "If a name or path has spaces, put it in quotes." in " ".join(
        other.stderr.replace("│", " ").split())


def test_snippets_outside_a_workspace_says_where_it_looked(tmp_path: Path) -> None:
    result = run_mailer("snippets", cwd=tmp_path)
    assert result.returncode == 0
    assert (f"There is no workspace in {tmp_path.resolve()} (no mailer.yaml there), so these "
            "are only the built-in advisories.") in result.stderr
    assert SNIPPET in result.stdout


def test_init_writes_a_microsoft365_example_that_works_when_uncommented(tmp_path: Path) -> None:
    target = tmp_path / "school"
    assert run_mailer("init", str(target), cwd=tmp_path).returncode == 0
    text = (target / "mailer.yaml").read_text()
    assert "#   provider: microsoft365" in text
    assert "host:" not in text  # the provider fills in server, port and limits
    uncommented = text.replace("# smtp:", "smtp:").replace("#   ", "  ")
    (target / "mailer.yaml").write_text(uncommented)
    (target / "lists" / "p.csv").write_text("Email\na@example.com\n")
    dry = run_mailer("send", SNIPPET, "--list", "p.csv", "--dry-run", cwd=target)
    assert dry.returncode == 0, dry.stderr
    assert "smtp.office365.com" in dry.stderr + dry.stdout
    # The list hint offers lists, never the suppression list.
    missing = run_mailer("lists", "check", "nosuch", cwd=target)
    assert "suppressed.txt" not in missing.stderr and "p.csv" in missing.stderr


def test_smtp_allowed_keys_never_offer_password(
        workspace: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with open(workspace / "mailer.yaml", "a") as fh:
        fh.write("smtp:\n  provider: microsoft365\n  pasword: x\n")
    result = run_main(DRY_RUN, workspace, monkeypatch, capsys)
    assert result.returncode == 2
    assert "unknown key 'pasword'" in result.stderr and "username" in result.stderr
    assert "password," not in result.stderr and "password." not in result.stderr
    assert "password_env" in result.stderr
