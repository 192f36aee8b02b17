"""Languages: what a list's language cell means, which way a language is written, and which
translation suits a reader.

Values in a list come as English names (``Polish``, ``Portuguese (Brazil)``, ``Panjabi``),
names in the language itself (``polski``, ``العربية``), BCP 47 / ISO 639 codes (``pl``,
``pt-BR``, ``pol``) or the few codes of the DfE school census that are not ISO codes
(``ENB``, ``PNJ``, ``BNG``). All are mapped with ``langcodes`` (CLDR data) to BCP 47 tags
(RFC 5646). Matching a reader's tag to the translations on hand uses CLDR's language
matching distances (``langcodes.closest_supported_match``): ``pt-BR`` takes a ``pt``
translation, but ``pa-PK`` (Panjabi in Shahmukhi script) never takes a Gurmukhi ``pa`` one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mailer.lazy import lazy_module

# Loaded on first use: a list without a language column, and an English advisory, need
# neither (see mailer.lazy).
langcodes = lazy_module("langcodes")
babel = lazy_module("babel")

#: Scripts written right to left (ISO 15924), after CLDR's likely-subtags maximisation:
#: Arabic (ar, ur, fa, ps, ckb, sd, pa-Arab...), Hebrew (he, yi), Thaana (dv), Syriac, N'Ko,
#: Adlam, Hanifi Rohingya, Samaritan, Mandaic.
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg", "Samr", "Mand"})

#: Values schools use to say the language is not known (DfE census codes and their words):
#: the parent gets English, and the value is counted, not reported as a mistake.
NOT_STATED = frozenset({
    "", "-", "n/a", "na", "none", "unknown", "not known", "not stated", "not given",
    "information not obtained", "not obtained", "refused", "information refused", "other",
    "other than english", "believed to be other than english", "not applicable",
    "oth", "otb", "not", "ref", "xxx", "und", "zxx",
})

#: DfE school census first-language codes that are not ISO 639 codes (or that ISO gives to
#: another language: ``bng`` is Benga), from the DfE's "Language codes" list.
DFE_CODES: dict[str, str] = {
    "eng": "en", "enb": "en", "bng": "bn", "bngs": "syl", "bngc": "bn", "bnga": "bn",
    "pnj": "pa", "pnjg": "pa", "pnjp": "pa-Arab", "pnjm": "pa-Arab", "pnja": "pa-Arab",
    "urdu": "ur",
}

_QUALIFIED = re.compile(r"\s*(.+?)\s*[(\[]\s*(.+?)\s*[)\]]\s*")
_CODE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class LanguageCell:
    """What a language cell says.

    Attributes:
        tag: the BCP 47 tag (``pl``, ``pt-BR``, ``pa-Arab``), or ``""`` when the cell is
            empty, says the language is not known, or cannot be mapped.
        known: False when the cell has text that is no language mailer can map.
    """

    tag: str
    known: bool = True


@functools.lru_cache(maxsize=1)
def _english_territories() -> dict[str, str]:
    names = babel.Locale("en").territories
    return {name.casefold(): code for code, name in names.items()}


@functools.lru_cache(maxsize=1)
def _english_scripts() -> dict[str, str]:
    names = dict(babel.Locale("en").scripts)
    out = {name.casefold(): code for code, name in names.items()}
    out.update({"shahmukhi": "Arab", "gurmukhi": "Guru", "cyrillic": "Cyrl",
                "latin": "Latn", "simplified": "Hans", "traditional": "Hant"})
    return out


def _valid(tag: langcodes.Language) -> bool:
    return tag.is_valid() and tag.language not in (None, "und", "zxx", "mis", "mul")


def _from_code(text: str) -> str | None:
    if text.casefold() in DFE_CODES:
        return DFE_CODES[text.casefold()]
    if not _CODE.fullmatch(text):
        return None
    try:
        lang = langcodes.Language.get(text.replace("_", "-"), normalize=True)
    except (ValueError, LookupError):
        return None
    if not _valid(lang):
        return None
    if len(lang.language or "") == 3 and lang.language not in _cldr_names():
        # ISO 639-3 gives a code to almost every three letters ("yes" is Yendang, "man"
        # Mandingo): take one only when CLDR names the language, as it does every language
        # with a two-letter code and the 3-letter ones schools meet (ckb, yue, fil).
        return None
    return lang.to_tag()


@functools.lru_cache(maxsize=1)
def _cldr_names() -> frozenset[str]:
    return frozenset(babel.Locale("en").languages)


def _from_name(text: str) -> str | None:
    try:
        lang = langcodes.find(text)
    except (LookupError, ValueError):
        return None
    return lang.to_tag() if _valid(lang) else None


@functools.lru_cache(maxsize=4096)
def parse_language(value: str) -> LanguageCell:
    """Map a list cell to a BCP 47 tag.

    ``"Polish"``/``"pl"``/``"POL"``/``"polski"`` -> ``pl``; ``"Portuguese (Brazil)"``/
    ``"pt_BR"`` -> ``pt-BR``; ``"Panjabi (Shahmukhi)"`` -> ``pa-Arab``; ``"Not known"`` ->
    ``""`` (known); ``"Klingonese"`` -> ``""`` (not known). Cached: lists repeat values.
    """
    text = " ".join(value.split()).strip(" .;,")
    if text.casefold() in NOT_STATED:
        return LanguageCell("")
    tag = _from_code(text)
    if tag is None:
        qualified = _QUALIFIED.fullmatch(text)
        if qualified:
            base = _from_code(qualified.group(1)) or _from_name(qualified.group(1))
            extra = qualified.group(2).casefold()
            if base is not None and extra in _english_territories():
                tag = langcodes.Language.get(base).update_dict(
                    {"territory": _english_territories()[extra]}).to_tag()
            elif base is not None and extra in _english_scripts():
                tag = langcodes.Language.get(base).update_dict(
                    {"script": _english_scripts()[extra]}).to_tag()
        if tag is None:
            tag = _from_name(text)
        if tag is None and qualified:
            # "Chinese (Cantonese)" is Cantonese; "Bengali (Sylheti)" is Sylheti; a
            # qualifier that is neither a place nor a script nor a language: the language.
            tag = _from_name(qualified.group(2)) or _from_name(qualified.group(1))
    if tag is None:
        return LanguageCell("", known=False)
    return LanguageCell(langcodes.standardize_tag(tag))


@functools.lru_cache(maxsize=512)
def direction(tag: str) -> str:
    """``rtl`` when language ``tag`` is written right to left (its likely script, per CLDR,
    is in :data:`RTL_SCRIPTS`: ``ar``, ``ur``, ``fa``, ``he``, ``ps``, ``ckb``,
    ``pa-Arab``...), else ``ltr``."""
    try:
        script = langcodes.Language.get(tag).maximize().script
    except (ValueError, LookupError):
        return "ltr"
    return "rtl" if script in RTL_SCRIPTS else "ltr"


@functools.lru_cache(maxsize=512)
def english_name(tag: str) -> str:
    """The language's English name: ``pl`` -> ``Polish``, ``pt-BR`` -> ``Portuguese
    (Brazil)``; the tag itself when CLDR has no name for it."""
    try:
        name = langcodes.Language.get(tag).display_name("en")
    except (ValueError, LookupError):
        return tag
    return name if not name.lower().startswith("unknown") else tag


def is_english(tag: str) -> bool:
    """True for ``en`` and any English variant (``en-GB``), and for ``""`` (not stated)."""
    return not tag or tag.split("-")[0].lower() == "en"


def best_match(tag: str, available: list[str] | tuple[str, ...]) -> str | None:
    """The tag in ``available`` that suits a reader of ``tag`` (CLDR language matching,
    distance under 10: a regional variant, not another script or language), or ``None``."""
    if not tag or not available:
        return None
    if tag in available:
        return tag
    try:
        return langcodes.closest_supported_match(tag, list(available), max_distance=9)
    except (ValueError, LookupError):
        return None
