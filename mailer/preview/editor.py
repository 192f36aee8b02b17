"""The preview page's Edit panel: write and change an advisory without touching YAML.

The page sends the form (:func:`form_from_data` gives its shape) to ``POST /api/draft``
while the user types: the form becomes snippet YAML (:func:`snippet_text`, the same text
that Save would write), the preview session renders that instead of the file, the checks
run, and every finding comes back with the form field it is about (``"subject"``,
``"links.1.links.0.url"``). Nothing is written until ``POST /api/save``, which merges the
form into the file with ruamel.yaml (:mod:`mailer.roundtrip`), so comments, key order and
the layout of unchanged values stay as they were, and refuses to overwrite a file that
changed on disk since the page read it unless the user said so.

Security: the page can now change files, and any web page open in the same browser can
send requests to 127.0.0.1. Every request that changes something is a ``POST`` with a
JSON body (``Content-Type: application/json``, which a foreign page cannot send without a
CORS preflight that this server never answers) that carries a random token made for this
run and written only into the page itself; it is refused (403) without the token, with an
``Origin`` or ``Host`` that is not this server, and for any file outside the workspace's
``snippets/`` folder.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any

from mailer.dates import NotADate, parse_date
from mailer.errors import MailerError, SnippetError
from mailer.jobs import snippet_translations
from mailer.languages import direction, english_name
from mailer.preview.server import _PAGE_CSP, PreviewServer, _Handler
from mailer.preview.session import PreviewSession, Problem
from mailer.preview.translation import (
    Field,
    Review,
    clean_review,
    clean_texts,
    finding_field,
    language_entry,
    language_tag,
    review_state,
    text_findings,
    translation_fields,
    translation_text,
    untranslated,
)
from mailer.roundtrip import dump_document, load_document, plain, to_date, update_map
from mailer.snippets import LANGUAGE_TAG, SNIPPET_KEYS, SUBJECT_MAX, Snippet, parse_snippet
from mailer.workspace import Workspace
from mailer.yamledit import write_like_existing
from mailer.yamlfile import parse_yaml

#: The form's top-level fields, in the order a snippet file lists them.
TOP_ORDER = (
    "title", "subject", "preheader", "date", "language", "audience", "body",
    "call_to_action", "links_heading", "links", "sources", "reviewed", "reviewed_by",
)
#: Where keys go when the editor adds them to a file (see :func:`mailer.roundtrip.merge`).
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "": TOP_ORDER + tuple(sorted(SNIPPET_KEYS - set(TOP_ORDER))),
    "links": ("title", "url", "description", "links"),
    "call_to_action": ("text", "url", "description"),
    "sources": ("title", "url"),
}

#: Subject length (characters) above which the inbox cuts it: phones show about 40, desktop
#: inboxes about 70 (Litmus and Mailchimp guidance). A warning.
SUBJECT_WARN = 70
#: Inbox preview line length most inboxes show at most (Litmus: 40-140). A warning.
PREHEADER_WARN = 150
#: Largest request body accepted (bytes): an advisory is a few kilobytes.
MAX_BODY = 1_000_000

SNIPPETS_FOLDER = "snippets"
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.ya?ml")
_URL_IN = re.compile(r"""href=["']([^"']+)["']|(?:https?|javascript|data|file|ftp):[^\s'"<>)]+""",
                     re.IGNORECASE)

_EDITOR_ASSETS = {
    "/static/editor.js": ("editor.js", "text/javascript; charset=utf-8"),
    "/static/editor.css": ("editor.css", "text/css; charset=utf-8"),
}
_MARKERS = ('<main class="layout">', "</main>", "</head>")


