"""Advisory snippets: one YAML file each in ``snippets/``; the id is the file stem.

A snippet has ``title``, ``subject``, ``preheader``, ``date``, ``body`` (Markdown, no raw
HTML), ``links`` (``title``, ``url``, ``description``, nested ``links``), and optionally
``language``, ``links_heading``, ``call_to_action`` (``text``, ``url``), ``sources``
(``title``, ``url``, ``date``), ``reviewed`` (a date) and ``reviewed_by``.

A translation is ``ID.LANG.yaml`` beside the English ``ID.yaml`` (``LANG`` a BCP 47 tag:
``pl``, ``ar``, ``pt-BR``), with the same keys, and optionally a ``translation:`` section:
``from_english`` (the :func:`english_digest` of the English it was made from, written by
``mailer translate import``), ``native_speaker_reviewed`` (yes/no), ``translator``,
``reviewed_by``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailer.dates import NotADate, parse_date
from mailer.errors import SnippetError
from mailer.yamlfile import Node, check_keys, load_yaml

SNIPPET_KEYS = {
    "title", "subject", "preheader", "date", "language", "body", "links_heading", "links",
    "call_to_action", "sources", "reviewed", "reviewed_by", "audience", "translation",
}
TRANSLATION_KEYS = {"from_english", "native_speaker_reviewed", "translator", "reviewed_by"}
REQUIRED_KEYS = {"title", "subject", "preheader", "date", "body"}
#: Longest subject (characters) Outlook and Exchange keep: longer subjects are cut on
#: delivery. The loader refuses a longer one and the browser editor shows it as an error.
SUBJECT_MAX = 255
LINK_KEYS = {"title", "url", "description", "links"}
CTA_KEYS = {"text", "url", "description"}
SOURCE_KEYS = {"title", "url", "date", "description"}

# Languages written right to left (ISO 639-1), for the ``dir`` attribute.
RTL_LANGUAGES = {"ar", "arc", "dv", "fa", "ha", "he", "khw", "ks", "ku", "ps", "sd", "ur", "yi"}

URL_SCHEMES = ("https://", "http://", "mailto:", "tel:")

# A BCP 47 language tag (RFC 5646), simplified: a 2-3 letter language, then subtags.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class Link:
    """A link in the snippet's list of further help. ``links`` nests under it."""

    title: str
    url: str
    description: str = ""
    links: tuple[Link, ...] = ()
    line: int | None = None
    date: str = ""


@dataclass(frozen=True)
class CallToAction:
    """A button: ``text`` says what happens, ``url`` is where it goes."""

    text: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class TranslationInfo:
    """What a translation says about itself (its ``translation:`` section).

    Attributes:
        from_english: :func:`english_digest` of the English it was made from, or ``""``.
        native_speaker_reviewed: True when a native speaker has checked it.
        translator: who translated it (may be ``""``).
        reviewed_by: who reviewed it (may be ``""``).
    """

    from_english: str = ""
    native_speaker_reviewed: bool = False
    translator: str = ""
    reviewed_by: str = ""


@dataclass(frozen=True)
class Snippet:
    """A loaded, validated snippet. ``body`` is Markdown source; ``body_line`` is the file
    line where the body text starts (for error messages)."""

    id: str
    path: Path
    title: str
    subject: str
    preheader: str
    date: dt.date
    body: str
    body_line: int = 1
    language: str = "en"
    links_heading: str = "Useful links"
    links: tuple[Link, ...] = ()
    call_to_action: CallToAction | None = None
    sources: tuple[Link, ...] = ()
    reviewed: dt.date | None = None
    reviewed_by: str = ""
    audience: str = "Parents and carers"
    source_text: str = field(default="", repr=False)
    translation: TranslationInfo | None = None

    @property
    def direction(self) -> str:
        """``rtl`` for right-to-left languages (see :func:`mailer.languages.direction`),
        else ``ltr``."""
        from mailer.languages import direction

        return direction(self.language)

    def all_links(self) -> list[Link]:
        """Every link, nested ones included, in document order."""
        out: list[Link] = []

        def walk(links: tuple[Link, ...]) -> None:
            for link in links:
                out.append(link)
                walk(link.links)

        walk(self.links)
        return out


