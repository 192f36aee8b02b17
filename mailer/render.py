"""Rendering: a snippet and ``mailer.yaml`` to the full email, its text part and the block.

The expensive work happens once per campaign (Jinja2 rendering, CSS inlining with
premailer, about 10-20 ms); per recipient only a few personal fields are substituted into
the inlined result (microseconds). Personal fields therefore travel through the templates
and premailer as plain sentinel strings (``__MAILER_GREETING__``), which premailer leaves
alone even inside ``href`` (it would URL-escape Jinja's ``{{ }}``), and are swapped for
each recipient's values afterwards, HTML-escaped in the HTML parts.
"""

from __future__ import annotations

import functools
import gettext
import hashlib
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from mailer.config import Config
from mailer.errors import TemplateError
from mailer.i18n import (
    UNTRANSLATED_NOTE,
    Catalog,
    Greetings,
    greetings,
    load_catalog,
    long_date,
)
from mailer.languages import direction
from mailer.lazy import import_without
from mailer.linktext import PDF_LABEL, label_pdf_links, link_label
from mailer.plaintext import markdown_to_text, wrap
from mailer.snippets import Snippet, markdown_to_html

#: Personal fields a template may use as ``{{ recipient.NAME }}``. See
#: :meth:`mailer.lists.Recipient.fields` for their values.
PERSONAL_FIELDS: tuple[str, ...] = (
    "greeting", "email", "name", "title", "forename", "surname", "children", "children_details",
)

#: Fields every recipient always has a value for (so using them is never an error).
ALWAYS_PRESENT = frozenset({"greeting", "email"})

_SENTINEL_RE = re.compile(r"__MAILER_([A-Z_]+?)__")


def sentinel(name: str) -> str:
    """The placeholder string for personal field ``name`` (letters, digits, underscores)."""
    return f"__MAILER_{name.upper()}__"


class _Placeholders:
    """The ``recipient`` object templates see while rendering once for everyone."""

    def __init__(self) -> None:
        for name in PERSONAL_FIELDS:
            setattr(self, name, Markup(sentinel(name)))


class _UnknownField(jinja2.UndefinedError):
    """A template asked ``recipient`` for a field it does not have; the message is the
    field's name."""


class _Undefined(jinja2.StrictUndefined):
    """:class:`jinja2.StrictUndefined` that tells an unknown personal field
    (``recipient.nickname``) from other undefined values, so the error can name the field
    and list the ones that exist instead of an internal class name."""

    __slots__ = ()

    def __init__(self, hint: str | None = None, obj: Any = jinja2.utils.missing,
                 name: str | None = None,
                 exc: type[jinja2.TemplateRuntimeError] = jinja2.UndefinedError) -> None:
        if isinstance(obj, _Placeholders) and isinstance(name, str) and hint is None:
            exc, hint = _UnknownField, name
        super().__init__(hint, obj, name, exc)


def unknown_field_words(field: str) -> str:
    """The sentence for a template that uses ``recipient.FIELD`` where FIELD is not one of
    :data:`PERSONAL_FIELDS` (the README's list of personal fields)."""
    fields = ", ".join(f"recipient.{name}" for name in PERSONAL_FIELDS)
    return (f"the template uses recipient.{field}, but there is no personal field called "
            f"'{field}'. A template can use: {fields}.")


