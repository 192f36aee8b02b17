"""Translations of an advisory: the strings a translator sees, a gettext PO file for them
(Babel), and the translated snippet written back.

Every string of a snippet is a *segment* with a stable context (``msgctxt``): ``title``,
``subject``, ``preheader``, ``audience``, each paragraph, heading and list item of the
body (``body 3 (list item)``, keeping its inline Markdown: ``**bold**``,
``[text](https://...)``), the links' heading, titles and descriptions (``link 2.1
title``) and the button. URLs are never segments: a translation keeps the English ones.

The PO file's ``Project-Id-Version`` is ``SNIPPET DIGEST`` (the snippet id and the
:func:`~mailer.snippets.english_digest` of the English exported), so the import knows the
snippet, and ``mailer check`` can say when the English has changed since.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from mailer.errors import MailerError, SnippetError
from mailer.languages import english_name, parse_language
from mailer.snippets import Link, Snippet, english_digest, markdown_tokens


@dataclass(frozen=True)
class Block:
    """One block of a snippet body.

    Attributes:
        kind: ``paragraph``, ``heading``, ``list item``, ``code`` or ``rule``.
        prefix: what starts its first line (``## ``, ``  - ``, ``1. ``, ``> ``).
        text: its inline Markdown on one line (code: the code as written).
        line: 0-based line of the body where it starts.
        tight: True for a list item of a list written without blank lines.
    """

    kind: str
    prefix: str
    text: str
    line: int
    tight: bool = False


def body_blocks(body: str) -> list[Block]:
    """Split Markdown ``body`` into its blocks, in order (see :class:`Block`); joining them
    with :func:`join_blocks` gives Markdown that renders to the same structure."""
    out: list[Block] = []
    tokens = markdown_tokens(body)
    lists: list[dict[str, Any]] = []  # open lists, innermost last
    items: list[bool] = []  # per open list item: has its first paragraph been seen
    quote = 0
    for i, token in enumerate(tokens):
        t = token.type
        line = token.map[0] if token.map else 0
        if t in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1) or 1) if t == "ordered_list_open" else 1
            lists.append({"ordered": t == "ordered_list_open", "marker": token.markup,
                          "n": start - 1})
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "list_item_open":
            lists[-1]["n"] += 1
            items.append(False)
        elif t == "list_item_close":
            items.pop()
        elif t == "blockquote_open":
            quote += 1
        elif t == "blockquote_close":
            quote -= 1
        elif t in ("fence", "code_block"):
            out.append(Block("code", "", token.content.rstrip("\n"), line))
        elif t == "hr":
            out.append(Block("rule", "", "---", line))
        elif t in ("paragraph_open", "heading_open"):
            text = " ".join(tokens[i + 1].content.split())
            indent = "".join("   " if lst["ordered"] else "  " for lst in lists[:-1])
            q = "> " * quote
            if t == "heading_open":
                out.append(Block("heading", q + token.markup + " ", text, line))
            elif lists and not items[-1]:
                lst = lists[-1]
                marker = f"{lst['n']}{lst['marker']} " if lst["ordered"] else f"{lst['marker']} "
                items[-1] = True
                out.append(Block("list item", q + indent + marker, text, line,
                                 tight=token.hidden))
            elif lists:
                width = len(indent) + (3 if lists[-1]["ordered"] else 2)
                out.append(Block("paragraph", q + " " * width, text, line))
            else:
                out.append(Block("paragraph", q, text, line))
    return out


def join_blocks(blocks: list[Block]) -> str:
    """Markdown from :func:`body_blocks` output (texts possibly translated): one line per
    block, a blank line between blocks except between items of a tight list."""
    lines: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if previous is not None and not (
            block.kind == "list item" and previous.kind == "list item" and block.tight
            and previous.tight
        ):
            lines.append("")
        if block.kind == "code":
            lines.extend(["```", *block.text.splitlines(), "```"])
        else:
            lines.append(block.prefix + block.text)
        previous = block
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Segment:
    """One string a translator translates: ``context`` (the PO ``msgctxt``), the English
    ``text``, a ``note`` for the translator and the snippet ``line`` it comes from."""

    context: str
    text: str
    note: str = ""
    line: int | None = None


def _link_segments(links: tuple[Link, ...], prefix: str) -> list[Segment]:
    out: list[Segment] = []
    for n, link in enumerate(links, 1):
        number = f"{prefix}{n}"
        out.append(Segment(f"link {number} title", link.title,
                           f"The words people click, for {link.url}.", link.line))
        if link.description:
            out.append(Segment(f"link {number} description", link.description, "", link.line))
        out.extend(_link_segments(link.links, f"{number}."))
    return out


def segments(snippet: Snippet) -> list[Segment]:
    """Every string of ``snippet`` a translator sees, in reading order (see the module)."""
    out = [
        Segment("title", snippet.title, "The heading at the top of the email."),
        Segment("subject", snippet.subject, "The email's subject line."),
        Segment("preheader", snippet.preheader,
                "The short summary inboxes show after the subject."),
        Segment("audience", snippet.audience, "Who the advisory is for, shown under the title."),
    ]
    for n, block in enumerate(body_blocks(snippet.body), 1):
        if block.kind in ("code", "rule"):
            continue
        note = ("Keep the Markdown: **bold**, *italic*, and [words](https://...) links with "
                "their addresses unchanged.") if any(c in block.text for c in "*_[") else ""
        out.append(Segment(f"body {n} ({block.kind})", block.text, note,
                           snippet.body_line + block.line))
    if snippet.call_to_action is not None:
        cta = snippet.call_to_action
        out.append(Segment("button text", cta.text, f"The button, which opens {cta.url}."))
        if cta.description:
            out.append(Segment("button description", cta.description))
    if snippet.links:
        if snippet.links_heading:
            out.append(Segment("links heading", snippet.links_heading))
        out.extend(_link_segments(snippet.links, ""))
    return out


def export_po(snippet: Snippet, language: str) -> bytes:
    """The PO file (UTF-8) for translating ``snippet`` into ``language``: every segment
    with its context, the English as ``msgid`` and an empty ``msgstr``.

    Raises:
        MailerError: for a ``language`` that is no language tag, or English.
    """
    tag = parse_language(language).tag
    if not tag or tag.split("-")[0] == "en":
        raise MailerError(f"--lang must name the language to translate into, such as pl, ar "
                          f"or pt-BR, not '{language}'.")
    try:
        catalog = Catalog(locale=tag.replace("-", "_"), project=snippet.id,
                          version=english_digest(snippet), fuzzy=False,
                          language_team=f"{english_name(tag)} <>",
                          header_comment=_header_comment(snippet, tag))
    except ValueError:
        catalog = Catalog(locale=None, project=snippet.id, version=english_digest(snippet),
                          fuzzy=False, header_comment=_header_comment(snippet, tag))
    catalog.language_team = f"{english_name(tag)} ({tag})"
    for seg in segments(snippet):
        catalog.add(seg.text, "", context=seg.context,
                    auto_comments=[seg.note] if seg.note else [],
                    locations=[(snippet.path.name, seg.line)] if seg.line else [])
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=False)
    text = buffer.getvalue().decode("utf-8")
    # Say the language in a header every PO tool keeps, also when Babel has no locale data.
    if '"Language: ' not in text:
        text = text.replace('"MIME-Version: 1.0\\n"',
                            f'"Language: {tag}\\n"\n"MIME-Version: 1.0\\n"', 1)
    return text.encode("utf-8")


def _header_comment(snippet: Snippet, tag: str) -> str:
    return (
        f"# {english_name(tag)} translation of the advisory '{snippet.title}'\n"
        f"# ({snippet.id}, {snippet.date.isoformat()}), for mailer.\n"
        "#\n"
        "# Translate every msgstr. Keep Markdown (**bold**, [words](https://...)) and leave\n"
        "# web addresses as they are. When done, the school runs:\n"
        "#   mailer translate import THIS-FILE.po"
    )


@dataclass(frozen=True)
class Imported:
    """The result of :func:`import_po`.

    Attributes:
        path: the translation file written (``snippets/SNIPPET.LANG.yaml``).
        language: its language tag.
        translated: how many segments had a translation.
        untranslated: contexts of segments left in English (empty or fuzzy ``msgstr``).
        unknown: contexts in the PO file that the English no longer has (ignored).
        english_changed: True when the English changed since the PO file was exported.
    """

    path: Path
    language: str
    translated: int
    untranslated: list[str]
    unknown: list[str]
    english_changed: bool


_PO_FIX = "Open the file in Poedit or a text editor and correct it."
_PO_KEYWORD = re.compile(r"(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)(?=\s|\"|$)")
_PO_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _po_line_problem(line: str) -> str:
    """What is wrong with one line of a PO file (gettext manual, "The Format of PO
    Files"), or "" when the line is well formed."""
    text = line.strip()
    if not text or text.startswith("#"):
        return ""
    keyword = _PO_KEYWORD.match(text)
    rest = text[keyword.end():].strip() if keyword else text
    if keyword and not rest.startswith('"'):
        return f"{keyword.group(1)} must be followed by its text in double quotes."
    if not rest.startswith('"'):
        shown = text if len(text) <= 40 else text[:37] + "..."
        return (f"'{shown}' is neither a PO keyword (msgctxt, msgid, msgstr) nor text "
                "in double quotes.")
    quoted = _PO_QUOTED.match(rest)
    if quoted is None:
        return "a quote opened here is never closed."
    if rest[quoted.end():].strip():
        return ('there is text after the closing quote (a quote inside the text must be '
                'written \\").')
    return ""


def read_po_file(path: Path) -> Catalog:
    """Read a PO file (UTF-8 text, gettext's format) with Babel, after checking every
    line, so that a mistake is refused rather than read as English.

    Raises:
        MailerError: naming the file and the 1-based line, in a plain sentence, when it
            cannot be read, is not UTF-8 text, or has a line that is not valid PO.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MailerError("the PO file does not exist.", path=path) from None
    except OSError as exc:
        raise MailerError(f"the PO file cannot be read ({exc.strerror}).", path=path) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MailerError("this is not a PO file saved as UTF-8 text (it is UTF-16). Save it "
                          "again as UTF-8 (in Poedit or a text editor) and import that.",
                          path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MailerError("this is not a PO file saved as UTF-8 text. Import the .po file "
                          "the translator sent back, saved as UTF-8.", path=path,
                          line=data[:exc.start].count(b"\n") + 1) from None
    if "\x00" in text:
        raise MailerError("this is not a PO file saved as UTF-8 text (it holds binary data). "
                          "Import the .po file the translator sent back.", path=path,
                          line=text[:text.index("\x00")].count("\n") + 1)
    lines = text.splitlines()
    if not any(_PO_KEYWORD.match(line.strip()) for line in lines):
        raise MailerError("this is not a PO file: it has no msgid lines. Import the .po file "
                          "the translator sent back.", path=path)
    for number, line in enumerate(lines, 1):
        problem = _po_line_problem(line)
        if problem:
            raise MailerError(f"{problem} {_PO_FIX}", path=path, line=number)
    try:
        return read_po(io.BytesIO(data), abort_invalid=True)
    except Exception as exc:  # Babel's PoFileError; its lineno counts from 0
        lineno = getattr(exc, "lineno", None)
        raise MailerError(f"this line is not valid in a PO file. {_PO_FIX}", path=path,
                          line=max(int(lineno) + 1, 1) if isinstance(lineno, int) else None,
                          ) from None


def _translated_count(existing: Path, english: Snippet) -> int:
    """How many of ``english``'s segments the translation file ``existing`` has in words
    other than the English (0 when it cannot be read)."""
    from mailer.snippets import load_snippet

    try:
        theirs = {s.context: s.text for s in segments(load_snippet(existing))}
    except (MailerError, OSError):
        return 0
    return sum(1 for s in segments(english)
               if theirs.get(s.context, s.text).strip() not in ("", s.text.strip()))


def po_language(catalog: Catalog, path: Path) -> str:
    """The language tag a PO file is for (its ``Language`` header).

    Raises:
        MailerError: when the header is missing or names no language.
    """
    locale = catalog.locale_identifier or ""
    tag = parse_language(str(locale).replace("_", "-")).tag if locale else ""
    if not tag:
        raise MailerError("the PO file says no language (its 'Language:' header is empty). "
                          "Add --lang, for example --lang pl.", path=path)
    return tag


def translated_snippet_data(english: Snippet, catalog: Catalog, language: str,
                            ) -> tuple[dict[str, Any], list[str], list[str]]:
    """The YAML data of the translation of ``english`` that ``catalog`` holds, with the
    contexts left untranslated and the contexts the English does not have."""
    strings: dict[str, str] = {}
    for message in catalog:
        if not message.id or not message.context:
            continue
        if message.string and not message.fuzzy:
            strings[str(message.context)] = str(message.string)
        else:
            strings.setdefault(str(message.context), "")
    segs = segments(english)
    known = {s.context for s in segs}
    untranslated = [s.context for s in segs if not strings.get(s.context)]
    unknown = [c for c in strings if c not in known]

    def get(context: str, default: str) -> str:
        return " ".join((strings.get(context) or default).split()) if "\n" not in (
            strings.get(context) or default) else (strings.get(context) or default)

    blocks = body_blocks(english.body)
    translated_blocks = [
        Block(b.kind, b.prefix, get(f"body {n} ({b.kind})", b.text), b.line, b.tight)
        if b.kind not in ("code", "rule") else b
        for n, b in enumerate(blocks, 1)
    ]

    def links(items: tuple[Link, ...], prefix: str) -> list[dict[str, Any]]:
        out = []
        for n, link in enumerate(items, 1):
            number = f"{prefix}{n}"
            entry: dict[str, Any] = {"title": get(f"link {number} title", link.title),
                                     "url": link.url}
            if link.description:
                entry["description"] = get(f"link {number} description", link.description)
            if link.links:
                entry["links"] = links(link.links, f"{number}.")
            out.append(entry)
        return out

    data: dict[str, Any] = {
        "title": get("title", english.title),
        "subject": get("subject", english.subject),
        "preheader": get("preheader", english.preheader),
        "date": english.date.isoformat(),
        "language": language,
        "audience": get("audience", english.audience),
        "body": join_blocks(translated_blocks),
    }
    if english.call_to_action is not None:
        cta = english.call_to_action
        data["call_to_action"] = {"text": get("button text", cta.text), "url": cta.url}
        if cta.description:
            data["call_to_action"]["description"] = get("button description", cta.description)
    if english.links:
        if english.links_heading:
            data["links_heading"] = get("links heading", english.links_heading)
        data["links"] = links(english.links, "")
    if english.sources:
        data["sources"] = [{"title": s.title, "url": s.url, **({"date": s.date} if s.date else {})}
                           for s in english.sources]
    data["translation"] = {
        "from_english": str(catalog.version or "") if catalog.project == english.id else "",
        "native_speaker_reviewed": "no",
        "translator": str(catalog.last_translator or "")
        if "FULL NAME" not in str(catalog.last_translator or "") else "",
    }
    return data, untranslated, unknown


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as ``|`` blocks, so the body stays readable Markdown."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_translation(data: dict[str, Any], comment: str) -> str:
    """YAML text of a translated snippet, with ``comment`` lines at the top."""
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000,
                     default_flow_style=False)
    head = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return head + text


def import_po(po_path: Path, english: Snippet, out_dir: Path, language: str = "",
              today: dt.date | None = None, replace: bool = False) -> Imported:
    """Write ``out_dir/SNIPPET.LANG.yaml`` from the PO file at ``po_path``.

    An existing translation is replaced only by one with at least as many translated
    strings, unless ``replace`` is True.

    Raises:
        MailerError: for an unreadable PO file, one that names no language, or one with
            fewer translated strings than the existing translation (nothing written).
        SnippetError: when the written translation would not load (reported with its line).
    """
    from mailer.snippets import load_snippet

    catalog = read_po_file(po_path)
    tag = parse_language(language).tag if language else po_language(catalog, po_path)
    if not tag:
        raise MailerError(f"--lang must be a language such as pl or ar, not '{language}'.")
    data, untranslated, unknown = translated_snippet_data(english, catalog, tag)
    when = (today or dt.date.today()).isoformat()
    comment = (f"{english_name(tag)} translation of {english.id}, imported from "
               f"{po_path.name} on {when} by 'mailer translate import'.\n"
               "Not yet reviewed by a native speaker: when one has checked it, set "
               "native_speaker_reviewed: yes.")
    path = out_dir / f"{english.id}.{tag}.yaml"
    new_count = len(segments(english)) - len(untranslated)
    if new_count == 0:
        raise MailerError(
            f"{po_path.name} has no translated strings (every msgstr is empty or fuzzy), so "
            f"nothing was written: a {english_name(tag)} translation of English text would "
            "be read to parents as if it were in their language. Send the file to the "
            "translator and import it when it comes back.", path=po_path)
    if path.exists() and not replace:
        old_count = _translated_count(path, english)
        if new_count < old_count:
            raise MailerError(
                f"the existing {english_name(tag)} translation {path} has {old_count} "
                f"translated strings and {po_path.name} has only {new_count} of "
                f"{len(segments(english))}, so nothing was written. Check that this is the "
                "file the translator finished; to replace the translation anyway, add "
                "--replace.", path=po_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = dump_translation(data, comment)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise MailerError(f"cannot write the translation ({exc.strerror}).", path=path) from None
    try:
        load_snippet(path)
    except SnippetError:
        path.unlink()
        raise
    return Imported(path=path, language=tag, translated=new_count,
        untranslated=untranslated, unknown=unknown,
        english_changed=bool(catalog.version) and catalog.project == english.id
        and str(catalog.version) != english_digest(english))
