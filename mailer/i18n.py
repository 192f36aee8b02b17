"""The templates' fixed words in other languages: gettext catalogs read and compiled with
Babel, used by Jinja2 through ``jinja2.ext.i18n``.

Catalogs are PO files in ``templates/locale/LANG.po`` (the workspace's ``templates/``
first, then the packaged one), so a school can correct or add one without touching the
code. Each is compiled in memory (Babel's ``read_po`` and ``write_mo``, then
:class:`gettext.GNUTranslations`) the first time it is needed and kept while the file is
unchanged. A catalog's header says whether a native speaker has reviewed it::

    "X-Native-Speaker-Reviewed: no\\n"
    "X-Reviewed-By: \\n"

``mailer check`` reports a catalog that says ``no`` (or says nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import TemplateError
from mailer.languages import best_match, english_name, is_english

LOCALE_DIR = "locale"

#: msgctxt of the greeting forms (see :class:`Greetings`).
GREETING_CONTEXT = "greeting"
#: The greeting with a name, translated only where the catalog knows how the language forms
#: it (``Annwyl %(name)s``); left empty, the language's plural greeting is used.
NAMED_GREETING = "Dear %(name)s"
#: The greeting for everyone: "Dear parents and carers", in the language's plural form.
PLURAL_GREETING = "Dear parents and carers"
#: The greeting line: the greeting and the punctuation after it, on the side the language
#: puts it (``%(greeting)s,`` in English, ``%(greeting)s،`` in Arabic and Urdu).
GREETING_LINE = "%(greeting)s,"
#: The short line above an English email sent to a parent whose language has no
#: translation (``languages.untranslated: english_with_note``).
UNTRANSLATED_NOTE = (
    "This email from %(school)s is about keeping your child safe. We do not have it in "
    "your language yet. If you would like help to understand it, please contact the "
    "school: %(contact)s."
)

_REVIEWED = re.compile(r'^"X-Native-Speaker-Reviewed:\s*([^\\"]*)', re.MULTILINE | re.IGNORECASE)
_REVIEWER = re.compile(r'^"X-Reviewed-By:\s*([^\\"]*)', re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Catalog:
    """A compiled catalog.

    Attributes:
        tag: the language tag the file is named for (``pl``, ``pt``, ``pa``).
        path: the PO file.
        translations: ready for ``jinja2.ext.i18n``.
        reviewed: True when the header says a native speaker reviewed it.
        reviewed_by: who did, as the header says (may be ``""``).
        untranslated: msgids with an empty translation (fuzzy ones count as empty).
    """

    tag: str
    path: Path
    translations: gettext.NullTranslations
    reviewed: bool
    reviewed_by: str
    untranslated: tuple[str, ...]

    def pgettext(self, context: str, message: str) -> str:
        """The translation of ``message`` in ``context``; ``message`` itself when missing."""
        return self.translations.pgettext(context, message)

    def has(self, message: str, context: str | None = None) -> bool:
        """True when the catalog translates ``message`` (in ``context``)."""
        key = f"{context}\x04{message}" if context else message
        return bool(getattr(self.translations, "_catalog", {}).get(key))


def catalog_files(template_dirs: Sequence[Path]) -> dict[str, Path]:
    """Language tag -> PO file, for every ``templates/locale/*.po`` (earlier folders win)."""
    found: dict[str, Path] = {}
    for folder in template_dirs:
        locale = folder / LOCALE_DIR
        if not locale.is_dir():
            continue
        for path in sorted(locale.glob("*.po")):
            found.setdefault(path.stem.replace("_", "-"), path)
    return found


def load_catalog(tag: str, template_dirs: Sequence[Path]) -> Catalog | None:
    """The catalog suiting a reader of ``tag`` (``pt-BR`` takes ``pt.po``), or ``None`` for
    English and for a language with no catalog.

    Raises:
        TemplateError: when the PO file cannot be read (naming its file and line).
    """
    if is_english(tag):
        return None
    files = catalog_files(template_dirs)
    match = best_match(tag, tuple(files))
    if match is None:
        return None
    path = files[match]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"the catalog cannot be read ({exc.strerror}).", path=path) from None
    return _compile(match, path, hashlib.sha256(data).hexdigest(), data)


@functools.lru_cache(maxsize=64)
def _compile(tag: str, path: Path, digest: str, data: bytes) -> Catalog:
    # Babel only when a catalog is read (an English advisory needs none): 40 ms at start.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    try:
        catalog = read_po(io.BytesIO(data), locale=None, abort_invalid=True)
    except Exception as exc:  # Babel raises PoFileError and others, with the line
        line = getattr(exc, "lineno", None)
        raise TemplateError(
            f"the {english_name(tag)} catalog is not a valid PO file ({exc}).",
            path=path, line=line,
        ) from None
    untranslated = tuple(
        str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)
    )
    for message in catalog:
        if message.id and message.fuzzy:
            message.string = ""  # a fuzzy translation is a guess: never send it
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    text = data.decode("utf-8", "replace")
    reviewed = _REVIEWED.search(text)
    reviewer = _REVIEWER.search(text)
    return Catalog(
        tag=tag,
        path=path,
        translations=translations,
        reviewed=bool(reviewed) and reviewed.group(1).strip().lower() in ("yes", "true"),
        reviewed_by=reviewer.group(1).strip() if reviewer else "",
        untranslated=untranslated,
    )


@dataclass(frozen=True)
class Greetings:
    """How a message in one language greets its reader.

    Attributes:
        named: the greeting with a name (``Annwyl %(name)s``), or ``""`` when the catalog
            does not say how the language forms one.
        plural: the greeting for everyone (``Szanowni Rodzice i Opiekunowie``).
    """

    named: str
    plural: str

    def greet(self, addressee: str) -> str:
        """The greeting for a reader the list names as ``addressee`` (``Mrs Khan``, or
        ``""``)."""
        if self.named and addressee:
            return self.named.replace("%(name)s", addressee)
        return self.plural


def greetings(catalog: Catalog | None) -> Greetings | None:
    """The greeting forms of ``catalog``; ``None`` for English (the list's own greeting,
    ``Dear Mrs Khan``, is used)."""
    if catalog is None:
        return None
    named = catalog.pgettext(GREETING_CONTEXT, NAMED_GREETING)
    plural = catalog.pgettext(GREETING_CONTEXT, PLURAL_GREETING)
    return Greetings(named=named if named != NAMED_GREETING else "", plural=plural)


def long_date(value: dt.date, language: str) -> str:
    """``value`` as a letter in ``language`` (BCP 47) writes it: ``1 December 2026`` in
    English (the British order), ``1 grudnia 2026`` in Polish, ``١ ديسمبر ٢٠٢٦`` or
    ``1 ديسمبر 2026`` in Arabic, as CLDR's long date format says through Babel; the
    English form for a language Babel does not know."""
    english = f"{value.day} {value.strftime('%B %Y')}"
    if not language or is_english(language):
        return english
    from babel.core import UnknownLocaleError
    from babel.dates import format_date

    try:
        return str(format_date(value, format="long", locale=language.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return english