@dataclass(frozen=True)
class Rendered:
    """A snippet rendered once, ready to personalise.

    Attributes:
        subject: the ``Subject`` header text (not personalised).
        html: the full email after CSS inlining, with personal-field sentinels.
        text: the ``text/plain`` part, with personal-field sentinels.
        block: the pasteable block (one root element, no personal fields).
        fields_used: personal field names the html or text part uses.
        language: the message's full language tag (``en-GB``; see :func:`message_language`),
            for ``lang`` and the ``Content-Language`` header.
        digest: SHA-256 hex of subject, html, text and block; changes whenever the snippet,
            a template or the configuration changes what recipients get.
        greetings: for a language other than English, how the catalog greets a reader
            (:meth:`localise` puts it in the ``greeting`` field); ``None`` for English.
        note_language: the language of the one-line note above an English message sent
            to a parent whose language has no translation (``""``: no note).
    """

    snippet: Snippet
    subject: str
    html: str
    text: str
    block: str
    fields_used: frozenset[str]
    digest: str
    language: str = ""
    greetings: Greetings | None = None
    note_language: str = ""

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``: the way the message's language is written."""
        return direction(self.language or self.snippet.language)

    def localise(self, fields: dict[str, str]) -> dict[str, str]:
        """``fields`` with the greeting in the message's language: the catalog's greeting
        with the name (``addressee``, see :meth:`mailer.lists.Recipient.fields`) where the
        catalog knows how the language forms one, else its plural greeting. English
        messages keep the list's own greeting (the same dict is returned)."""
        if self.greetings is None:
            return fields
        out = dict(fields)
        out["greeting"] = self.greetings.greet(fields.get("addressee", ""))
        return out

    def personalise(self, fields: dict[str, str]) -> tuple[str, str]:
        """Return ``(html, text)`` for one recipient.

        ``fields`` maps personal field names to values; HTML values are escaped. The
        greeting is put in the message's language first (:meth:`localise`).

        Raises:
            KeyError: when a used field is missing from ``fields``.
        """
        fields = self.localise(fields)
        if not self.fields_used:
            return self.html, self.text
        # One pass over each body, so a value that happens to contain a sentinel is
        # inserted as it is, never substituted again.
        values = {sentinel(name): fields[name] for name in self.fields_used}
        escaped = {token: html.escape(value, quote=True) for token, value in values.items()}
        pattern = re.compile("|".join(re.escape(t) for t in sorted(values)))
        html_out = pattern.sub(lambda m: escaped[m.group(0)], self.html)
        text_out = pattern.sub(lambda m: values[m.group(0)], self.text)
        return html_out, text_out

    def preview_fields(self) -> dict[str, str]:
        """Neutral values for a preview with no list: ``Dear Parent/Carer`` (or the plural
        greeting of the message's language) and so on."""
        return {
            "greeting": self.greetings.plural if self.greetings else "Dear Parent/Carer",
            "email": "parent@example.com",
            "name": "Parent/Carer",
            "title": "",
            "forename": "Parent/Carer",
            "surname": "",
            "children": "your child",
            "children_details": "your child",
        }


def _templates_digest(template_dirs: tuple[Path, ...]) -> str:
    """SHA-256 over the names and bytes of every file in ``template_dirs`` (a few dozen KB;
    well under a millisecond)."""
    digest = hashlib.sha256()
    for folder in template_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\x00")
            try:
                digest.update(path.read_bytes())
            except OSError:
                continue
            digest.update(b"\x00")
    return digest.hexdigest()


def _environment(template_dirs: Sequence[Path],
                 catalog: Catalog | None = None) -> jinja2.Environment:
    """The Jinja2 environment for ``template_dirs``, reused while no template file changes.

    Compiling the templates costs about 35 ms, more than the rest of a render, and the
    preview re-renders on every save. The environment is keyed on the templates' contents,
    not their modification times, so an edited template is never served stale (even on a
    FAT-formatted USB stick, whose timestamps have a 2-second resolution)."""
    dirs = tuple(template_dirs)
    return _cached_environment(dirs, _templates_digest(dirs), catalog)


@functools.lru_cache(maxsize=32)
def _cached_environment(template_dirs: tuple[Path, ...], digest: str,
                        catalog: Catalog | None) -> jinja2.Environment:
    """One environment per (templates, catalog): the fixed words are compiled into it
    through ``jinja2.ext.i18n`` (new-style gettext: ``_("Telephone: %(phone)s",
    phone=...)``, values escaped in HTML)."""
    # The sandbox refuses attribute access that reaches Python internals
    # (``"".__class__.__mro__``), so a template cannot run code or read files.
    env = SandboxedEnvironment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=_Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["wrap"] = wrap
    translations = catalog.translations if catalog is not None else gettext.NullTranslations()
    pdf_label = translations.gettext(PDF_LABEL)
    env.filters["link_label"] = lambda title, url: link_label(title, url, pdf_label)
    env.filters["isolate"] = _isolate
    env.filters["isolate_runs"] = _isolate_runs
    env.filters["longdate"] = _longdate
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