class Refused(Exception):
    """A request the editor will not carry out: ``status`` (HTTP) and a plain ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FieldsChanged(Refused):
    """A translation's fields changed under the page (see
    :meth:`Editor._translation_input`)."""


def fields_digest(fields: list[Field]) -> str:
    """A fingerprint of the translation view's fields (their keys and English), so a
    request made with fields the page read before the English changed is recognised."""
    joined = "\x00".join(f"{f.key}\x01{f.english}" for f in fields)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


# -- the form --------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _form_links(value: Any, nested: bool = True) -> list[dict[str, Any]]:
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            link = {"title": _text(item.get("title")), "url": _text(item.get("url"))}
            if nested:
                link["description"] = _text(item.get("description"))
                link["links"] = _form_links(item.get("links"))
        else:  # a source written as a bare address
            link = {"title": _text(item), "url": _text(item)}
            if nested:
                link.update(description="", links=[])
        out.append(link)
    return out


def form_from_data(data: Any) -> dict[str, Any]:
    """The form the page edits, from a loaded snippet (a mapping; missing keys are empty):
    text fields as strings (dates ``YYYY-MM-DD``), ``links`` as a list of ``{title, url,
    description, links}``, ``call_to_action`` as ``{text, url, description}`` and
    ``sources`` as ``{title, url}``."""
    data = data if isinstance(data, dict) else {}
    cta = data.get("call_to_action")
    cta = cta if isinstance(cta, dict) else {}
    form: dict[str, Any] = {key: _text(data.get(key)) for key in (
        "title", "subject", "preheader", "date", "language", "audience", "body",
        "links_heading", "reviewed", "reviewed_by")}
    form["links"] = _form_links(data.get("links"))
    form["call_to_action"] = {k: _text(cta.get(k)) for k in ("text", "url", "description")}
    form["sources"] = _form_links(data.get("sources"), nested=False)
    return form


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())


def _field(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    if not isinstance(value, str):
        raise Refused(HTTPStatus.BAD_REQUEST, f"the field '{key}' must be text.")
    return value


def _links_values(items: Any, nested: bool, where: str) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise Refused(HTTPStatus.BAD_REQUEST, f"'{where}' must be a list.")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, f"each of '{where}' must be an object.")
        link: dict[str, Any] = {"title": _one_line(item.get("title")),
                                "url": str(item.get("url") or "").strip()}
        children: list[dict[str, Any]] = []
        if nested:
            description = _one_line(item.get("description"))
            if description:
                link["description"] = description
            children = _links_values(item.get("links", []), True, where)
            if children:
                link["links"] = children
        if link["title"] or link["url"] or children:
            out.append(link)
    return out


def clean_form(form: Any) -> dict[str, Any]:
    """The form with blank links dropped and spaces tidied, in the form's own shape (so
    finding paths such as ``links.0.url`` match the values the YAML gets).

    Raises:
        Refused: (400) when ``form`` does not have the form's shape.
    """
    if not isinstance(form, dict):
        raise Refused(HTTPStatus.BAD_REQUEST, "the form must be a JSON object.")
    cta = form.get("call_to_action") or {}
    if not isinstance(cta, dict):
        raise Refused(HTTPStatus.BAD_REQUEST, "'call_to_action' must be an object.")
    body = _field(form, "body").replace("\r\n", "\n").replace("\r", "\n")
    body = "\n".join(line.rstrip() for line in body.split("\n")).strip("\n")
    out: dict[str, Any] = {
        "title": _one_line(_field(form, "title")),
        "subject": _one_line(_field(form, "subject")),
        "preheader": _one_line(_field(form, "preheader")),
        "date": _field(form, "date").strip(),
        "language": _field(form, "language").strip(),
        "audience": _one_line(_field(form, "audience")),
        "body": body,
        "links_heading": _one_line(_field(form, "links_heading")),
        "reviewed": _field(form, "reviewed").strip(),
        "reviewed_by": _one_line(_field(form, "reviewed_by")),
        "call_to_action": {"text": _one_line(cta.get("text")),
                           "url": str(cta.get("url") or "").strip(),
                           "description": _one_line(cta.get("description"))},
        "links": _links_values(form.get("links", []), True, "links"),
        "sources": _links_values(form.get("sources", []), False, "sources"),
    }
    return out


def yaml_values(clean: dict[str, Any]) -> dict[str, Any]:
    """The snippet's keys for a cleaned form: required keys always, optional ones only when
    filled in; dates as ``datetime.date`` when they are dates; the body as a block."""
    values: dict[str, Any] = {}
    for key in TOP_ORDER:
        value = clean[key]
        if key in ("date", "reviewed") and value:
            value = to_date(value)
        elif key == "body":
            value = value + "\n" if value else ""
        elif key == "call_to_action":
            value = {k: v for k, v in value.items() if v}
        elif key in ("links", "sources") and not value:
            continue
        if value or key in ("title", "subject", "preheader", "date", "body"):
            values[key] = value
    return values


@functools.lru_cache(maxsize=4)
def _base_document(base_text: str) -> Any:
    return load_document(base_text)


def snippet_text(clean: dict[str, Any], base_text: str, verify: bool = True) -> str:
    """The YAML file for ``clean`` (from :func:`clean_form`): ``base_text`` (the file as
    it is, or the starter) with the form's values merged in; every other key, comment and
    unchanged value kept as written.

    Args:
        verify: read the text back and compare (Save always does; a draft is read back by
            the render anyway).

    Raises:
        MailerError: when ``base_text`` cannot be read, or (a fault in the writer) the text
            would not read back as the form's values.
    """
    doc = copy.deepcopy(_base_document(base_text))  # a copy: 8x faster than parsing again
    values = yaml_values(clean)
    update_map(doc, values, KEY_ORDER, "", owned=TOP_ORDER)
    text = dump_document(doc, base_text)
    if not verify:
        return text
    back = parse_yaml(text, Path("draft.yaml"), SnippetError)
    for key, value in values.items():
        if _comparable(back.get(key), value) != _comparable(value):
            raise MailerError(f"the editor could not write '{key}' so that it reads back the "
                              "same. Nothing was saved; please report this.")
    return text


def _comparable(value: Any, like: Any = None) -> Any:
    """``value`` as plain data with dates as text; maps cut to the keys ``like`` has (the
    form's), so keys the form does not edit (a source's ``date``) do not count."""
    value = plain(value)
    if isinstance(value, dict):
        keys = like.keys() if isinstance(like, dict) else value.keys()
        return {k: _comparable(value.get(k), like.get(k) if isinstance(like, dict) else None)
                for k in keys}
    if isinstance(value, list):
        likes = like if isinstance(like, list) else []
        return [_comparable(v, likes[i] if i < len(likes) else None)
                for i, v in enumerate(value)]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# -- findings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldFinding:
    """One thing to fix, shown at a field of the form.

    Attributes:
        field: a form path (``"subject"``, ``"links.0.links.1.url"``,
            ``"call_to_action.text"``), or ``""`` when it is about the email as a whole
            (a template or settings matter).
        severity: ``"error"`` (blocks saving when ``source`` is ``"form"``) or ``"warning"``.
        message: what is wrong and what to do.
        source: ``"form"`` (the advisory's own rules) or ``"check"`` (``mailer check``).
        check_id: the checklist id for a check (``"E9"``), else ``""``.
    """

    field: str
    severity: str
    message: str
    source: str = "form"
    check_id: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"field": self.field, "severity": self.severity, "message": self.message,
                "source": self.source, "check_id": self.check_id}


def _url_findings(url: str, field: str, what: str) -> list[FieldFinding]:
    lower = url.lower()
    if not url:
        return [FieldFinding(field, "error", f"Write the {what}'s web address, starting "
                                             "with https://.")]
    if any(ch.isspace() for ch in url):
        return [FieldFinding(field, "error", "A web address cannot contain spaces.")]
    if lower.startswith("http://") and len(url) > 7:
        return [FieldFinding(field, "warning", "This address starts with http://, which is "
                             "not secure. Use https:// if the site has it.")]
    if lower.startswith(("https://", "mailto:", "tel:")) and len(url.split(":", 1)[1]
                                                                  .strip("/")) > 0:
        return []
    return [FieldFinding(field, "error", "This is not a full web address. Links in an email "
                         "must start with https:// (or mailto: for email, tel: for phone).")]


def _links_findings(links: list[dict[str, Any]], prefix: str, what: str) -> list[FieldFinding]:
    out: list[FieldFinding] = []
    for i, link in enumerate(links):
        here = f"{prefix}.{i}"
        if not link["title"]:
            out.append(FieldFinding(f"{here}.title", "error", f"Write the {what}'s title: the "
                                    "words people click, e.g. the organisation's name."))
        out += _url_findings(link["url"], f"{here}.url", what)
        out += _links_findings(link.get("links", []), f"{here}.links", what)
    return out


def _date_finding(value: str, field: str, label: str, required: bool) -> list[FieldFinding]:
    if not value:
        return [FieldFinding(field, "error", f"Choose the {label}.")] if required else []
    try:
        parse_date(value)
    except NotADate as exc:
        if exc.reason:
            return [FieldFinding(field, "error", f"{exc.text} is not a real date: "
                                                 f"{exc.reason}.")]
        return [FieldFinding(field, "error", f"Write the {label} as year-month-day, "
                                             "e.g. 2026-09-14.")]
    return []


def form_findings(clean: dict[str, Any]) -> list[FieldFinding]:
    """The advisory's own rules, checked on a cleaned form, each at its field: required
    fields, dates, the language code, link titles and addresses (``http:`` a warning;
    ``javascript:``, ``data:``, relative addresses errors), subject and preview-line
    lengths (:data:`SUBJECT_WARN`, :data:`SUBJECT_MAX`, :data:`PREHEADER_WARN`)."""
    out: list[FieldFinding] = []
    if not clean["title"]:
        out.append(FieldFinding("title", "error", "Write a title: it is the heading parents "
                                "see at the top of the email."))
    subject = clean["subject"]
    if not subject:
        out.append(FieldFinding("subject", "error", "Write a subject: it is what parents see "
                                "in their inbox."))
    elif len(subject) > SUBJECT_MAX:
        out.append(FieldFinding("subject", "error", f"The subject is {len(subject)} "
                                f"characters; Outlook keeps only {SUBJECT_MAX}. Shorten it."))
    elif len(subject) > SUBJECT_WARN:
        out.append(FieldFinding("subject", "warning", f"The subject is {len(subject)} "
                                f"characters; inboxes show about {SUBJECT_WARN} (phones about "
                                "40), so put the important words first."))
    preheader = clean["preheader"]
    if not preheader:
        out.append(FieldFinding("preheader", "error", "Write the inbox preview line: the "
                                "sentence shown after the subject in the inbox."))
    elif len(preheader) > PREHEADER_WARN:
        out.append(FieldFinding("preheader", "warning", f"The preview line is {len(preheader)} "
                                f"characters; inboxes show at most about {PREHEADER_WARN}."))
    out += _date_finding(clean["date"], "date", "date", True)
    out += _date_finding(clean["reviewed"], "reviewed", "review date", False)
    if clean["language"] and not LANGUAGE_TAG.fullmatch(clean["language"]):
        out.append(FieldFinding("language", "error", "Write a language code such as en, pl, "
                                "ar or pt-BR."))
    if not clean["body"].strip():
        out.append(FieldFinding("body", "error", "Write the advisory's text."))
    cta = clean["call_to_action"]
    if cta["text"] or cta["url"] or cta["description"]:
        if not cta["text"]:
            out.append(FieldFinding("call_to_action.text", "error", "Write the words on the "
                                    "button, e.g. 'Report a concern to CEOP'."))
        out += _url_findings(cta["url"], "call_to_action.url", "button")
    out += _links_findings(clean["links"], "links", "link")
    out += _links_findings(clean["sources"], "sources", "source")
    return out


def line_fields(text: str) -> list[tuple[int, str]]:
    """``(line, field path)`` for every key and list item of snippet YAML ``text``
    (1-based lines, sorted), so an error at a line can be shown at its field."""
    out: list[tuple[int, str]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key in node:
                line = node.lc.key(key)[0] + 1
                here = f"{path}.{key}" if path else str(key)
                out.append((line, here))
                walk(node[key], here)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                line = node.lc.item(i)[0] + 1
                out.append((line, f"{path}.{i}"))
                walk(item, f"{path}.{i}")

    try:
        walk(load_document(text), "")
    except MailerError:
        return []
    return sorted(out, key=lambda pair: (pair[0], pair[1].count(".")))


def field_at(lines: list[tuple[int, str]], line: int | None) -> str:
    """The field written at (or just before) ``line``, or ``""``."""
    best = ""
    for at, path in lines:
        if line is None or at > line:
            break
        best = path
    return best


def _all_urls(items: list[dict[str, Any]], prefix: str) -> list[tuple[str, str]]:
    out = []
    for i, link in enumerate(items):
        out.append((link.get("url", ""), f"{prefix}.{i}.url"))
        out += _all_urls(link.get("links", []), f"{prefix}.{i}.links")
    return out


_LABELS = {"title": "Title", "subject": "Subject", "preheader": "Inbox preview line",
           "date": "Date", "reviewed": "Review date", "language": "Language", "body": "Text",
           "audience": "Audience", "links_heading": "Heading above the links",
           "reviewed_by": "Checked by",
           "call_to_action.text": "Words on the button",
           "call_to_action.url": "Button's web address",
           "call_to_action.description": "Sentence under the button"}
_PARTS = {"title": "title", "url": "web address", "description": "description"}


def field_label(field: str, clean: dict[str, Any]) -> str:
    """The words the form shows for ``field``: ``Subject``, ``Link "Childnet", web
    address``; ``"the marked field"`` for anything else."""
    if field in _LABELS:
        return _LABELS[field]
    match = re.fullmatch(r"(links|sources)((?:\.\d+(?:\.links)?)*)\.(\d+)\.(title|url|description)",
                         field)
    if match:
        node: Any = clean
        for part in field.split(".")[:-1]:
            node = node[int(part)] if part.isdigit() else node.get(part)
            if node is None:
                break
        title = node.get("title") if isinstance(node, dict) else ""
        kind = "Link" if match.group(1) == "links" else "Source"
        name = f"\u201c{title}\u201d" if title else "without a title"
        return f"{kind} {name}, {_PARTS[match.group(4)]}"
    return "the marked field"


_CHECK_FIELDS = {"E4": "subject", "H3": "subject", "E19": "preheader", "E27": "language",
                 "E5": "language"}


_AT_LINE = re.compile(r"\.ya?ml, line (\d+)\)")


def check_field(finding: dict[str, str], clean: dict[str, Any],
                lines: list[tuple[int, str]] | None = None) -> str:
    """The form field a ``mailer check`` finding is about: the field written at the line
    it names (``ooVoo (x.yaml, line 28)``, with ``lines`` from :func:`line_fields` of
    the text that was checked), the link, button or source whose address it quotes, the
    body when the body holds that address, the subject, preview line or language for the
    checks about them; ``""`` for template matters."""
    at = _AT_LINE.search(f"{finding.get('element', '')} {finding.get('message', '')}")
    if at and lines:
        field = field_at(lines, int(at.group(1)))
        if field:
            return _leaf(field, clean)
    quoted = [m.group(1) or m.group(0) for m in _URL_IN.finditer(
        f"{finding.get('element', '')} {finding.get('message', '')}")]
    urls = _all_urls(clean["links"], "links") + _all_urls(clean["sources"], "sources")
    if clean["call_to_action"]["url"]:
        urls.append((clean["call_to_action"]["url"], "call_to_action.url"))
    for url in quoted:
        for candidate, field in urls:
            if candidate and candidate.rstrip("/.") == url.rstrip("/.").replace("&amp;", "&"):
                return field
        if url in clean["body"]:
            return "body"
    return _CHECK_FIELDS.get(finding.get("id", ""), "")


def _leaf(field: str, clean: dict[str, Any]) -> str:
    """A field the form has an input for: ``links.5`` becomes ``links.5.title``; a
    ``call_to_action`` line its text."""
    if re.fullmatch(r"(links|sources)(\.\d+(\.links)?)*\.\d+", field):
        return f"{field}.title"
    if field == "call_to_action":
        return "call_to_action.text"
    return field


# -- the editor --------------------------------------------------------------------------------

def starter_text(today: dt.date | None = None) -> str:
    """The starter a new advisory begins from: the shipped ``starter.yaml`` with today's
    date."""
    text = (resources.files("mailer.preview") / "starter.yaml").read_text(encoding="utf-8")
    return text.replace("DATE_TODAY", (today or dt.date.today()).isoformat())


def file_digest(path: Path) -> str | None:
    """SHA-256 hex of the file's bytes, or ``None`` when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


class Editor:
    """What the Edit panel works on: one snippet file in the workspace's ``snippets/``.

    Args:
        session: the preview session whose render shows the unsaved changes.
        new: start from the starter (``mailer new``) instead of the session's snippet.

    The file's text and SHA-256 when the page read it (``base_text``, ``base_sha``; ``None``
    for a file not yet saved) are what a save compares against.
    """

    def __init__(self, session: PreviewSession, new: bool = False) -> None:
        self.session = session
        self.workspace: Workspace = session.workspace
        self.is_new = new
        self.folder = self.workspace.root / SNIPPETS_FOLDER
        self.path = self.folder / (f"{session.snippet}.yaml" if not new else "new-advisory.yaml")
        self.base_text = starter_text() if new else ""
        self.base_sha: str | None = None
        #: The translations opened in the translation view, by language tag.
        self.translations: dict[str, TranslationDoc] = {}
        if not new:
            self._open_existing()
        else:
            session.draft_text, session.draft_path = self.base_text, self.path

    def _open_existing(self) -> None:
        from mailer.snippets import find_snippet

        source = find_snippet(self.session.snippet, self.workspace.snippet_dirs)
        try:
            inside = source.resolve().parent == self.folder.resolve()
        except OSError:
            inside = False
        self.path = source if inside else self.folder / f"{source.stem}.yaml"
        self.base_text = source.read_text(encoding="utf-8-sig")
        self.base_sha = file_digest(self.path) if inside else None

    @property
    def rel_path(self) -> str:
        """``snippets/NAME.yaml``."""
        return f"{SNIPPETS_FOLDER}/{self.path.name}"

    def document(self) -> dict[str, Any]:
        """What the page loads: the file's path, whether it is new, its SHA-256, the form
        (or ``problem`` when the file cannot be read into one) and the limits."""
        out: dict[str, Any] = {"path": self.rel_path, "name": self.path.stem,
                               "is_new": self.is_new, "sha": self.base_sha, "form": None,
                               "problem": None,
                               "limits": {"subject_warn": SUBJECT_WARN,
                                          "subject_max": SUBJECT_MAX,
                                          "preheader_warn": PREHEADER_WARN}}
        try:
            data = parse_yaml(self.base_text, self.path, SnippetError)
            load_document(self.base_text)
        except MailerError as exc:
            out["problem"] = (f"Line {exc.line}: {exc.message}" if exc.line else exc.message)
            return out
        out["form"] = form_from_data(data)
        return out

    def reopen(self) -> dict[str, Any]:
        """Forget the unsaved changes and read the file again (after it changed on disk).
        Returns :meth:`document`."""
        if self.base_sha is not None or self.path.exists():
            self.session.snippet = self.path.stem
            self._open_existing()
            self.session.draft_text = self.session.draft_path = None
        else:
            self.base_text = starter_text()
            self.session.draft_text, self.session.draft_path = self.base_text, self.path
        self.session.rebuild()
        return self.document()

    def disk(self) -> dict[str, Any]:
        """The file's SHA-256 on disk now and whether it differs from what the page read."""
        sha = file_digest(self.path)
        return {"sha": sha, "changed": sha != self.base_sha}

    def draft(self, form: Any) -> dict[str, Any]:
        """Show ``form`` in the preview without saving; return its findings.

        Returns:
            ``{"findings": [...], "can_save": bool, "version": int, "rendered": bool}``;
            findings as :meth:`FieldFinding.as_dict`, form rules first, then the checks.
        """
        clean = clean_form(form)
        findings = form_findings(clean)
        try:
            text = snippet_text(clean, self.base_text, verify=False)
        except MailerError as exc:
            findings.append(FieldFinding("", "error", exc.message))
            return self._answer(findings, None)
        session = self.session
        blocking = [f for f in findings if f.severity == "error"]
        if blocking and session.snapshot.rendered is not None:
            # Keep showing the last version without an error: a half-typed address must
            # not blank the preview at every keystroke. The page says the preview waits.
            answer = self._answer(findings, session.snapshot)
            answer["stale"] = True
            return answer
        lines = line_fields(text)
        if text == self.base_text and not self.is_new:
            # Nothing changed: show the file itself, so saves from a text editor show at once.
            session.draft_text = session.draft_path = None
        else:
            session.draft_text, session.draft_path = text, self.path
        session.rebuild()
        snap = session.update_checks()
        if snap.problem is not None:
            field = _problem_field(text, lines)
            if not any(f.field == field and f.severity == "error" for f in findings):
                findings.append(FieldFinding(field, "error", _sentence(snap.problem.message)))
            first = next(f for f in findings if f.severity == "error")
            empty = [f for f in findings if f.severity == "error" and f.field in clean
                     and not clean[f.field]]
            if self.is_new and empty and len(empty) == len(
                    [f for f in findings if f.severity == "error"]):
                problem = Problem("your advisory appears here as soon as it has a title, a "
                                  "subject, an inbox preview line and some text.",
                                  file="the Edit panel")
            else:  # the form's words, not the YAML's
                problem = Problem(first.message,
                                  file=f"the Edit panel: {field_label(first.field, clean)}")
            snap = session._publish(problem=problem)
        for row in snap.checks.findings:
            findings.append(FieldFinding(check_field(row, clean, lines), row["severity"],
                                         _sentence(row["message"]), "check", row["id"]))
        # the form's own first, then the checks about a field, then the email as a whole
        findings.sort(key=lambda f: (f.source != "form", f.field == ""))
        return self._answer(findings, snap)

    def _answer(self, findings: list[FieldFinding], snap: Any) -> dict[str, Any]:
        blocking = [f for f in findings if f.severity == "error" and f.source == "form"]
        return {"findings": [f.as_dict() for f in findings], "can_save": not blocking,
                "version": snap.version if snap is not None else None,
                "rendered": bool(snap is not None and snap.rendered is not None),
                "stale": False}

    def save(self, form: Any, rel_path: Any, base_sha: Any, overwrite: bool) -> dict[str, Any]:
        """Write the form to ``rel_path`` (``snippets/NAME.yaml``).

        Raises:
            Refused: 403 for a path outside ``snippets/``; 422 when the form has errors
                (nothing written); 409 when the file changed on disk since it was read (or,
                for a new advisory, already exists) and ``overwrite`` is not true.
        """
        path = resolve_target(self.workspace, rel_path)
        clean = clean_form(form)
        errors = [f for f in form_findings(clean) if f.severity == "error"]
        if errors:
            raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY,
                          "Nothing was saved: fix the fields marked in red first.")
        current_sha = file_digest(path)
        expected = base_sha if isinstance(base_sha, str) else None
        if path != self.path:
            expected = None  # saving under a new name: only a free name is safe
        if current_sha != expected and not overwrite:
            raise Refused(HTTPStatus.CONFLICT, (
                f"{_rel(self.workspace, path)} was changed on this computer after you opened "
                "it (another program or person saved it)." if expected is not None
                else f"There is already an advisory saved as {_rel(self.workspace, path)}."))
        base = path.read_text(encoding="utf-8-sig") if current_sha is not None else (
            self.base_text)
        try:
            text = snippet_text(clean, base)
        except MailerError as exc:
            raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY, exc.message) from None
        # A last look with the same rules as 'mailer check' and 'mailer send'.
        try:
            parse_snippet(parse_yaml(text, path, SnippetError), path, text)
        except MailerError as exc:
            raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY,
                          f"Nothing was saved: {_sentence(exc.message)}") from None
        write_like_existing(path, text)
        self.path, self.base_text, self.base_sha, self.is_new = path, text, file_digest(path), False
        session = self.session
        session.snippet = path.stem
        session.draft_text = session.draft_path = None
        session.rebuild()
        return {"saved": True, "path": self.rel_path, "name": path.stem, "sha": self.base_sha}


    # -- the translation view ------------------------------------------------------------

    def english_snippet(self) -> Snippet:
        """The English as the page has it now (its unsaved changes included).

        Raises:
            MailerError: when the English cannot be read (the page says so instead).
        """
        text = self.session.draft_text if self.session.draft_text is not None else (
            self.base_text)
        return parse_snippet(parse_yaml(text, self.path, SnippetError), self.path, text)

    def languages(self) -> list[dict[str, Any]]:
        """English, then every translation (on disk, or added in this page and not saved
        yet), for the panel's language switch."""
        out = [language_entry("en", self.path, None)]
        if self.is_new:
            return out
        found: dict[str, Path | None] = {}
        with contextlib.suppress(MailerError):
            english = self.english_snippet()
            found.update(snippet_translations(self.workspace, english))
        for tag, tdoc in self.translations.items():
            found.setdefault(tag, tdoc.path)
        snap = self.session.snapshot
        for tag in sorted(found):
            entry = language_entry(tag, found[tag], snap.translations.get(tag))
            entry["saved"] = tag not in self.translations or self.translations[tag].exists
            out.append(entry)
        return out

    def _tdoc(self, tag: Any, create: bool = False) -> TranslationDoc:
        """The translation being edited in ``tag`` (opened from its file the first time).

        Raises:
            Refused: 403 for a tag that is no language (``../x``); 404 for a language with
                no translation (unless ``create``); 409 for a new advisory not saved yet.
        """
        if self.is_new:
            raise Refused(HTTPStatus.CONFLICT, "Save the English advisory first; then add "
                                               "its translations.")
        try:
            clean = language_tag(tag, self.path.stem)
        except MailerError as exc:
            raise Refused(HTTPStatus.FORBIDDEN, f"Refused: {exc.message}") from None
        if clean != tag and not create:
            raise Refused(HTTPStatus.FORBIDDEN, f"Refused: '{tag}' is not a language tag "
                                                "as mailer writes them.")
        if clean in self.translations:
            return self.translations[clean]
        try:
            english = self.english_snippet()
        except MailerError as exc:
            raise Refused(HTTPStatus.CONFLICT, "Fix the English first: "
                                               f"{_sentence(exc.message)}") from None
        files = snippet_translations(self.workspace, english)
        if clean not in files and not create:
            raise Refused(HTTPStatus.NOT_FOUND, f"There is no {english_name(clean)} "
                                                "translation. Add it with \u201cAdd a "
                                                "language\u201d.")
        tdoc = TranslationDoc.open(self.folder, english.id, clean, files.get(clean))
        self.translations[clean] = tdoc
        return tdoc

    def add_language(self, value: Any) -> dict[str, Any]:
        """Start a translation into the language the user typed (``Polish``, ``pl``),
        or open it when it exists. Nothing is written until Save. Returns
        :meth:`translation_document`.

        Raises:
            Refused: 403 for what is no language (see :func:`language_tag`).
        """
        tdoc = self._tdoc(value, create=True)
        return self.translation_document(tdoc.tag)

    def translation_document(self, tag: Any) -> dict[str, Any]:
        """What the page loads for the translation into ``tag``: its file, SHA-256, the
        fields (each with the English), direction, and ``problem`` when the file cannot be
        read."""
        tdoc = self._tdoc(tag)
        out: dict[str, Any] = {
            "language": tdoc.tag, "name": english_name(tdoc.tag), "dir": direction(tdoc.tag),
            "path": tdoc.rel_path, "is_new": not tdoc.exists, "sha": tdoc.base_sha,
            "fields": None, "problem": None, "languages": self.languages(),
            "limits": {"subject_warn": SUBJECT_WARN, "subject_max": SUBJECT_MAX,
                       "preheader_warn": PREHEADER_WARN}}
        try:
            english = self.english_snippet()
            fields = tdoc.fields(english)
            out["fields"] = [f.as_dict() for f in fields]
            out["fields_digest"] = fields_digest(fields)
            out["review"] = review_state(english, tdoc.snippet())
        except MailerError as exc:
            out["problem"] = (f"Line {exc.line}: {exc.message}" if exc.line else exc.message)
        return out

    def _translation_input(self, tdoc: TranslationDoc, texts: Any, digest: Any,
                           review: Any = None,
                           ) -> tuple[Snippet, list[Field], dict[str, str], Review | None]:
        """The English now, the view's fields, the posted ``texts`` tidied and the posted
        ``review`` (see :func:`clean_review`).

        Raises:
            Refused: 400 when the English cannot be read or ``texts`` is not the form's;
                409 (``fields_changed``) when the page's fields (``digest``, from
                :meth:`translation_document`) are no longer the English's (a paragraph
                added in the English meanwhile): its texts would land in the wrong places.
        """
        try:
            english = self.english_snippet()
            fields = tdoc.fields(english)
            clean = clean_texts(texts, fields)
            wanted = clean_review(review)
        except MailerError as exc:
            raise Refused(HTTPStatus.BAD_REQUEST, exc.message) from None
        if digest is not None and digest != fields_digest(fields):
            raise FieldsChanged(HTTPStatus.CONFLICT, "The English has changed since this "
                                "page showed the translation: the fields were read again. "
                                "Check your changes, then save.")
        return english, fields, clean, wanted

    def translation_draft(self, tag: Any, texts: Any, digest: Any = None,
                          review: Any = None) -> dict[str, Any]:
        """Show the translation ``texts`` (``{field key: text}``) with what ``review`` says
        (:func:`clean_review`) in the preview without saving, and check it as ``mailer
        check`` checks a translation. Returns the same shape as :meth:`draft`, plus
        ``untranslated`` (the keys of empty fields) and ``language`` (its name)."""
        tdoc = self._tdoc(tag)
        english, fields, texts, wanted = self._translation_input(tdoc, texts, digest, review)
        findings = [FieldFinding(**row) for row in text_findings(fields, texts)]
        session = self.session
        try:
            text = translation_text(english, tdoc.tag, fields, texts, tdoc.base_text,
                                    tdoc.path, review=wanted)
        except MailerError as exc:
            if not any(f.severity == "error" for f in findings):  # else already at its field
                findings.append(FieldFinding(
                    finding_field({"message": exc.message}, fields, texts, ""), "error",
                    _sentence(exc.message)))
            answer = self._answer(findings, session.snapshot)
            answer.update(stale=True, untranslated=untranslated(fields, texts))
            return answer
        if text == tdoc.base_text:
            session.translation_drafts.pop(tdoc.tag, None)
        else:
            session.translation_drafts[tdoc.tag] = (text, tdoc.path)
        snap = session.rebuild()
        if snap.problem is not None:
            findings.append(FieldFinding("", "error", _sentence(snap.problem.message)))
        else:
            from mailer.checks.runner import translation_findings

            translated = snap.translations[tdoc.tag]
            try:
                rows = translation_findings(self.workspace, english, translated,
                                            snap.translated(tdoc.tag), tdoc.path)
            except MailerError as exc:
                rows = []
                findings.append(FieldFinding("", "error", _sentence(exc.message)))
            for row in rows:
                if row.id == "L4":  # each untranslated field is marked at the field
                    continue
                as_row = {"id": row.id, "element": row.element, "message": row.message}
                findings.append(FieldFinding(finding_field(as_row, fields, texts, text),
                                             row.severity, _sentence(row.message), "check",
                                             row.id))
        findings.sort(key=lambda f: (f.source != "form", f.field == ""))
        answer = self._answer(findings, snap)
        answer["untranslated"] = untranslated(fields, texts)
        answer["language"] = english_name(tdoc.tag)
        return answer

    def translation_save(self, tag: Any, texts: Any, rel_path: Any, base_sha: Any,
                         overwrite: bool, digest: Any = None,
                         review: Any = None) -> dict[str, Any]:
        """Write the translation into ``tag`` to ``rel_path``, which must be its own file,
        ``snippets/ID.TAG.yaml``, with what ``review`` says (:func:`clean_review`) in its
        ``translation:`` section. Returns ``saved``, ``path``, ``sha`` and the ``review``
        state of the file now (:func:`review_state`).

        Raises:
            Refused: 403 for another path or a tag that is no language; 422 when the text
                would not be a valid translation; 409 when the file changed on disk since
                it was read (or appeared, for a new translation) and ``overwrite`` is not
                true.
        """
        path = resolve_target(self.workspace, rel_path)
        tdoc = self._tdoc(tag)
        if path != tdoc.path:
            raise Refused(HTTPStatus.FORBIDDEN, "Refused: a translation is saved only as "
                                                f"{tdoc.rel_path}.")
        english, fields, texts, wanted = self._translation_input(tdoc, texts, digest, review)
        errors = [f for f in text_findings(fields, texts) if f["severity"] == "error"]
        if errors:
            raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY,
                          "Nothing was saved: fix the fields marked in red first.")
        current_sha = file_digest(path)
        if current_sha != tdoc.base_sha and not overwrite:
            raise Refused(HTTPStatus.CONFLICT, (
                f"{tdoc.rel_path} was changed on this computer after you opened it (another "
                "program or person saved it)." if tdoc.base_sha is not None
                else f"There is already a translation saved as {tdoc.rel_path}."))
        try:
            text = translation_text(english, tdoc.tag, fields, texts, tdoc.base_text, path,
                                    review=wanted)
        except MailerError as exc:
            raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY,
                          f"Nothing was saved: {_sentence(exc.message)}") from None
        write_like_existing(path, text)
        tdoc.saved(text)
        self.session.translation_drafts.pop(tdoc.tag, None)
        self.session.rebuild()
        return {"saved": True, "path": tdoc.rel_path, "language": tdoc.tag,
                "sha": tdoc.base_sha, "review": review_state(english, tdoc.snippet())}

    def translation_reopen(self, tag: Any) -> dict[str, Any]:
        """Forget the unsaved changes to the translation into ``tag`` and read its file
        again. Returns :meth:`translation_document`."""
        tdoc = self._tdoc(tag)
        tdoc.reload()
        self.session.translation_drafts.pop(tdoc.tag, None)
        self.session.rebuild()
        return self.translation_document(tdoc.tag)

    def translation_disk(self, tag: Any) -> dict[str, Any]:
        """As :meth:`disk`, for the translation into ``tag``."""
        tdoc = self._tdoc(tag)
        sha = file_digest(tdoc.path)
        return {"sha": sha, "changed": sha != tdoc.base_sha}