def translation_language(path: Path) -> str | None:
    """The language of a translation file named ``ID.LANG.yaml`` (``pl``, ``pt-BR``), or
    ``None`` when ``path`` is not named like one."""
    stem = path.stem
    if "." not in stem:
        return None
    base, _, lang = stem.rpartition(".")
    if not base or not LANGUAGE_TAG.fullmatch(lang):
        return None
    from mailer.languages import parse_language

    found = parse_language(lang)
    return found.tag if found.tag and found.tag.lower() == lang.replace("_", "-").lower() else None


def list_snippets(dirs: list[Path]) -> dict[str, Path]:
    """Map snippet id -> file for every ``*.yaml``/``*.yml`` in ``dirs`` (earlier dirs win);
    translations (``ID.LANG.yaml``) are not snippets of their own."""
    found: dict[str, Path] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if (p.suffix in (".yaml", ".yml") and p.is_file() and p.stem not in found
                    and translation_language(p) is None):
                found[p.stem] = p
    return dict(sorted(found.items()))


def list_translations(snippet_id: str, dirs: list[Path]) -> dict[str, Path]:
    """Language tag -> file of every translation ``ID.LANG.yaml`` of snippet ``snippet_id``
    in ``dirs`` (earlier dirs win), sorted by tag."""
    found: dict[str, Path] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.glob(f"{snippet_id}.*")):
            if p.suffix not in (".yaml", ".yml") or not p.is_file():
                continue
            if p.stem.rpartition(".")[0] != snippet_id:
                continue
            lang = translation_language(p)
            if lang is not None:
                found.setdefault(lang, p)
    return dict(sorted(found.items()))


def english_digest(snippet: Snippet) -> str:
    """A short fingerprint (12 hex digits of SHA-256) of every string a translator sees in
    ``snippet`` and every URL: a translation records the one it was made from, and
    ``mailer check`` says when the English has changed since."""
    import hashlib

    parts = [snippet.title, snippet.subject, snippet.preheader, snippet.audience,
             snippet.body, snippet.links_heading]
    for link in snippet.all_links():
        parts += [link.title, link.url, link.description]
    if snippet.call_to_action is not None:
        cta = snippet.call_to_action
        parts += [cta.text, cta.url, cta.description]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:12]


def find_snippet(name: str, dirs: list[Path]) -> Path:
    """Resolve a snippet id (or a path to a snippet file, or a translation's file name
    without its suffix: ``online-safety-webcams.pl``).

    Raises:
        SnippetError: naming the snippets that exist when ``name`` is not one of them.
    """
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
        return as_path.resolve()
    available = list_snippets(dirs)
    if name in available:
        return available[name]
    for d in dirs:  # a translation by its file's name: online-safety-webcams.pl
        for suffix in (".yaml", ".yml"):
            path = d / f"{name}{suffix}"
            if path.is_file() and translation_language(path) is not None:
                return path
    names = ", ".join(available) or "none"
    raise SnippetError(
        f"there is no snippet called '{name}'. Snippets available: {names}. "
        "Run 'mailer snippets' to list them."
    )


@functools.cache
def _markdown() -> tuple[Any, Any, Any]:
    """markdown-it's parsers: (snippets' CommonMark without raw HTML, one that reads raw
    HTML to find it, one that lets every link through to check it). Made on first use:
    markdown-it compiles its rules then (about 0.1 s), and a send whose email was
    rendered in a child process (mailer.ahead) never needs them."""
    from markdown_it import MarkdownIt

    any_link = MarkdownIt("commonmark", {"html": False})
    any_link.validateLink = lambda url: True  # type: ignore[method-assign]
    return (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}),
            MarkdownIt("commonmark", {"html": True}), any_link)


def markdown_to_html(text: str) -> str:
    """Render snippet Markdown to HTML (CommonMark, raw HTML disabled)."""
    return _markdown()[0].render(text)


def markdown_tokens(text: str) -> list[Any]:
    """Parse Markdown into markdown-it tokens (for the plain-text renderer)."""
    return _markdown()[0].parse(text)


def _str(node: Node, key: str, path: Path, where: str = "") -> str:
    value = node.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        prefix = f"in {where}: " if where else ""
        raise SnippetError(
            f"{prefix}'{key}' must be text, not a list or section.",
            path=path,
            line=node.line_of(key),
        )
    return str(value).strip()


def _date(node: Node, key: str, path: Path) -> dt.date | None:
    value = node.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value))
    except NotADate as exc:
        words = (f"'{key}' is {exc.text}, which is not a real date: {exc.reason}."
                 if exc.reason else
                 f"'{key}' must be a date written as YYYY-MM-DD, not '{value}'.")
        raise SnippetError(words, path=path, line=node.line_of(key)) from None


