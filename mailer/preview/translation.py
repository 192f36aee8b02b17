"""The Edit panel's translation view: edit one language at a time, the English beside it.

A translation is ``snippets/ID.LANG.yaml`` (see :mod:`mailer.snippets`). The panel does not
show its YAML keys: it shows every string a translator translates, the same *segments*
``mailer translate export`` puts in a PO file (:func:`mailer.translate.segments`: title,
subject, preview line, audience, each paragraph, heading and list item of the body, the
button, the links' heading, titles and descriptions), each keyed by its PO context
(``"body 3 (paragraph)"``, ``"link 2.1 title"``) and shown with the English text. Web
addresses are never segments: a translation keeps the English links.

The form is ``{context: text}``. An empty text means "not translated": the reader of that
language gets the English words there, as ``mailer translate import`` does for an empty
``msgstr``. A string still equal to the English is shown empty in the same way, so what is
left to translate is always the empty fields.

Saving merges the texts into the translation's file with ruamel.yaml
(:mod:`mailer.roundtrip`): a segment the user did not change leaves its line alone, and a
changed body paragraph replaces only that paragraph's lines of the body (the rest keeps
its own line breaks). A language without a file yet gets one written as ``mailer translate
import`` writes it (a comment saying it has not been reviewed, ``translation:
native_speaker_reviewed: no`` and the English's fingerprint in ``from_english``).

The ``translation:`` section is changed only by the view's explicit controls (a
:class:`Review`): "a native speaker has read this translation" (``native_speaker_reviewed``,
and their name in ``reviewed_by``), and "it says what the English says now" (``from_english``
set to the English's fingerprint, which clears check L5). Each changed value is one line.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailer.errors import MailerError, SnippetError
from mailer.languages import direction, english_name, is_english, parse_language
from mailer.roundtrip import dump_document, load_document, update_map
from mailer.snippets import (
    LANGUAGE_TAG,
    SUBJECT_MAX,
    Link,
    Snippet,
    english_digest,
    parse_snippet,
    translation_language,
)
from mailer.translate import Block, body_blocks, dump_translation, join_blocks, segments
from mailer.yamlfile import parse_yaml

#: The keys of a translation file the translation view writes; every other key (date,
#: sources, ``translation:``, comments) is left as it is.
TRANSLATED_KEYS = ("title", "subject", "preheader", "audience", "body", "call_to_action",
                   "links_heading", "links")
#: Where the translation view puts keys it adds to a file.
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "": ("title", "subject", "preheader", "date", "language", "audience", "body",
         "call_to_action", "links_heading", "links", "sources", "translation"),
    "links": ("title", "url", "description", "links"),
    "call_to_action": ("text", "url", "description"),
}
#: The single body field used when a translation's body is not built like the English
#: (another number of paragraphs): the whole Markdown text, beside the English's.
WHOLE_BODY = "body"
_MAX_TEXT = 100_000


#: Where a key the view adds to a file's ``translation:`` section goes.
REVIEW_ORDER = ("from_english", "native_speaker_reviewed", "translator", "reviewed_by")
_MAX_NAME = 200


@dataclass(frozen=True)
class Review:
    """What the translation view's review controls say (``None``: leave the file as it is).

    Attributes:
        reviewed: a native speaker has read the translation (``native_speaker_reviewed``).
        reviewed_by: their name (``reviewed_by``; ``""`` removes nothing, writes nothing
            new).
        matches_english: the person went through the translation against the English as
            it is now: ``from_english`` becomes :func:`english_digest` of it (check L5).
    """

    reviewed: bool | None = None
    reviewed_by: str | None = None
    matches_english: bool = False


def clean_review(value: Any) -> Review | None:
    """The page's ``review`` object (``{"reviewed": bool, "reviewed_by": str,
    "matches_english": bool}``, each optional) as a :class:`Review`; ``None`` when absent.

    Raises:
        MailerError: when it is not that shape.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MailerError("The review part of the form is not in the page's format.")
    reviewed = value.get("reviewed")
    name = value.get("reviewed_by")
    matches = value.get("matches_english", False)
    if (reviewed is not None and not isinstance(reviewed, bool)) or not isinstance(
            matches, bool) or (name is not None and not isinstance(name, str)):
        raise MailerError("The review part of the form is not in the page's format.")
    if name is not None:
        name = " ".join(name.split())[:_MAX_NAME]
    return Review(reviewed, name, matches)