class TranslationDoc:
    """One translation the panel edits: ``snippets/ID.TAG.yaml`` in the workspace.

    Attributes:
        tag: its language tag.
        path: the file it is saved as (in the workspace's ``snippets/``).
        base_text: the text the fields were read from (the workspace's file, or a
            packaged translation of a packaged advisory), ``None`` for a new one.
        base_sha: SHA-256 of ``path`` when read (``None`` when it did not exist).
    """

    def __init__(self, tag: str, path: Path, source: Path | None) -> None:
        self.tag = tag
        self.path = path
        self.source = source
        self.base_text: str | None = None
        self.base_sha: str | None = None
        self.reload()

    @classmethod
    def open(cls, folder: Path, snippet_id: str, tag: str, source: Path | None,
             ) -> TranslationDoc:
        """The translation of ``snippet_id`` into ``tag``: read from ``source`` (the file
        :func:`mailer.jobs.snippet_translations` found) when there is one."""
        return cls(tag, folder.resolve() / f"{snippet_id}.{tag}.yaml", source)

    @property
    def rel_path(self) -> str:
        """``snippets/ID.TAG.yaml``."""
        return f"{SNIPPETS_FOLDER}/{self.path.name}"

    @property
    def exists(self) -> bool:
        """True when the workspace has the file."""
        return self.base_sha is not None

    def reload(self) -> None:
        """Read the file again (the workspace's, else ``source``)."""
        source = self.path if self.path.is_file() else self.source
        self.base_text = (source.read_text(encoding="utf-8-sig")
                          if source is not None and source.is_file() else None)
        self.base_sha = file_digest(self.path)
        self._fields: tuple[str, str, list[Field]] | None = None

    def saved(self, text: str) -> None:
        """After a save: the file now says ``text``."""
        self.base_text = text
        self.base_sha = file_digest(self.path)
        self._fields = None

    def snippet(self) -> Snippet | None:
        """The translation as the page read it (``None`` for a new one).

        Raises:
            MailerError: when that text is not a valid translation (with its line).
        """
        if self.base_text is None:
            return None
        return parse_snippet(parse_yaml(self.base_text, self.path, SnippetError), self.path,
                             self.base_text)

    def fields(self, english: Snippet) -> list[Field]:
        """The view's fields for ``english`` and the text the page read.

        Raises:
            MailerError: when that text is not a valid translation (with its line).
        """
        key = (english.source_text, self.base_text or "")
        if self._fields is not None and self._fields[:2] == key:
            return self._fields[2]
        translated = None
        if self.base_text is not None:
            translated = parse_snippet(parse_yaml(self.base_text, self.path, SnippetError),
                                       self.path, self.base_text)
        fields = translation_fields(english, translated)
        self._fields = (key[0], key[1], fields)
        return fields


