"""Which message each parent gets: their language where a translation exists, else English
(alone, or with one short line in their language, as ``languages.untranslated`` says).

The snippet is rendered once per message kind, never per recipient: English, each
translation that someone on the list reads, and (with ``english_with_note``) English with
the note in each language that has no translation but has a catalog with the note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path

from mailer.compose import Composed, Composer
from mailer.config import Sender
from mailer.i18n import UNTRANSLATED_NOTE, load_catalog
from mailer.jobs import snippet_translations
from mailer.languages import best_match, english_name, is_english
from mailer.lists import Recipient
from mailer.render import Rendered, render
from mailer.snippets import Snippet, load_snippet
from mailer.workspace import Workspace

#: The key of the English message.
ENGLISH = "en"


def note_key(language: str) -> str:
    """The key of the English message with the note in ``language``: ``en+ur``."""
    return f"{ENGLISH}+{language}"


@dataclass
class LanguagePlan:
    """The messages of one send and who gets which.

    Attributes:
        rendered: message key -> the snippet rendered once for it. Keys: ``en``, a
            translation's tag (``pl``, ``pt-BR``), or ``en+TAG`` (English with the note in
            TAG).
        by_language: reader's tag (``""``: not given) -> message key, for every language
            on the list.
        untranslated: ``english`` or ``english_with_note`` (from ``mailer.yaml``).
    """

    rendered: dict[str, Rendered]
    by_language: dict[str, str] = field(default_factory=dict)
    untranslated: str = "english"

    def key_for(self, recipient: Recipient) -> str:
        """The message key for ``recipient``."""
        return self.by_language.get(recipient.language, ENGLISH)

    def rendered_for(self, recipient: Recipient) -> Rendered:
        """The rendered message ``recipient`` gets."""
        return self.rendered[self.key_for(recipient)]

    def message_languages(self, recipients: Iterable[Recipient]) -> Iterator[tuple[str, str]]:
        """(address, language of the message they get) for the journal, one recipient at a
        time (a list of them would be 7 MiB more at the peak of a 100,000-recipient send):
        ``en`` for English (with or without the note in their language), else the
        translation's tag (``pl``, ``pt-BR``)."""
        for rec in recipients:
            key = self.key_for(rec)
            yield rec.email, ENGLISH if key.startswith(ENGLISH) else key

    @property
    def english(self) -> Rendered:
        """The English message."""
        return self.rendered[ENGLISH]

    def counts(self, recipients: Iterable[Recipient]) -> dict[str, object]:
        """For the summary and ``--json``:

        ``languages``: message language -> recipients (``en`` counts everyone who gets
        English, for whatever reason); ``english_no_translation``: how many get English
        because their language has no translation; ``no_translation``: those, per their
        language; ``with_note``: how many of them get the note in their language.
        """
        languages: Counter[str] = Counter()
        missing: Counter[str] = Counter()
        noted = 0
        if isinstance(recipients, Sized) and all(map(is_english, self.by_language)):
            # Every language on the list is English (or not stated; most lists): everyone
            # gets English, none for want of a translation, with no pass over them.
            return {"languages": {ENGLISH: len(recipients)} if len(recipients) else {},
                    "english_no_translation": 0, "no_translation": {}, "with_note": 0}
        for rec in recipients:
            key = self.key_for(rec)
            languages[ENGLISH if key.startswith(ENGLISH) else key] += 1
            if key.startswith(ENGLISH) and rec.language and not is_english(rec.language):
                missing[rec.language] += 1
                noted += key != ENGLISH
        return {
            "languages": dict(languages.most_common()),
            "english_no_translation": sum(missing.values()),
            "no_translation": dict(missing.most_common()),
            "with_note": noted,
        }

    def summary_lines(self, recipients: Iterable[Recipient]) -> list[str]:
        """Plain words for the send summary, e.g. ``Languages: English 12, Polish 3,
        Arabic 2`` and ``English for want of a translation: 4 (Urdu 3, Somali 1)``."""
        counts = self.counts(recipients)
        languages: dict[str, int] = counts["languages"]  # type: ignore[assignment]
        if set(languages) <= {ENGLISH} and not counts["english_no_translation"]:
            return []
        lines = ["Languages:  " + ", ".join(
            f"{english_name(tag) if tag != ENGLISH else 'English'} {n}"
            for tag, n in languages.items())]
        missing: dict[str, int] = counts["no_translation"]  # type: ignore[assignment]
        if missing:
            how = ("English with a line in their language"
                   if self.untranslated == "english_with_note" else "English")
            lines.append(
                f"No translation: {counts['english_no_translation']} get {how} ("
                + ", ".join(f"{english_name(t)} {n}" for t, n in missing.items()) + ")")
        return lines


