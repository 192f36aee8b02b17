"""Checks of a translation against the English it came from (``mailer check`` runs them on
every ``snippets/SNIPPET.LANG.yaml``), and of the catalogs behind the templates' words.

Ids:
  L1 a link of the English is missing from the translation, or goes somewhere else
  L2 the button is missing or goes somewhere else
  L3 the body's structure differs: a paragraph, heading or list item count that does not
     match
  L4 strings left in English
  L5 the translation is older than the English (the English changed since)
  L6 the translation has not been reviewed by a native speaker
  L7 the catalog of the templates' fixed words has not been reviewed by a native speaker,
     or leaves words in English
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from mailer.checks.model import Finding, error, warning
from mailer.i18n import Catalog
from mailer.languages import english_name
from mailer.snippets import Snippet, english_digest, markdown_tokens

# mailer.translate (and Babel's PO machinery with it, 70 ms at every start) is imported by
# the checks that compare a translation, not by every command that runs the checks.

_WORDS = re.compile(r"[^\W\d_]{2,}")


def _body_urls(body: str) -> list[str]:
    urls = []
    for token in markdown_tokens(body):
        for child in token.children or []:
            if child.type == "link_open":
                urls.append(str(child.attrs.get("href", "")))
    return urls


def _links(snippet: Snippet) -> list[str]:
    return [link.url for link in snippet.all_links()] + _body_urls(snippet.body)


def compare(english: Snippet, translated: Snippet, path: Path | None = None,
            english_path: Path | None = None) -> list[Finding]:
    """What differs between ``translated`` and the ``english`` it translates (L1-L6).

    Errors: a link or the button missing or changed (parents of that language would lose
    the way to help). Warnings: structure, untranslated strings, age, review.
    """
    out: list[Finding] = []
    english_links, translated_links = Counter(_links(english)), Counter(_links(translated))
    for url, count in english_links.items():
        if translated_links[url] < count:
            out.append(error("L1", url, "the English links to this address and the "
                             "translation does not: put the link back (the address stays "
                             "the English one)."))
    for url, count in translated_links.items():
        if english_links[url] < count:
            out.append(error("L1", url, "the translation links to an address the English "
                             "does not have: check that it is not a mistyped copy of one of "
                             "the English links."))
    cta_en, cta_tr = english.call_to_action, translated.call_to_action
    if cta_en is not None and cta_tr is None:
        out.append(error("L2", cta_en.url, "the English has a button and the translation "
                         "does not: add call_to_action with the same url."))
    elif cta_en is not None and cta_tr is not None and cta_en.url != cta_tr.url:
        out.append(error("L2", cta_tr.url, f"the button goes to {cta_tr.url}, but the "
                         f"English button goes to {cta_en.url}."))
    elif cta_en is None and cta_tr is not None:
        out.append(warning("L2", cta_tr.url, "the translation has a button the English does "
                           "not have."))
    from mailer.translate import body_blocks

    kinds_en = Counter(b.kind for b in body_blocks(english.body))
    kinds_tr = Counter(b.kind for b in body_blocks(translated.body))
    for kind in sorted(set(kinds_en) | set(kinds_tr)):
        if kinds_en[kind] != kinds_tr[kind]:
            out.append(warning(
                "L3", f"body: {kinds_tr[kind]} {kind}(s)",
                f"the English body has {kinds_en[kind]} {kind}(s) and the translation "
                f"{kinds_tr[kind]}: a part may be missing or two parts joined. Keep one "
                "translated part for each English one."))
    if [len(link.links) for link in english.all_links()] != [
            len(link.links) for link in translated.all_links()] and not any(
            f.id == "L1" for f in out):
        out.append(warning("L3", "links", "the links are nested differently from the "
                           "English."))
    out.extend(_untranslated(english, translated))
    out.extend(_age(english, translated, path, english_path))
    info = translated.translation
    if info is None or not info.native_speaker_reviewed:
        out.append(warning("L6", path.name if path else translated.id,
                           f"this {english_name(translated.language)} translation has not "
                           "been reviewed by a native speaker. Ask one to read it, then tick "
                           "\u201cA native speaker has read this translation\u201d in the "
                           "editor (mailer edit) and save."))
    return out


def _untranslated(english: Snippet, translated: Snippet) -> list[Finding]:
    """L4: strings of the translation equal to the English, with three or more words (a
    name such as "Thinkuknow", "Net Aware" or a link titled "Get Safe Online" rightly
    stays as it is)."""
    from mailer.translate import segments

    theirs = {s.context: s.text for s in segments(translated)}
    left = []
    for seg in segments(english):
        text = theirs.get(seg.context)
        words = _WORDS.findall(seg.text)
        if text is None or text.strip() != seg.text.strip() or len(words) < 3:
            continue
        if seg.context.endswith(" title") and all(w[0].isupper() for w in words):
            continue  # a name in title case: "Get Safe Online", "UK Safer Internet Centre"
        left.append(seg.context)
    if not left:
        return []
    shown = ", ".join(left[:8]) + (f" and {len(left) - 8} more" if len(left) > 8 else "")
    return [warning("L4", shown, f"{len(left)} string(s) are still the English words. "
                    "Translate them, or check that leaving them in English is meant.")]


def _age(english: Snippet, translated: Snippet, path: Path | None,
         english_path: Path | None) -> list[Finding]:
    """L5: the English changed since the translation was made. Known for sure when the
    translation records the English it came from (``from_english``, written by ``mailer
    translate import``); otherwise an older ``date`` or an older file says so."""
    said = _age_found(english, translated, path, english_path)
    if not said:
        return []
    return [warning("L5", path.name if path else translated.id, said + _IN_EDITOR)]


#: How an L5 is cleared in the editor (the translation view's own control).
_IN_EDITOR = (" Or, in the editor (mailer edit), bring each field up to date with the English "
              "beside it, tick \u201cit says what the English says now\u201d and save.")


def _age_found(english: Snippet, translated: Snippet, path: Path | None,
               english_path: Path | None) -> str:
    """The L5 message without :data:`_IN_EDITOR`, or ``""``."""
    info = translated.translation
    if info is not None and info.from_english:
        if info.from_english != english_digest(english):
            return ("the English has changed since this translation was made: export it "
                    "again (mailer translate export) and ask the translator to update the "
                    "strings that changed.")
        return ""
    if translated.date < english.date:
        return (f"the translation is dated {translated.date}, older than the English "
                f"({english.date}): check it says what the English says now.")
    if path is not None and english_path is not None:
        try:
            older = path.stat().st_mtime + 1 < english_path.stat().st_mtime
        except OSError:
            older = False
        if older:
            changed = dt.datetime.fromtimestamp(english_path.stat().st_mtime)
            return ("the English file was changed after this translation was last saved "
                    f"(on {changed:%d %b %Y %H:%M}): check it says what the English says "
                    "now.")
    return ""


def catalog_findings(catalog: Catalog | None, language: str) -> list[Finding]:
    """L7: the catalog of the templates' fixed words for ``language``."""
    name = english_name(language)
    if catalog is None:
        return [warning("L7", language, f"there is no catalog for {name}, so the email's "
                        "fixed words (greeting, 'Who to contact', the footer) stay in "
                        "English. Add templates/locale/"
                        f"{language}.po (copy templates/locale/mailer.pot).")]
    out = []
    if not catalog.reviewed:
        out.append(warning("L7", catalog.path.name, f"nobody who speaks {name} has yet "
                           "checked the words every email has around the advisory (the "
                           "greeting, 'Who to contact', the footer). Ask a native speaker "
                           f"to read an email in {name} in this preview; when they say the "
                           "words are right, ask whoever looks after mailer for your "
                           "school to mark them as checked (the line "
                           f"X-Native-Speaker-Reviewed: yes in {catalog.path.name})."))
    missing = [m for m in catalog.untranslated if m != "Dear %(name)s"]
    if missing:
        out.append(warning("L7", catalog.path.name, f"the {name} catalog leaves "
                           f"{len(missing)} of the email's fixed words in English: "
                           + "; ".join(repr(m) for m in missing[:4]) + "."))
    return out