def _problem_field(text: str, lines: list[tuple[int, str]]) -> str:
    try:
        parse_snippet(parse_yaml(text, Path("draft.yaml"), SnippetError), Path("draft.yaml"),
                      text)
    except MailerError as exc:
        return field_at(lines, exc.line)
    return ""


def _sentence(message: str) -> str:
    """``message`` with a capital letter, unless its first word is a name that has its
    own capitals (``ooVoo``, ``iPad``)."""
    message = message.strip()
    first = message.split(" ", 1)[0]
    if not message or first != first.lower():
        return message
    return message[:1].upper() + message[1:]


def _rel(ws: Workspace, path: Path) -> str:
    try:
        return str(path.relative_to(ws.root))
    except ValueError:
        return str(path)


def resolve_target(ws: Workspace, rel_path: Any) -> Path:
    """The file ``rel_path`` names, which must be a ``.yaml``/``.yml`` file directly in the
    workspace's ``snippets/`` folder (``snippets/NAME.yaml``, or just ``NAME.yaml``).

    Raises:
        Refused: (403) for anything else: ``..``, an absolute path, another folder, a
            hidden or oddly named file, a link that leads out of the folder.
    """
    refused = Refused(HTTPStatus.FORBIDDEN, "Refused: the editor only saves advisories in "
                                            "the snippets folder.")
    if not isinstance(rel_path, str) or "\x00" in rel_path or "\\" in rel_path:
        raise refused
    parts = rel_path.split("/")
    if len(parts) == 2 and parts[0] == SNIPPETS_FOLDER:
        parts = parts[1:]
    if len(parts) != 1 or not _FILE_NAME.fullmatch(parts[0]) or ".." in parts[0]:
        raise refused
    folder = (ws.root / SNIPPETS_FOLDER).resolve()
    path = ws.root / SNIPPETS_FOLDER / parts[0]
    if path.is_symlink() or path.resolve().parent != folder:
        raise refused
    return folder / parts[0]


