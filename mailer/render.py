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
import hashlib
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cssutils
import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import html as lxml_html
from markupsafe import Markup
from premailer import Premailer

from mailer.config import Config
from mailer.errors import TemplateError
from mailer.linktext import label_pdf_links, link_label
from mailer.plaintext import markdown_to_text, wrap
from mailer.snippets import Snippet, markdown_to_html

# premailer serialises CSS through cssutils, which by default shortens #111111 to #111;
# email clients and checklist S5/E18 want 6-digit hex.
cssutils.ser.prefs.minimizeColorHash = False
cssutils.log.setLevel(logging.CRITICAL)

#: Personal fields a template may use as ``{{ recipient.NAME }}``. See
#: :meth:`mailer.recipients.Recipient.fields` for their values.
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
    """

    snippet: Snippet
    subject: str
    html: str
    text: str
    block: str
    fields_used: frozenset[str]
    digest: str
    language: str = ""

    def personalise(self, fields: dict[str, str]) -> tuple[str, str]:
        """Return ``(html, text)`` for one recipient.

        ``fields`` maps personal field names to values; HTML values are escaped.

        Raises:
            KeyError: when a used field is missing from ``fields``.
        """
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
        """Neutral values for a preview with no list: ``Dear Parent/Carer`` and so on."""
        return {
            "greeting": "Dear Parent/Carer",
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


def _environment(template_dirs: Sequence[Path]) -> jinja2.Environment:
    """The Jinja2 environment for ``template_dirs``, reused while no template file changes.

    Compiling the templates costs about 35 ms, more than the rest of a render, and the
    preview re-renders on every save. The environment is keyed on the templates' contents,
    not their modification times, so an edited template is never served stale (even on a
    FAT-formatted USB stick, whose timestamps have a 2-second resolution)."""
    dirs = tuple(template_dirs)
    return _cached_environment(dirs, _templates_digest(dirs))


@functools.lru_cache(maxsize=8)
def _cached_environment(template_dirs: tuple[Path, ...], digest: str) -> jinja2.Environment:
    # The sandbox refuses attribute access that reaches Python internals
    # (``"".__class__.__mro__``), so a template cannot run code or read files.
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["wrap"] = wrap
    env.filters["link_label"] = link_label
    return env


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


def _context(snippet: Snippet, config: Config) -> dict[str, Any]:
    org = config.organisation
    return {
        "snippet": snippet,
        "org": org,
        "sender": config.sender,
        "lang": message_language(snippet, config),
        "dir": snippet.direction,
        "align": "right" if snippet.direction == "rtl" else "left",
        "brand": org.brand_colour,
        "body_html": Markup(label_pdf_links(markdown_to_html(snippet.body))),
        "body_text": markdown_to_text(snippet.body),
        "recipient": _Placeholders(),
    }


def _inline(document: str) -> str:
    """Inline the document's CSS with premailer, keeping media queries and ``!important``
    (``strip_important=False``; checklist E16) and ``data-premailer="ignore"`` blocks (E22)."""
    return Premailer(
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


def render(snippet: Snippet, config: Config, template_dirs: list[Path]) -> Rendered:
    """Render ``snippet`` with ``config`` through the templates in ``template_dirs``
    (``email.html``, ``email.txt``, ``block.html``; earlier folders win).

    Raises:
        TemplateError: when a template has a syntax error or uses an undefined value.
    """
    env = _environment(tuple(template_dirs))
    ctx = _context(snippet, config)
    full = _inline(_render_template(env, "email.html", ctx))
    text = _render_template(env, "email.txt", ctx).strip() + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    block = _extract_block(_inline(_render_template(env, "block.html", ctx)))
    used = frozenset(m.lower() for m in _SENTINEL_RE.findall(full + text))
    unknown = used - set(PERSONAL_FIELDS)
    if unknown:
        raise TemplateError(f"unknown personal field(s): {', '.join(sorted(unknown))}.")
    if _SENTINEL_RE.search(block):
        raise TemplateError(
            "the newsletter block cannot use personal fields (recipient.*): it is the same for "
            "every reader."
        )
    digest = hashlib.sha256(
        "\x00".join((snippet.subject, full, text, block)).encode("utf-8")
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
    )