# Strong right-to-left characters: Hebrew, Arabic, Syriac, Thaana, N'Ko and the
# presentation forms.
_RTL_CHARS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
#: Unicode isolates (UAX #9, section 2.7): LRI and FSI ... PDI.
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
_SPAN_STYLE = "font-family:inherit; font-size:inherit; line-height:inherit; color:inherit;"


@jinja2.pass_context
def _isolate(ctx: jinja2.runtime.Context, value: Any) -> Any:
    """In a right-to-left message, keep an English name, address, URL or phone number in
    its own order: ``<span dir="ltr">`` in HTML (an element with ``dir`` is isolated, per
    the HTML standard's rendering rules, and every major email client keeps the attribute),
    LRI ... PDI in plain text (UAX #9). Text that itself has right-to-left letters is
    isolated with its own first strong direction (``dir="auto"`` needs support clients
    lack, so ``dir="rtl"``/FSI). In plain text a URL or email address must end its line.
    Left-to-right messages are unchanged."""
    if ctx.get("dir") != "rtl" or value is None or value == "":
        return value
    text = str(value)
    rtl = bool(_RTL_CHARS.search(text))
    if ctx.eval_ctx.autoescape:
        shown = value if isinstance(value, Markup) else Markup.escape(text)
        # In the block, the span's text takes its look from the paragraph around it, also
        # once pasted into a newsletter (checklist S4 wants each text element to say so
        # itself); the email's spans carry no colour of their own (E20, dark mode).
        if ctx.get("is_block"):
            return Markup('<span dir="{}" style="{}">{}</span>').format(
                "rtl" if rtl else "ltr", _SPAN_STYLE, shown)
        return Markup('<span dir="{}">{}</span>').format("rtl" if rtl else "ltr", shown)
    if "://" in text or "@" in text or text.startswith(("mailto:", "tel:")):
        # A URL or address ends its line in the text part, where the paragraph's end
        # closes the isolate (UAX #9, BD9): no PDI, which a client's link finder might
        # take into the link.
        return f"{LRI}{text}"
    if len(text) <= 60:
        text = text.replace(" ", "\u00a0")  # the `wrap` filter must not break an isolate
    return f"{FSI if rtl else LRI}{text}{PDI}"


_TAG = re.compile(r"(<[^>]*>)")
_ENTITY = r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);"
_LATIN_RUN = re.compile(
    rf"(?:{_ENTITY}|[A-Za-z0-9])(?:(?:{_ENTITY}|[A-Za-z0-9 .,'\u2019/@:+_-])*"
    rf"(?:{_ENTITY}|[A-Za-z0-9]))?")


@jinja2.pass_context
def _isolate_runs(ctx: jinja2.runtime.Context, value: Any) -> Any:
    """In a right-to-left message, put every run of Latin letters and digits in the HTML
    ``value`` (a translator's "Kent Police", "Internet Watch Foundation", "CEOP") in its own
    ``<span dir="ltr">``, so a run with spaces, dots or an apostrophe keeps its order and its
    neighbouring punctuation lands on the right-to-left side. Runs without a letter (999)
    are left alone. Left-to-right messages are unchanged."""
    if ctx.get("dir") != "rtl" or not value:
        return value
    style = f' style="{_SPAN_STYLE}"' if ctx.get("is_block") else ""
    parts = _TAG.split(str(value))
    for i in range(0, len(parts), 2):  # text between tags
        parts[i] = _LATIN_RUN.sub(
            lambda m: (f'<span dir="ltr"{style}>{m.group(0)}</span>'
                       if re.search("[A-Za-z]", re.sub(_ENTITY, "", m.group(0)))
                       else m.group(0)),
            parts[i])
    return Markup("".join(parts))