def _check_url(url: str, node: Node, path: Path, where: str) -> None:
    if not url.startswith(URL_SCHEMES) or len(url.split(":", 1)[1].strip("/")) == 0:
        raise SnippetError(
            f"in {where}: the url '{url}' must be a full address starting with https:// "
            "(or mailto: / tel:).",
            path=path,
            line=node.line_of("url"),
        )
    if any(ch.isspace() for ch in url):
        raise SnippetError(
            f"in {where}: the url '{url}' contains a space.", path=path, line=node.line_of("url")
        )


def _parse_links(value: Any, path: Path, line: int | None, where: str,
                 keys: set[str] = LINK_KEYS) -> tuple[Link, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SnippetError(f"'{where}' must be a list of links (lines starting with '- ').",
                           path=path, line=line)
    links = []
    for i, item in enumerate(value, 1):
        here = f"{where} item {i}"
        if not isinstance(item, Node):
            raise SnippetError(
                f"{here} must have 'title:' and 'url:' lines.", path=path, line=line
            )
        check_keys(item, keys, path, SnippetError, here, required={"url"})
        title = _str(item, "title", path, here)
        if not title:
            raise SnippetError(
                f"{here}: the link to {item.get('url')} has no text. Add a 'title:' that "
                "says where the link goes (for example the organisation's name).",
                path=path,
                line=item.line,
            )
        url = _str(item, "url", path, here)
        _check_url(url, item, path, here)
        links.append(
            Link(
                title=title,
                url=url,
                description=_str(item, "description", path, here),
                links=_parse_links(item.get("links"), path, item.line_of("links"), f"{here} links"),
                line=item.line,
                date=_str(item, "date", path, here),
            )
        )
    return tuple(links)


def _check_no_html(body: str, path: Path, first_line: int) -> None:
    """Raw HTML in Markdown is refused: it bypasses escaping and email-safe styling."""
    for token in _markdown()[1].parse(body):
        candidates = [token] + list(token.children or [])
        for t in candidates:
            if t.type in ("html_block", "html_inline"):
                line = first_line + (token.map[0] if token.map else 0)
                raise SnippetError(
                    f"the body contains raw HTML ({t.content.strip()[:40]!r}). Write it in "
                    "Markdown instead: **bold**, [link text](https://...), '- ' for lists.",
                    path=path,
                    line=line,
                )


def _check_body_links(body: str, path: Path, first_line: int) -> None:
    """A Markdown link with no text (``[](https://...)``) is refused: screen readers would
    read out the address, and sighted readers would see nothing to click (checklist E9)."""
    for token in _markdown()[0].parse(body):
        children = list(token.children or [])
        for i, child in enumerate(children):
            if child.type != "link_open":
                continue
            text = ""
            for inner in children[i + 1:]:
                if inner.type == "link_close":
                    break
                text += inner.content or ""
            if not text.strip():
                line = first_line + (token.map[0] if token.map else 0)
                raise SnippetError(
                    f"the body has a link to {child.attrs.get('href', '')} with no text. Write "
                    "the words to click inside the brackets: [the site's name](https://...).",
                    path=path,
                    line=line,
                )
    # markdown-it drops links whose scheme it distrusts (javascript:, data:) and prints them
    # as text; parse again accepting every link so those are refused with their line.
    for token in _markdown()[2].parse(body):
        for child in token.children or []:
            href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
            if child.type == "link_open" and not href.lower().startswith(URL_SCHEMES):
                line = first_line + (token.map[0] if token.map else 0)
                raise SnippetError(
                    f"the body links to '{href[:60]}', which is not a full web address. Links "
                    "in an email must start with https:// (or mailto: / tel:).",
                    path=path,
                    line=line,
                )


def parse_snippet(data: Any, path: Path, source_text: str = "") -> Snippet:
    """Validate loaded YAML ``data`` from ``path`` into a :class:`Snippet`.

    Raises:
        SnippetError: naming the line of an unknown key, a missing key or a bad value
            (such as a subject longer than :data:`SUBJECT_MAX`).
    """
    if not isinstance(data, Node):
        raise SnippetError(
            "a snippet must be a set of 'name: value' lines (title, subject, body, ...).",
            path=path,
            line=1,
        )
    check_keys(data, SNIPPET_KEYS, path, SnippetError, required=REQUIRED_KEYS)
    body = data.get("body")
    if not isinstance(body, str):
        raise SnippetError("'body' must be Markdown text.", path=path, line=data.line_of("body"))
    body_line = (data.line_of("body") or 1) + 1
    _check_no_html(body, path, body_line)
    _check_body_links(body, path, body_line)
    cta = None
    if data.get("call_to_action") is not None:
        node = data["call_to_action"]
        if not isinstance(node, Node):
            raise SnippetError("'call_to_action' must have 'text:' and 'url:' lines.",
                               path=path, line=data.line_of("call_to_action"))
        check_keys(node, CTA_KEYS, path, SnippetError, "call_to_action", required={"text", "url"})
        url = _str(node, "url", path)
        _check_url(url, node, path, "call_to_action")
        cta = CallToAction(text=_str(node, "text", path), url=url,
                           description=_str(node, "description", path))
    sources_raw = data.get("sources") or []
    if isinstance(sources_raw, list):
        sources_raw = [
            s if isinstance(s, Node) else Node(title=str(s), url=str(s)) for s in sources_raw
        ]
    file_language = translation_language(path)
    language = _str(data, "language", path) or file_language or "en"
    if file_language is not None and language.lower() != file_language.lower():
        raise SnippetError(
            f"this translation's file name says its language is '{file_language}', but "
            f"'language:' says '{language}'. Make them agree (or remove 'language:').",
            path=path,
            line=data.line_of("language"),
        )
    if not LANGUAGE_TAG.fullmatch(language):
        raise SnippetError(
            f"language must be a language code such as en, ar, ur, pl or pa-Arab "
            f"(BCP 47), not '{language}'.",
            path=path,
            line=data.line_of("language"),
        )
    subject = " ".join(_str(data, "subject", path).split())
    if len(subject) > SUBJECT_MAX:
        raise SnippetError(
            f"the subject is {len(subject)} characters; Outlook keeps only {SUBJECT_MAX}, "
            "so parents would see it cut off. Shorten it.",
            path=path,
            line=data.line_of("subject"),
        )
    return Snippet(
        id=path.stem.rpartition(".")[0] if file_language else path.stem,
        path=path,
        title=" ".join(_str(data, "title", path).split()),
        subject=subject,
        preheader=" ".join(_str(data, "preheader", path).split()),
        date=_date(data, "date", path) or dt.date.today(),
        body=body,
        body_line=body_line,
        language=language,
        # A translation without its own heading gets the catalog's "Useful links".
        links_heading=_str(data, "links_heading", path) or (
            "" if file_language else "Useful links"),
        links=_parse_links(data.get("links"), path, data.line_of("links"), "links"),
        call_to_action=cta,
        sources=_parse_links(sources_raw, path, data.line_of("sources"), "sources",
                             SOURCE_KEYS),
        reviewed=_date(data, "reviewed", path),
        reviewed_by=_str(data, "reviewed_by", path),
        audience=_str(data, "audience", path) or "Parents and carers",
        source_text=source_text,
        translation=_translation_info(data, path),
    )


def _translation_info(data: Node, path: Path) -> TranslationInfo | None:
    node = data.get("translation")
    if node is None:
        return None
    if not isinstance(node, Node):
        raise SnippetError("'translation' must be a section with lines such as "
                           "'native_speaker_reviewed: no'.", path=path,
                           line=data.line_of("translation"))
    check_keys(node, TRANSLATION_KEYS, path, SnippetError, "translation")
    reviewed = _str(node, "native_speaker_reviewed", path).lower()
    if reviewed not in ("", "yes", "no", "true", "false"):
        raise SnippetError(
            f"translation.native_speaker_reviewed must be yes or no, not '{reviewed}'.",
            path=path, line=node.line_of("native_speaker_reviewed"))
    return TranslationInfo(
        from_english=_str(node, "from_english", path),
        native_speaker_reviewed=reviewed in ("yes", "true"),
        translator=_str(node, "translator", path),
        reviewed_by=_str(node, "reviewed_by", path),
    )


def load_snippet(path: Path) -> Snippet:
    """Load and validate the snippet file at ``path``.

    Raises:
        SnippetError: for a missing file, a YAML syntax error or an invalid snippet.
    """
    data = load_yaml(path, SnippetError)
    return parse_snippet(data, path, source_text=path.read_text(encoding="utf-8-sig"))