# -- HTTP --------------------------------------------------------------------------------------

def _asset(name: str) -> bytes:
    return (resources.files("mailer.preview") / "static" / name).read_bytes()


def editor_page(index_html: str, token: str, open_panel: bool) -> str:
    """The preview page with the Edit panel put in, and the run's token in a ``<meta>``.

    Raises:
        RuntimeError: when the page no longer has the places the panel goes (a test
            catches this when the page's markup changes).
    """
    if not all(marker in index_html for marker in _MARKERS):
        raise RuntimeError("the preview page has no place for the Edit panel")
    panel = _asset("editor.html").decode("utf-8")
    head = (f'<meta name="mailer-token" content="{token}">\n'
            f'<meta name="mailer-editor" content="{"open" if open_panel else "closed"}">\n'
            '<link rel="stylesheet" href="/static/editor.css">\n'
            '<script src="/static/editor.js" defer></script>\n</head>')
    page = index_html.replace("</head>", head, 1)
    page = page.replace(_MARKERS[0], f'<div class="workbench">\n{panel}\n{_MARKERS[0]}', 1)
    head_end, main_end = page.index("</head>"), page.rindex("</main>")
    assert head_end < main_end
    return page[:main_end] + "</main>\n</div>" + page[main_end + len("</main>"):]