def review_state(english: Snippet, translated: Snippet | None) -> dict[str, Any]:
    """What the review controls start from: ``reviewed``, ``reviewed_by``, and
    ``english_changed`` (the translation does not record the English as it is now, so
    "it says what the English says now" is offered)."""
    info = translated.translation if translated is not None else None
    return {"reviewed": bool(info and info.native_speaker_reviewed),
            "reviewed_by": info.reviewed_by if info else "",
            "english_changed": translated is not None and (
                info is None or info.from_english != english_digest(english))}


def _review_values(english: Snippet, review: Review, current: Any) -> dict[str, Any]:
    """The ``translation:`` keys ``review`` changes (those equal to ``current`` left out,
    so an unchanged control changes no line)."""
    current = current if isinstance(current, dict) else {}
    out: dict[str, Any] = {}
    if review.matches_english:
        digest = english_digest(english)
        if str(current.get("from_english") or "") != digest:
            out["from_english"] = digest
    if review.reviewed is not None:
        now = str(current.get("native_speaker_reviewed") or "").lower() in ("yes", "true")
        if now != review.reviewed:
            out["native_speaker_reviewed"] = "yes" if review.reviewed else "no"
    name = review.reviewed_by
    if name is not None and name != str(current.get("reviewed_by") or "") and (
            name or "reviewed_by" in current):
        out["reviewed_by"] = name
    return out


def _apply_review(doc: Any, english: Snippet, review: Review | None) -> None:
    if review is None:
        return
    section = doc.get("translation")
    values = _review_values(english, review, section)
    if not values:
        return
    if isinstance(section, dict):
        update_map(section, values, {"translation": REVIEW_ORDER}, "translation", owned=())
    else:
        update_map(doc, {"translation": values}, KEY_ORDER, "", owned=())


class TagRefused(MailerError):
    """A language the translation view will not make a file for (not a language, English,
    or not a tag a file name can carry)."""


def language_tag(value: Any, snippet_id: str) -> str:
    """The BCP 47 tag for what the user typed for a new language (``pl``, ``Polish``,
    ``polski``, ``pt-BR``), as ``mailer translate`` reads it (langcodes, CLDR names).

    Raises:
        TagRefused: for anything that is no language, English itself, or a tag that would
            not name the file ``snippets/ID.TAG.yaml`` back (``../x``, ``pl/../../x``).
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 80 or any(c in text for c in "/\\\x00") or ".." in text:
        raise TagRefused(f"'{text[:40]}' is not a language. Type a language's name or code, "
                         "such as Polish, pl, Arabic or pt-BR.")
    found = parse_language(text)
    tag = found.tag
    if not tag or not found.known:
        raise TagRefused(f"'{text}' is not a language mailer knows. Type a language's name "
                         "or code, such as Polish, pl, Arabic or pt-BR.")
    if is_english(tag):
        raise TagRefused("English is the original: choose English in the list to edit it.")
    if not LANGUAGE_TAG.fullmatch(tag) or translation_language(
            Path(f"{snippet_id}.{tag}.yaml")) != tag:
        raise TagRefused(f"'{text}' cannot be used as a translation's language.")
    return tag


@dataclass(frozen=True)
class Field:
    """One string to translate, as the page shows it.

    Attributes:
        key: the PO context (``"title"``, ``"body 3 (paragraph)"``, ``"link 2 title"``), or
            :data:`WHOLE_BODY`.
        label: what the page calls it (``"Text: paragraph 3"``).
        group: the part of the email it belongs to (``"In the inbox"``, ``"Text"``...).
        english: the English text, shown beside the field.
        text: the translation ("" when not translated yet).
        multiline: True for the body, a paragraph or a description (a text area).
    """

    key: str
    label: str
    group: str
    english: str
    text: str
    multiline: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, "label": self.label, "group": self.group,
                "english": self.english, "text": self.text, "multiline": self.multiline}


_KIND_WORDS = {"paragraph": "paragraph", "heading": "heading", "list item": "list item"}
_BODY = re.compile(r"body (\d+) \((.+)\)")
_LINK = re.compile(r"link ([\d.]+) (title|description)")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _link_at(links: tuple[Link, ...], number: str) -> Link | None:
    node: Link | None = None
    items = links
    for part in number.split("."):
        i = int(part) - 1
        if not 0 <= i < len(items):
            return None
        node = items[i]
        items = node.links
    return node


def _label(context: str, english: Snippet) -> tuple[str, str]:
    """``(label, group)`` for a segment context."""
    simple = {"title": ("Title", "In the inbox"), "subject": ("Subject", "In the inbox"),
              "preheader": ("Inbox preview line", "In the inbox"),
              "audience": ("Audience", "In the inbox"),
              "button text": ("Words on the button", "Button"),
              "button description": ("Sentence under the button", "Button"),
              "links heading": ("Heading above the links", "Links"),
              WHOLE_BODY: ("Text (the whole advisory)", "The advisory\u2019s text")}
    if context in simple:
        return simple[context]
    body = _BODY.fullmatch(context)
    if body:
        return (f"Text {body.group(1)}: {_KIND_WORDS.get(body.group(2), body.group(2))}",
                "The advisory\u2019s text")
    link = _LINK.fullmatch(context)
    if link:
        found = _link_at(english.links, link.group(1))
        name = f"\u201c{found.title}\u201d" if found is not None else link.group(1)
        return (f"Link {name}: {'title' if link.group(2) == 'title' else 'description'}",
                "Links")
    return context, "Other"


def _structure(snippet: Snippet) -> list[str]:
    return [b.kind for b in body_blocks(snippet.body)]


def body_by_blocks(english: Snippet, translated: Snippet | None) -> bool:
    """True when the body can be translated block by block: there is no translation yet,
    or its body has the English's paragraphs, headings and list items in the same order."""
    return translated is None or _structure(translated) == _structure(english)