@jinja2.pass_context
def _longdate(ctx: jinja2.runtime.Context, value: Any) -> str:
    """A date as the message's language writes it: ``12 May 2015`` in English, ``12 maja
    2015`` in Polish (CLDR long format through Babel; :func:`mailer.i18n.long_date`)."""
    return long_date(value, ctx.get("lang", "en"))


def message_language(snippet: Snippet, config: Config) -> str:
    """The full BCP 47 tag (RFC 5646) of the message: the snippet's ``language``, completed
    with the region of the organisation's ``language`` (mailer.yaml) when both name the same
    language and the snippet gives none: ``en`` with ``en-GB`` gives ``en-GB``; ``pl`` with
    ``en-GB`` stays ``pl``; ``pt-BR`` stays ``pt-BR``. Screen readers choose the voice from
    it (WCAG 3.1.1; checklist E27)."""
    own = snippet.language
    org = config.organisation.language
    if "-" not in own and org.split("-")[0].lower() == own.lower():
        return org
    return own


def _context(snippet: Snippet, config: Config, note: Catalog | None = None,
             catalog: Catalog | None = None) -> dict[str, Any]:
    org = config.organisation
    pdf_label = catalog.translations.gettext(PDF_LABEL) if catalog is not None else PDF_LABEL
    lang = snippet.language
    way = direction(lang)
    return {
        "snippet": snippet,
        "org": org,
        "sender": config.sender,
        "lang": message_language(snippet, config),
        "dir": way,
        "align": "right" if way == "rtl" else "left",
        "brand": org.brand_colour,
        "body_html": Markup(label_pdf_links(markdown_to_html(snippet.body), pdf_label)),
        "body_text": markdown_to_text(snippet.body),
        "recipient": _Placeholders(),
        **_note(note, config),
    }


def _note(catalog: Catalog | None, config: Config) -> dict[str, Any]:
    """The template values of the untranslated-language note: ``note`` (text, ``""`` for
    none), ``note_lang`` and ``note_dir``."""
    if catalog is None or not catalog.has(UNTRANSLATED_NOTE):
        return {"note": "", "note_lang": "", "note_dir": "ltr"}
    org = config.organisation
    contact = ""
    if org.contact is not None:
        contact = org.contact.phone or org.contact.email
    contact = contact or org.website or org.name
    way = direction(catalog.tag)
    iso = (lambda t: f"{LRI}{t}{PDI}") if way == "rtl" else (lambda t: t)
    text = catalog.translations.gettext(UNTRANSLATED_NOTE) % {
        "school": iso(org.name), "contact": iso(contact)}
    return {"note": text, "note_lang": catalog.tag, "note_dir": way}


@functools.cache
def _premailer() -> Any:
    """premailer's ``Premailer`` class. premailer imports ``requests`` (about 0.1 s of CPU
    and 6 MiB on every run) to fetch style sheets from the web, which ``allow_network=False``
    below never lets it do: it gets a stand-in that would import requests if it were ever
    used (:func:`mailer.lazy.import_without`)."""

    def load() -> Any:
        import cssutils
        from premailer import Premailer

        # premailer serialises CSS through cssutils, which by default shortens #111111
        # to #111; email clients and checklist S5/E18 want 6-digit hex.
        cssutils.ser.prefs.minimizeColorHash = False
        cssutils.log.setLevel(logging.CRITICAL)
        return Premailer

    return import_without(("requests",), load)


def _inline(document: str) -> str:
    """Inline the document's CSS with premailer, keeping media queries and ``!important``
    (``strip_important=False``; checklist E16) and ``data-premailer="ignore"`` blocks (E22)."""
    return _premailer()(
        document,
        strip_important=False,
        keep_style_tags=False,
        allow_network=False,
        disable_link_rewrites=True,
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
    ).transform()


def _extract_block(document: str) -> str:
    """Take the single root element out of the inlined block document, drop ``class`` and
    ``id`` attributes (checklist S2: the block is styled only by ``style=""``)."""
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(document)
    body = tree.find("body")
    roots = [el for el in body if isinstance(el.tag, str)] if body is not None else []
    if len(roots) != 1:
        raise TemplateError("the block template must produce exactly one root element.")
    root = roots[0]
    for el in root.iter():
        if isinstance(el.tag, str):
            el.attrib.pop("class", None)
            el.attrib.pop("id", None)
    return lxml_html.tostring(root, encoding="unicode", method="html").strip() + "\n"