class EditorServer(PreviewServer):
    """The preview server with the Edit panel: the page gets the form and this run's
    token; ``POST /api/draft`` and ``POST /api/save`` change the preview and the file.

    Args:
        session, host, port: as :class:`PreviewServer`.
        new: edit a new advisory from the starter (``mailer new``).
        open_panel: show the Edit panel when the page opens (``mailer edit``/``new``);
            otherwise it opens with the page's Edit button.
    """

    def __init__(self, session: PreviewSession, host: str = "127.0.0.1",
                 port: int | None = None, *, new: bool = False, open_panel: bool = False) -> None:
        super().__init__(session, host, port)
        self.token = secrets.token_urlsafe(32)
        self.editor = Editor(session, new=new)
        index, ctype = self._assets["/"]
        page = editor_page(index.decode("utf-8"), self.token, open_panel or new)
        self._assets["/"] = (page.encode("utf-8"), ctype)
        for route, (name, kind) in _EDITOR_ASSETS.items():
            self._assets[route] = (_asset(name), kind)
        self._origins = {f"http://{h}" for h in self._allowed_hosts}

    def origin_allowed(self, origin: str | None) -> bool:
        """``True`` when there is no ``Origin`` header or it is this server's."""
        return origin is None or origin.strip().lower() in self._origins

    def token_ok(self, token: Any) -> bool:
        """``True`` for this run's token (compared in constant time)."""
        return isinstance(token, str) and hmac.compare_digest(token.encode(),
                                                              self.token.encode())