def _theirs(translated: Snippet | None) -> dict[str, str]:
    """Context -> text of the strings the translation's file has (an ``audience`` the file
    does not write, which the loader fills with the English default, is not one)."""
    if translated is None:
        return {}
    out = {s.context: s.text for s in segments(translated)}
    if not re.search(r"^audience\s*:", translated.source_text, re.MULTILINE):
        out.pop("audience", None)
    return out


def translation_fields(english: Snippet, translated: Snippet | None) -> list[Field]:
    """The fields of the translation view of ``english``, filled from ``translated`` (the
    file as it is, or ``None`` for a language without a file). A string equal to the
    English is shown empty (not translated)."""
    theirs = _theirs(translated)
    blocks = body_by_blocks(english, translated)
    out: list[Field] = []
    body_done = False
    for seg in segments(english):
        if _BODY.fullmatch(seg.context) and not blocks:
            if not body_done:
                label, group = _label(WHOLE_BODY, english)
                text = translated.body if translated is not None else ""
                out.append(Field(WHOLE_BODY, label, group, english.body.rstrip("\n"),
                                 "" if _same(text, english.body) else text.rstrip("\n"), True))
                body_done = True
            continue
        text = theirs.get(seg.context, "")
        label, group = _label(seg.context, english)
        multiline = seg.context.startswith("body") or seg.context.endswith("description") \
            or seg.context == "preheader"
        out.append(Field(seg.context, label, group, seg.text,
                         "" if _same(text, seg.text) else text, multiline))
    return out


def clean_texts(texts: Any, fields: list[Field]) -> dict[str, str]:
    """The form's texts, for the keys the view has, spaces tidied (one line, except the
    whole body).

    Raises:
        MailerError: when ``texts`` is not a ``{key: text}`` object.
    """
    if not isinstance(texts, dict):
        raise MailerError("the translation must be an object of texts.")
    out: dict[str, str] = {}
    for field in fields:
        value = texts.get(field.key, "")
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise MailerError(f"the text of '{field.label}' must be text.")
        if field.key == WHOLE_BODY:
            value = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n")
                              .replace("\r", "\n").split("\n")).strip("\n")
        else:
            value = " ".join(value.split())
        out[field.key] = value
    return out


def _wanted(fields: list[Field], texts: dict[str, str],
            translated: Snippet | None) -> dict[str, str | None]:
    """The text each segment gets: what was typed; the English where a field is empty
    and the file has that string (or it is required); ``None`` (no key) where a field is
    empty and the file does not have it either (an optional string, such as a
    description, is then left out as before)."""
    theirs = _theirs(translated)
    required = {"title", "subject", "preheader", "button text"}
    out: dict[str, str | None] = {}
    for field in fields:
        typed = texts.get(field.key, "")
        if typed:
            out[field.key] = typed
        elif field.key in theirs or field.key in required or field.key.endswith(" title") \
                or _BODY.fullmatch(field.key) or field.key == WHOLE_BODY:
            out[field.key] = field.english if field.key != WHOLE_BODY else None
        else:
            out[field.key] = None
    return out