def plan_languages(ws: Workspace, english: Snippet, recipients: Iterable[Recipient],
                   english_rendered: Rendered | None = None) -> LanguagePlan:
    """Decide and render each recipient's message (once per message kind).

    Args:
        ws: the workspace (translations, templates, ``languages.untranslated``).
        english: the English snippet.
        recipients: everyone the send is for.
        english_rendered: the English rendering, when already made.

    Raises:
        MailerError: when a translation that someone needs cannot be loaded or rendered.
    """
    config = ws.config
    untranslated = config.languages.untranslated
    translations: dict[str, Path] | None = None  # looked for when a reader needs one
    rendered: dict[str, Rendered] = {
        ENGLISH: english_rendered or render(english, config, ws.template_dirs)}
    by_language: dict[str, str] = {}
    for tag in sorted({r.language for r in recipients}):
        if is_english(tag):
            by_language[tag] = ENGLISH
            continue
        if translations is None:
            translations = snippet_translations(ws, english)
        match = best_match(tag, tuple(translations))
        if match is not None:
            if match not in rendered:
                rendered[match] = render(load_snippet(translations[match]), config,
                                         ws.template_dirs)
            by_language[tag] = match
            continue
        key = ENGLISH
        if untranslated == "english_with_note":
            catalog = load_catalog(tag, ws.template_dirs)
            if catalog is not None and catalog.has(UNTRANSLATED_NOTE):
                key = note_key(catalog.tag)
                if key not in rendered:
                    rendered[key] = render(english, config, ws.template_dirs,
                                           note_language=catalog.tag)
        by_language[tag] = key
    return LanguagePlan(rendered=rendered, by_language=by_language, untranslated=untranslated)


class LanguageComposer:
    """A :class:`~mailer.compose.Composer` per message of a :class:`LanguagePlan`, behind
    the one ``compose`` call the send path makes: the recipient's ``language`` field (see
    :meth:`mailer.lists.Recipient.fields`) picks the message. Each composer builds its
    message template once, so the per-recipient cost is the same as with one language.
    """

    def __init__(self, plan: LanguagePlan, sender: Sender, subject_prefix: str = "") -> None:
        self.plan = plan
        self.sender = sender
        self.composers = {key: Composer(rendered, sender, subject_prefix)
                          for key, rendered in plan.rendered.items()}
        english = self.composers[ENGLISH]
        self.rendered = english.rendered
        self.subject = english.subject
        self.envelope_from = english.envelope_from

    def for_language(self, language: str) -> Composer:
        """The composer of the message a reader of ``language`` gets."""
        return self.composers[self.plan.by_language.get(language, ENGLISH)]

    def compose(self, email: str, name: str, fields: dict[str, str], *,
                message_id: str | None = None, date: str | None = None) -> Composed:
        """As :meth:`mailer.compose.Composer.compose`, in the recipient's language."""
        return self.for_language(fields.get("language", "")).compose(
            email, name, fields, message_id=message_id, date=date)

    def check(self, email: str, name: str, fields: dict[str, str] | None = None) -> None:
        """As :meth:`mailer.compose.Composer.check`, for the recipient's message (without
        ``fields``, only the ``To`` line is checked, which is the same in every language)."""
        self.for_language((fields or {}).get("language", "")).check(email, name, fields)

    def compose_reference(self, email: str, name: str, fields: dict[str, str], *,
                          message_id: str | None = None, date: str | None = None) -> Composed:
        """As :meth:`mailer.compose.Composer.compose_reference`, in the recipient's
        language."""
        return self.for_language(fields.get("language", "")).compose_reference(
            email, name, fields, message_id=message_id, date=date)
