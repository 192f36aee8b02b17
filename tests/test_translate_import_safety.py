"""``mailer translate import`` refuses a PO file with a mistake in it (naming the line) and
never silently replaces a translation with one that has fewer translated strings."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from tests.conftest import run_mailer

SNIPPET = "online-safety-webcams"


def _finished_po(workspace: Path, lang: str = "pl", share: float = 1.0) -> bytes:
    """A PO file as a translator sends it back: the export with ``share`` of its strings
    translated (each as "PL " + the English)."""
    result = run_mailer("translate", "export", SNIPPET, "--lang", lang, cwd=workspace)
    assert result.returncode == 0, result.stderr
    catalog = read_po((workspace / "translations" / f"{SNIPPET}.{lang}.po").open("rb"))
    messages = [m for m in catalog if m.id]
    keep = round(len(messages) * share)
    for n, message in enumerate(messages):
        message.string = f"PL {message.id}" if n < keep else ""
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    return buffer.getvalue()


def _import(workspace: Path, data: bytes, *extra: str):  # type: ignore[no-untyped-def]
    po = workspace / "x.pl.po"
    po.write_bytes(data)
    return run_mailer("translate", "import", str(po), "--snippet", SNIPPET, "--lang", "pl",
                      *extra, cwd=workspace)


def _break_line(data: bytes, pattern: str, replace: str) -> tuple[bytes, int]:
    """``data`` with the first line matching ``pattern`` rewritten; and its 1-based line."""
    lines = data.decode("utf-8").split("\n")
    for n, line in enumerate(lines):
        if re.search(pattern, line):
            lines[n] = re.sub(pattern, replace, line, count=1)
            return "\n".join(lines).encode("utf-8"), n + 1
    raise AssertionError(f"no line matches {pattern!r}")


def _refused(result, sentence: str) -> str:  # type: ignore[no-untyped-def]
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "Traceback" not in out
    assert sentence in out, out
    assert "line 0" not in out
    return out


@pytest.mark.parametrize(("pattern", "replace", "sentence"), [
    # the tester's case: a msgstr whose closing quote was deleted
    (r'^(msgstr "PL [^"]*)"$', r"\1", "a quote opened here is never closed"),
    # a quote inside the text not written as \"
    (r'^msgstr "PL ([^"]*)"$', r'msgstr "Kliknij "Zgoda" \1"', "text after the closing quote"),
    # a keyword mistyped by hand
    (r'^msgstr "PL', 'msgtsr "PL', "neither a PO keyword"),
    # a keyword with its quotes lost
    (r'^msgstr "PL ([^"]*)"$', r"msgstr PL \1", "msgstr must be followed by its text"),
])
def test_a_malformed_po_file_is_refused_with_its_line(workspace: Path, pattern: str,
                                                      replace: str, sentence: str) -> None:
    existing = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    before = existing.read_bytes()
    data, line = _break_line(_finished_po(workspace), pattern, replace)
    out = _refused(_import(workspace, data), sentence)
    assert f"x.pl.po, line {line}:" in out
    assert "Poedit" in out
    assert existing.read_bytes() == before


def test_a_malformed_po_file_writes_no_new_translation(workspace: Path) -> None:
    data, line = _break_line(_finished_po(workspace, "ro"), r'^(msgstr "PL [^"]*)"$', r"\1")
    po = workspace / "ro.po"
    po.write_bytes(data)
    result = run_mailer("translate", "import", str(po), cwd=workspace)
    out = _refused(result, "a quote opened here is never closed")
    assert f"line {line}:" in out
    assert not (workspace / "snippets" / f"{SNIPPET}.ro.yaml").exists()


@pytest.mark.parametrize("data", [
    b"Name,Email\nAnna Nowak,anna@example.org\n",          # a list saved as .po by mistake
    b"Dear Mrs Smith,\nPlease find the translation attached.\n",
])
def test_a_file_that_is_not_po_is_refused_in_plain_words(workspace: Path, data: bytes) -> None:
    existing = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    before = existing.read_bytes()
    out = _refused(_import(workspace, data), "not a PO file")
    assert "misformatted" not in out
    assert existing.read_bytes() == before


@pytest.mark.parametrize("data", [
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xdf\xa4\xd2lZ\x01\x00\x00",  # a .docx
    "msgid \"\"\nmsgstr \"\"\n\"Language: pl\\n\"\n".encode("utf-16"),   # Notepad's "Unicode"
    'msgid "Hello"\nmsgstr "Cze\u015b\u0107"\n'.encode("cp1250"),       # Windows Polish
])
def test_a_binary_or_non_utf8_file_is_refused_in_plain_words(workspace: Path,
                                                             data: bytes) -> None:
    existing = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    before = existing.read_bytes()
    out = _refused(_import(workspace, data), "not a PO file saved as UTF-8 text")
    assert "codec" not in out
    assert existing.read_bytes() == before


def test_fewer_translated_strings_do_not_replace_a_translation(workspace: Path) -> None:
    existing = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    before = existing.read_bytes()
    half = _finished_po(workspace, share=0.5)
    out = _refused(_import(workspace, half), "--replace")
    # the demo's Polish has 33 strings in Polish (6 link titles are names kept in English)
    assert "has 33 translated strings" in out
    assert "has only 20 of 39" in out
    assert existing.read_bytes() == before

    empty = _finished_po(workspace, share=0.0)
    _refused(_import(workspace, empty), "has no translated strings")
    assert existing.read_bytes() == before

    result = _import(workspace, half, "--replace")
    assert result.returncode == 0, result.stderr
    assert "20 of 39 strings translated" in result.stdout
    assert existing.read_bytes() != before


def test_a_complete_file_still_replaces_a_translation(workspace: Path) -> None:
    existing = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    full = _finished_po(workspace)
    result = _import(workspace, full)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "39 of 39 strings translated" in result.stdout
    assert "PL " in existing.read_text(encoding="utf-8")
    # importing the same file again is not "fewer"
    assert _import(workspace, full).returncode == 0


def test_replace_is_documented() -> None:
    result = run_mailer("translate", "import", "--help", cwd=Path.cwd())
    assert "--replace" in result.stdout
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    translators = readme[readme.index("## For translators"):]
    assert "--replace" in translators.split("\n## ")[0]


def test_a_file_with_nothing_translated_writes_no_translation(workspace: Path) -> None:
    # The export sent straight back: importing it would label English text as Somali.
    run_mailer("translate", "export", SNIPPET, "--lang", "so", cwd=workspace)
    po = workspace / "translations" / f"{SNIPPET}.so.po"
    for extra in ((), ("--replace",)):
        result = run_mailer("translate", "import", str(po), *extra, cwd=workspace)
        _refused(result, f"{SNIPPET}.so.po has no translated strings (every msgstr is "
                         "empty or fuzzy), so nothing was written")
        assert not (workspace / "snippets" / f"{SNIPPET}.so.yaml").exists()