class _EditorHandler(_Handler):
    server: Any

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self._send(status, body, "application/json")

    def _answer(self, head: bool) -> None:
        path = self.path.partition("?")[0]
        if path not in _EDITOR_ASSETS and path not in ("/api/editor", "/api/disk"):
            super()._answer(head)
            return
        # the page may be closed, or move on, while this is answered
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer_editor(path, head)

    def _answer_editor(self, path: str, head: bool) -> None:
        preview: EditorServer = self.server.preview
        if not preview.host_allowed(self.headers.get("Host")):
            self._text(HTTPStatus.FORBIDDEN, "Forbidden: unexpected Host header.\n", head)
            return
        if path in _EDITOR_ASSETS:
            body, ctype = preview._assets[path]
            self._send(HTTPStatus.OK, body, ctype, _PAGE_CSP, head)
            return
        query = urllib.parse.parse_qs(self.path.partition("?")[2])
        language = query.get("lang", [""])[0]
        editor = preview.editor
        try:
            with preview.session._build_lock:
                if not language:
                    payload = editor.document() if path == "/api/editor" else editor.disk()
                    if path == "/api/editor":
                        payload["languages"] = editor.languages()
                elif path == "/api/editor":
                    payload = editor.translation_document(language)
                else:
                    payload = editor.translation_disk(language)
        except Refused as exc:
            self._send(exc.status, json.dumps({"error": exc.message}).encode("utf-8"),
                       "application/json", head=head)
            return
        self._send(HTTPStatus.OK, json.dumps(payload).encode("utf-8"), "application/json",
                   head=head)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        preview: EditorServer = self.server.preview
        try:
            payload = self._checked_body(preview)
            path = self.path.partition("?")[0]
            editor = preview.editor
            language = payload.get("language") or ""
            overwrite = payload.get("overwrite") is True
            with preview.session._build_lock:
                if path == "/api/language":
                    answer = editor.add_language(payload.get("language"))
                elif language and path == "/api/draft":
                    answer = editor.translation_draft(language, payload.get("texts"),
                                                      payload.get("fields"),
                                                      payload.get("review"))
                elif language and path == "/api/reopen":
                    answer = editor.translation_reopen(language)
                elif language:
                    answer = editor.translation_save(language, payload.get("texts"),
                                                     payload.get("path"), payload.get("sha"),
                                                     overwrite, payload.get("fields"),
                                                     payload.get("review"))
                elif path == "/api/draft":
                    answer = editor.draft(payload.get("form"))
                elif path == "/api/reopen":
                    answer = editor.reopen()
                else:
                    answer = editor.save(payload.get("form"), payload.get("path"),
                                         payload.get("sha"), overwrite)
                self._json(HTTPStatus.OK, answer)
        except Refused as exc:
            self.close_connection = exc.status in (HTTPStatus.FORBIDDEN,
                                                   HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            self._json(exc.status, {"error": exc.message,
                                    "conflict": exc.status == HTTPStatus.CONFLICT,
                                    "fields_changed": isinstance(exc, FieldsChanged)})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _checked_body(self, preview: EditorServer) -> dict[str, Any]:
        """The JSON body, after every guard: route, Host, Origin, fetch site, content
        type, size, token. Raises :class:`Refused`."""
        if self.path.partition("?")[0] not in ("/api/draft", "/api/save", "/api/reopen",
                                               "/api/language"):
            raise Refused(HTTPStatus.NOT_FOUND, "Not found.")
        if not preview.host_allowed(self.headers.get("Host")):
            raise Refused(HTTPStatus.FORBIDDEN, "Refused: unexpected Host header.")
        if not preview.origin_allowed(self.headers.get("Origin")):
            raise Refused(HTTPStatus.FORBIDDEN, "Refused: the request came from another "
                                                "web site.")
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise Refused(HTTPStatus.FORBIDDEN, "Refused: the request came from another "
                                                "web site.")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Refused: send JSON.")
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Refused: the request is too "
                                                               "large or empty.")
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refused(HTTPStatus.BAD_REQUEST, "Refused: the body is not JSON.") from None
        if not isinstance(payload, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "Refused: the body must be a JSON object.")
        if not preview.token_ok(payload.get("token")):
            raise Refused(HTTPStatus.FORBIDDEN, "Refused: this request does not come from "
                                                "the preview page (missing token).")
        return payload


EditorServer.handler_class = _EditorHandler