def _splice_body(base_body: str, english: Snippet, wanted: dict[str, str | None]) -> str:
    """``base_body`` (the translation's body, built block for block like the English) with
    the blocks whose text changed rewritten on one line each; every other line as it was."""
    lines = base_body.split("\n")
    blocks = body_blocks(base_body)
    starts = [b.line for b in blocks] + [len(lines)]
    for n in range(len(blocks), 0, -1):
        block = blocks[n - 1]
        new = wanted.get(f"body {n} ({block.kind})")
        if block.kind in ("code", "rule") or new is None or _same(block.text, new):
            continue
        end = starts[n]
        while end > block.line + 1 and not lines[end - 1].strip():
            end -= 1
        prefix = block.prefix
        if block.kind == "heading" and not prefix.lstrip("> ").startswith("#"):
            prefix = prefix[: len(prefix) - len(prefix.lstrip("> "))] + "## "  # setext
        lines[block.line:end] = [prefix + new]
    return "\n".join(lines)


def _new_body(english: Snippet, wanted: dict[str, str | None]) -> str:
    blocks = [Block(b.kind, b.prefix, wanted.get(f"body {n} ({b.kind})") or b.text,
                    b.line, b.tight)
              if b.kind not in ("code", "rule") else b
              for n, b in enumerate(body_blocks(english.body), 1)]
    return join_blocks(blocks)


def _links(items: tuple[Link, ...], prefix: str,
           wanted: dict[str, str | None]) -> list[dict[str, Any]]:
    out = []
    for n, link in enumerate(items, 1):
        number = f"{prefix}{n}"
        entry: dict[str, Any] = {"title": wanted.get(f"link {number} title") or link.title,
                                 "url": link.url}
        description = wanted.get(f"link {number} description")
        if description:
            entry["description"] = description
        if link.links:
            entry["links"] = _links(link.links, f"{number}.", wanted)
        out.append(entry)
    return out


def translation_values(english: Snippet, fields: list[Field], texts: dict[str, str],
                       translated: Snippet | None) -> dict[str, Any]:
    """The translated keys (:data:`TRANSLATED_KEYS`) for the texts, built on the English's
    structure (its links and button, with the English web addresses)."""
    wanted = _wanted(fields, texts, translated)
    values: dict[str, Any] = {}
    for key in ("title", "subject", "preheader", "audience"):
        if wanted.get(key):
            values[key] = wanted[key]
    if WHOLE_BODY in wanted:
        body = texts.get(WHOLE_BODY) or (translated.body if translated else english.body)
    elif translated is not None:
        body = _splice_body(translated.body, english, wanted)
    else:
        body = _new_body(english, wanted)
    values["body"] = body.rstrip("\n") + "\n"
    if english.call_to_action is not None:
        cta = english.call_to_action
        values["call_to_action"] = {"text": wanted.get("button text") or cta.text,
                                    "url": cta.url}
        if wanted.get("button description"):
            values["call_to_action"]["description"] = wanted["button description"]
    if english.links:
        if wanted.get("links heading"):
            values["links_heading"] = wanted["links heading"]
        values["links"] = _links(english.links, "", wanted)
    return values


def new_translation_text(english: Snippet, tag: str, values: dict[str, Any],
                         today: dt.date | None = None, review: Review | None = None) -> str:
    """The first text of a translation file made in the editor: written as ``mailer
    translate import`` writes one (same keys, a comment saying it is not reviewed)."""
    data: dict[str, Any] = {
        "title": values["title"], "subject": values["subject"],
        "preheader": values["preheader"], "date": english.date.isoformat(), "language": tag,
    }
    for key in ("audience", "body", "call_to_action", "links_heading", "links"):
        if key in values:
            data[key] = values[key]
    if english.sources:
        data["sources"] = [{"title": s.title, "url": s.url, **({"date": s.date} if s.date
                                                               else {})}
                           for s in english.sources]
    data["translation"] = {"from_english": english_digest(english),
                           "native_speaker_reviewed": "no", "translator": ""}
    if review is not None:
        data["translation"].update(_review_values(english, review, data["translation"]))
    when = (today or dt.date.today()).isoformat()
    comment = (f"{english_name(tag)} translation of {english.id}, written in the mailer "
               f"editor on {when}.\nNot yet reviewed by a native speaker: when one has "
               "checked it, set native_speaker_reviewed: yes.")
    return dump_translation(data, comment)