def _template_line(exc: BaseException, name: str) -> tuple[str, int | None]:
    """The template file and 1-based line where a render failed, from the traceback
    Jinja2 rewrites so that template frames carry the template's file name and line."""
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        filename = frame.filename or ""
        if filename.endswith((".html", ".txt")) and not filename.endswith(".py"):
            return filename, frame.lineno
    return name, None


def _render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        template = env.get_template(name)
        out = template.render(context)
        if name.endswith(".html") and not out.strip():
            raise TemplateError("the template produced nothing: it needs the email's HTML.",
                                path=template.filename or name)
        return out
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template error: {exc.message}", path=exc.filename or name,
                            line=exc.lineno) from None
    except SecurityError as exc:
        path, line = _template_line(exc, name)
        raise TemplateError(
            f"the template tries something templates may not do ({exc}). A template can "
            "only show values; remove that expression.", path=path, line=line) from None
    except _UnknownField as exc:
        path, line = _template_line(exc, name)
        raise TemplateError(unknown_field_words(exc.message or ""),
                            path=path if line else name, line=line) from None
    except jinja2.UndefinedError as exc:
        path, line = _template_line(exc, name)
        raise TemplateError(f"the template uses a value that does not exist: {exc.message}.",
                            path=path if line else name, line=line) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"the template '{exc.name}' was not found.") from None
    except UnicodeDecodeError:
        raise TemplateError(
            f"the template '{name}' (or one it includes) is not UTF-8 text. Save it as UTF-8 "
            "in your editor."
        ) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, OverflowError,
            RecursionError, MemoryError, AttributeError) as exc:
        path, line = _template_line(exc, name)
        raise TemplateError(f"the template failed while filling it in "
                            f"({type(exc).__name__}: {exc}).", path=path, line=line) from None


def render(snippet: Snippet, config: Config, template_dirs: list[Path],
           note_language: str = "") -> Rendered:
    """Render ``snippet`` with ``config`` through the templates in ``template_dirs``
    (``email.html``, ``email.txt``, ``block.html``; earlier folders win), once for every
    reader of its language: the templates' fixed words come from the catalog of
    ``snippet.language`` (``templates/locale/LANG.po``; English words where there is none),
    and ``lang``/``dir`` follow the language.

    ``note_language``: for an English snippet sent to parents whose language has no
    translation, put the catalog's one-line note in that language at the top (nothing when
    the catalog has no such line).

    Raises:
        TemplateError: when a template has a syntax error or uses an undefined value, or a
            catalog cannot be read.
    """
    catalog = load_catalog(snippet.language, template_dirs)
    env = _environment(tuple(template_dirs), catalog)
    note = load_catalog(note_language, template_dirs) if note_language else None
    ctx = _context(snippet, config, note, catalog)
    full = _inline(_render_template(env, "email.html", ctx))
    text = _render_template(env, "email.txt", ctx).strip() + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    block = _extract_block(_inline(_render_template(env, "block.html",
                                                     {**ctx, "is_block": True})))
    used = frozenset(m.lower() for m in _SENTINEL_RE.findall(full + text))
    unknown = used - set(PERSONAL_FIELDS)
    if unknown:
        raise TemplateError(f"unknown personal field(s): {', '.join(sorted(unknown))}.")
    if _SENTINEL_RE.search(block):
        raise TemplateError(
            "the newsletter block cannot use personal fields (recipient.*): it is the same for "
            "every reader."
        )
    found = greetings(catalog)
    digest = hashlib.sha256(
        "\x00".join((snippet.subject, full, text, block, repr(found))).encode("utf-8")
    ).hexdigest()
    return Rendered(
        snippet=snippet,
        subject=snippet.subject,
        html=full,
        text=text,
        block=block,
        fields_used=used,
        digest=digest,
        language=ctx["lang"],
        greetings=found,
        note_language=ctx["note_lang"],
    )