@functools.lru_cache(maxsize=8)
def _base_document(base_text: str) -> Any:
    return load_document(base_text)


@functools.lru_cache(maxsize=8)
def _base_snippet(base_text: str, path: Path) -> Snippet:
    return parse_snippet(parse_yaml(base_text, path, SnippetError), path, base_text)


def translation_text(english: Snippet, tag: str, fields: list[Field], texts: dict[str, str],
                     base_text: str | None, path: Path, verify: bool = True,
                     review: Review | None = None) -> str:
    """The translation file's text for ``texts``: ``base_text`` (the file as it is) with
    the changed strings merged in, or a new file when ``base_text`` is ``None``; with what
    ``review`` changes in its ``translation:`` section.

    Raises:
        MailerError: when ``base_text`` cannot be read, or (``verify``) the text would not
            load as a valid translation (a subject over :data:`SUBJECT_MAX`, a bad link in
            a paragraph), with the line.
    """
    translated = _base_snippet(base_text, path) if base_text is not None else None
    values = translation_values(english, fields, texts, translated)
    if base_text is None:
        text = new_translation_text(english, tag, values, review=review)
    else:
        doc = copy.deepcopy(_base_document(base_text))  # a copy: faster than parsing again
        update_map(doc, values, KEY_ORDER, "", owned=TRANSLATED_KEYS)
        _apply_review(doc, english, review)
        text = dump_document(doc, base_text)
    if verify:
        parse_snippet(parse_yaml(text, path, SnippetError), path, text)
    return text


def text_findings(fields: list[Field], texts: dict[str, str]) -> list[dict[str, str]]:
    """The view's own rules, each at its field: a subject over :data:`SUBJECT_MAX` is an
    error; a field left empty is marked "not translated" (a note, not a mistake)."""
    out = []
    for field in fields:
        text = texts.get(field.key, "")
        if field.key == "subject" and len(text) > SUBJECT_MAX:
            out.append({"field": "subject", "severity": "error", "source": "form",
                        "check_id": "", "message": f"The subject is {len(text)} characters; "
                        f"Outlook keeps only {SUBJECT_MAX}. Shorten it."})
    return out


def untranslated(fields: list[Field], texts: dict[str, str]) -> list[str]:
    """The keys of the fields left empty (the English is sent there)."""
    return [f.key for f in fields if not texts.get(f.key)]


_URL = re.compile(r"(?:https?|mailto|tel|javascript|data|ftp):[^\s'\"<>)\]]+", re.IGNORECASE)
_LINE = re.compile(r"\.ya?ml, line (\d+)\)")


def finding_field(row: dict[str, str], fields: list[Field], texts: dict[str, str],
                  text: str) -> str:
    """The field a check finding on a translation is about: the field whose text (or
    English) holds the web address it quotes, the field at the line it names, the subject
    or preview line for the checks of those; ``""`` for the email as a whole."""
    said = f"{row.get('element', '')} {row.get('message', '')}"
    for url in _URL.findall(said):
        url = url.rstrip(".,;:")
        for field in fields:
            if url and url in (texts.get(field.key) or ""):
                return field.key
        for field in fields:
            if url and url in field.english and field.key.startswith("body"):
                return field.key
    line = _LINE.search(said)
    if line:
        from mailer.preview.editor import field_at, line_fields

        where = field_at(line_fields(text), int(line.group(1)))
        top = where.split(".")[0]
        if top in ("title", "subject", "preheader", "audience"):
            return top
    return {"E4": "subject", "H3": "subject", "E19": "preheader"}.get(row.get("id", ""), "")


def language_entry(tag: str, path: Path | None, snippet: Snippet | None) -> dict[str, Any]:
    """What the language switch lists for a language: tag, name, direction, file, and
    whether a native speaker reviewed it."""
    reviewed = bool(snippet and snippet.translation
                    and snippet.translation.native_speaker_reviewed)
    return {"tag": tag, "name": english_name(tag) if tag != "en" else "English",
            "dir": direction(tag), "file": f"snippets/{path.name}" if path else None,
            "reviewed": reviewed if tag != "en" else True}
