"""A local authority's list of schools (CSV or YAML), for ``mailer render --schools``.

One row per school: its name, website, postal address (one cell, or lines, town and
postcode), logo URL, brand colour, language, the designated safeguarding lead's name,
role, email and phone (staff often head that column just "DSL"), and optionally the
office's email (the address the school sends from; the lead's email otherwise).

Column names are matched as in parent lists (:func:`mailer.lists.columns.column_key`:
case, spaces and punctuation ignored), against the aliases in :data:`SCHOOL_COLUMNS`.
The file is read by the parent-list reader (:func:`mailer.lists.table.read_table`), so
every Excel encoding and delimiter works. Every data row is accounted for: it becomes a
:class:`School`, or a :class:`SkippedRow` naming its line and what to fix. Problems that
do not stop a school's pack (a brand colour that fails contrast, a website written
without ``https://``) are warnings naming the school.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from mailer.checks.config_rules import BRAND_TEXT, MIN_CONTRAST
from mailer.checks.css import contrast_ratio, parse_colour
from mailer.config import Organisation
from mailer.errors import ListError
from mailer.languages import parse_language
from mailer.lists.columns import column_key
from mailer.lists.people import clean_text
from mailer.lists.table import read_table
from mailer.logos import is_local
from mailer.snippets import LANGUAGE_TAG

#: The colour a school gets when its own is missing, unreadable or too light.
DEFAULT_COLOUR = Organisation(name="").brand_colour
DEFAULT_ROLE = "Designated Safeguarding Lead"

#: field -> column names accepted for it (compared by :func:`column_key`), most specific
#: first. A column is used for the first field whose aliases name it.
SCHOOL_COLUMNS: dict[str, list[str]] = {
    "name": ["school name", "school", "name", "establishment name", "establishment",
             "setting name", "setting", "school/setting", "school or setting", "academy name",
             "academy", "organisation name", "organisation", "school name (full)"],
    "dsl_name": ["dsl", "dsl name", "dsl full name", "designated safeguarding lead",
                 "designated safeguarding lead name", "designated safeguarding lead (dsl)",
                 "safeguarding lead", "safeguarding lead name", "dsl contact",
                 "lead name", "dsl contact name"],
    "dsl_role": ["dsl role", "dsl job title", "dsl position", "safeguarding lead role",
                 "safeguarding lead job title", "designated safeguarding lead role",
                 "role", "job title", "position"],
    "dsl_email": ["dsl email", "dsl e-mail", "dsl email address", "dsl contact email",
                  "safeguarding lead email", "safeguarding lead email address",
                  "designated safeguarding lead email", "safeguarding email",
                  "safeguarding e-mail"],
    "dsl_phone": ["dsl phone", "dsl telephone", "dsl tel", "dsl phone number",
                  "dsl telephone number", "dsl contact number", "dsl mobile",
                  "safeguarding lead phone", "safeguarding lead telephone",
                  "designated safeguarding lead phone", "safeguarding phone",
                  "safeguarding telephone"],
    "email": ["office email", "school email", "email", "e-mail", "email address",
              "admin email", "office e-mail", "sender", "sender email", "from",
              "from address", "contact email", "enquiries email"],
    "phone": ["phone", "telephone", "tel", "school phone", "school telephone", "phone number",
              "telephone number", "office phone", "office telephone", "main phone"],
    "website": ["website", "web site", "school website", "website address", "website url",
                "web address", "url", "homepage", "home page", "web"],
    "postal_address": ["postal address", "address", "school address", "full address",
                       "address block", "postal address (full)"],
    "address_1": ["address line 1", "address 1", "addr 1", "street", "street address",
                  "address line one"],
    "address_2": ["address line 2", "address 2", "addr 2", "locality", "address line two"],
    "address_3": ["address line 3", "address 3", "addr 3", "address line three"],
    "town": ["town", "city", "town/city", "town or city", "post town"],
    "county": ["county"],
    "postcode": ["postcode", "post code", "postal code", "zip", "zip code"],
    "logo_url": ["logo url", "logo", "logo link", "logo address", "logo image",
                 "school logo", "crest", "badge", "logo (url)"],
    "brand_colour": ["brand colour", "brand color", "colour", "color", "school colour",
                     "school color", "brand", "primary colour", "primary color",
                     "hex colour", "hex color", "house colour"],
    "language": ["language", "lang", "main language", "language code",
                 "preferred language", "language of communication"],
}

#: Words for each field in messages.
FIELD_WORDS = {
    "name": "school's name", "dsl_name": "safeguarding lead's name",
    "dsl_role": "safeguarding lead's role", "dsl_email": "safeguarding lead's email",
    "dsl_phone": "safeguarding lead's phone", "email": "office email",
    "phone": "school's phone", "website": "website", "postal_address": "postal address",
    "address_1": "address line 1", "address_2": "address line 2",
    "address_3": "address line 3", "town": "town", "county": "county",
    "postcode": "postcode", "logo_url": "logo URL", "brand_colour": "brand colour",
    "language": "language",
}

_ALIAS_KEYS = {f: [column_key(a) for a in names] for f, names in SCHOOL_COLUMNS.items()}
_HEX3 = re.compile(r"#?([0-9a-fA-F]{3})")
_HEX6 = re.compile(r"#?([0-9a-fA-F]{6})")
#: A logo cell ending so, and not a web address, names a file in the workspace.
LOGO_FILE_SUFFIXES = (".png", ".jpg", ".jpeg")
#: A site name of dotted labels (RFC 1123 §2.1 host names, at most 63 characters a label;
#: non-ASCII letters allowed for internationalised names).
_HOST = re.compile(r"^(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$")
_POSTCODE = re.compile(r"^([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][A-Za-z]{2})$")


@dataclass(frozen=True)
class School:
    """One school of the file, checked and ready to render.

    Attributes:
        line: the 1-based line of its row.
        name, website, postal_address, logo_url: as written (website and logo ``https://``).
        logo_path: the logo as a file in the officer's workspace (``logos/oak.png``), when
            the logo column names a PNG or JPEG file rather than a web address; it goes in
            the Word letter only (an email's logo must be on the web).
        brand_colour: 6-digit lower-case hex, at least 4.5:1 against white (else the default).
        language: BCP 47 tag, or ``""`` for the advisory's own language.
        dsl_name, dsl_role, dsl_email, dsl_phone: the designated safeguarding lead.
        sender: the address the school's workspace sends from (office email, else the
            lead's).
    """

    line: int
    name: str
    dsl_name: str
    dsl_role: str
    dsl_email: str
    dsl_phone: str
    sender: str
    website: str = ""
    postal_address: str = ""
    logo_url: str = ""
    brand_colour: str = DEFAULT_COLOUR
    language: str = ""
    logo_path: str = ""


@dataclass(frozen=True)
class SkippedRow:
    """A row that gives no pack: its line and why (in words for the officer)."""

    line: int
    name: str
    reason: str


@dataclass
class SchoolsFile:
    """What :func:`read_schools` found.

    Attributes:
        schools: one per usable row, in file order.
        skipped: every other data row, with its reason.
        warnings: ``(line, school name, message)`` for problems that did not stop a pack.
        columns: field -> the column it was read from.
        unused: column names no field uses.
        rows: how many data rows the file has (``len(schools) + len(skipped)``).
        blank_lines: blank lines skipped (not rows).
    """

    path: Path
    schools: list[School] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    rows: int = 0
    blank_lines: int = 0


def map_school_columns(header: list[str]) -> dict[str, int]:
    """field -> 0-based column index, by the aliases of :data:`SCHOOL_COLUMNS` (the
    first column with a name wins; each column is used once)."""
    keys = [column_key(h) for h in header]
    used: set[int] = set()
    out: dict[str, int] = {}
    for fname, aliases in _ALIAS_KEYS.items():
        for alias in aliases:
            index = next((i for i, k in enumerate(keys) if k == alias and i not in used), None)
            if index is not None:
                out[fname] = index
                used.add(index)
                break
    return out


def check_colour(value: str) -> tuple[str, str]:
    """``(colour, problem)``: the cell as 6-digit lower-case hex (``#1D4F91``, ``1d4f91``
    and ``#abc`` accepted), or the default colour and why, when the cell is not a colour
    or has contrast below 4.5:1 with the white text the templates write on it (WCAG 2.1
    1.4.3, checklist E10). An empty cell is the default with no problem."""
    text = value.strip()
    if not text:
        return DEFAULT_COLOUR, ""
    m6, m3 = _HEX6.fullmatch(text), _HEX3.fullmatch(text)
    if m6:
        colour = "#" + m6.group(1).lower()
    elif m3:
        colour = "#" + "".join(ch * 2 for ch in m3.group(1).lower())
    else:
        return DEFAULT_COLOUR, (f"the brand colour '{text}' is not a colour written like "
                                f"#1d4f91, so the default {DEFAULT_COLOUR} is used")
    rgb = parse_colour(colour)
    ratio = contrast_ratio(rgb, BRAND_TEXT) if rgb else 0.0
    if ratio < MIN_CONTRAST:
        return DEFAULT_COLOUR, (f"the brand colour {colour} has contrast {ratio:.2f}:1 with the "
                                f"white text written on it (at least {MIN_CONTRAST}:1 is "
                                f"needed), so the default {DEFAULT_COLOUR} is used")
    return colour, ""


def _has_host(url: str) -> bool:
    """True when ``url`` names a site: a dotted host name, ``localhost`` or an IP
    address, with a valid port if any (``https://../x.png`` names none)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.match(host.rstrip(".")))


def _web(value: str, what: str) -> tuple[str, str]:
    """A web address as ``https://...``, or ``""`` and why it was dropped."""
    text = value.strip()
    if not text:
        return "", ""
    if any(ch.isspace() for ch in text):
        return "", f"the {what} '{text}' has a space in it, so it was left out"
    lowered = text.lower()
    for scheme in ("https://", "http://"):
        if lowered.startswith(scheme) and not _has_host(text):
            return "", f"the {what} '{text}' is not a web address, so it was left out"
    if lowered.startswith("https://"):
        return text, ""
    if lowered.startswith("http://"):
        return "https://" + text[7:], (f"the {what} '{text}' starts with http://; it is "
                                       "written as https://")
    if "://" in text or "." not in text or not _has_host("https://" + text):
        return "", f"the {what} '{text}' is not a web address, so it was left out"
    return "https://" + text, ""


def _email(value: str) -> str | None:
    """The address, or ``None`` when it is not one (offline syntax check)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _postcode(value: str) -> str:
    m = _POSTCODE.match(value.strip())
    return f"{m.group(1).upper()} {m.group(2).upper()}" if m else value.strip()


def read_schools(path: Path) -> SchoolsFile:
    """Read the schools file at ``path`` (``.yaml``/``.yml`` as YAML, else CSV).

    Raises:
        ListError: when the file cannot be read, or has no column for the school's name
            or for the safeguarding lead (the message lists the columns it has).
    """
    table = read_table(path)
    cols = map_school_columns(table.header)
    seen = ", ".join(f"'{h}'" for h in table.header if h) or "none"
    for needed, example in (("name", "School Name"), ("dsl_name", "DSL")):
        if needed not in cols:
            raise ListError(
                f"no column for the {FIELD_WORDS[needed]} was found (for example "
                f"'{example}'). Columns in the file: {seen}.",
                path=path, line=table.header_line or None)
    out = SchoolsFile(path=path, rows=len(table.rows), blank_lines=table.blank_lines)
    out.columns = {f: table.header[i] for f, i in cols.items()}
    out.unused = [h for i, h in enumerate(table.header) if h and i not in cols.values()]
    first_line: dict[tuple[str, str], int] = {}
    width = len(table.header)
    for raw in table.rows:
        def cell(fname: str, cells: list[str] = raw.cells) -> str:
            index = cols.get(fname)
            return clean_text(cells[index]) if index is not None else ""

        name = cell("name")
        if raw.extra:
            out.skipped.append(SkippedRow(raw.line, name, (
                f"this row has {raw.given} fields but the header has {width}; a value "
                f"containing a {table.delimiter_name} must be in quotes")))
            continue
        if not name:
            out.skipped.append(SkippedRow(raw.line, "", (
                f"no school name in '{out.columns['name']}'")))
            continue
        dsl = cell("dsl_name")
        if not dsl:
            out.skipped.append(SkippedRow(raw.line, name, (
                f"no designated safeguarding lead in '{out.columns['dsl_name']}'; each "
                "school's email names its lead first")))
            continue
        dsl_email = ""
        if cell("dsl_email"):
            dsl_email = _email(cell("dsl_email")) or ""
            if not dsl_email:
                out.skipped.append(SkippedRow(raw.line, name, (
                    f"the safeguarding lead's email '{cell('dsl_email')}' in "
                    f"'{out.columns['dsl_email']}' is not an email address")))
                continue
        sender = ""
        if cell("email"):
            sender = _email(cell("email")) or ""
            if not sender:
                out.skipped.append(SkippedRow(raw.line, name, (
                    f"the office email '{cell('email')}' in '{out.columns['email']}' is not "
                    "an email address")))
                continue
        sender = sender or dsl_email
        if not sender:
            out.skipped.append(SkippedRow(raw.line, name, (
                "there is no email address to send from: fill in the safeguarding lead's "
                "email (for example a 'DSL Email' column) or add an 'Office Email' column")))
            continue
        parts = [cell(f) for f in ("address_1", "address_2", "address_3", "town", "county")]
        parts.append(_postcode(cell("postcode")))
        postal = cell("postal_address") or ", ".join(p for p in parts if p)
        key = (name.casefold(), postal.casefold())
        if key in first_line:
            out.skipped.append(SkippedRow(raw.line, name, (
                f"the same school and address as line {first_line[key]}, whose pack is "
                "written")))
            continue
        first_line[key] = raw.line

        def warn(message: str, line: int = raw.line, school: str = name) -> None:
            out.warnings.append((line, school, message))

        website, problem = _web(cell("website"), "website")
        if problem:
            warn(problem)
        logo_path = cell("logo_url")
        if is_local(logo_path) and Path(logo_path).suffix.lower() in LOGO_FILE_SUFFIXES:
            logo = ""
        else:
            logo_path = ""
            logo, problem = _web(cell("logo_url"), "logo URL")
            if problem:
                warn(problem)
        colour, problem = check_colour(cell("brand_colour"))
        if problem:
            warn(problem)
        language = cell("language")
        if language:
            # A name as the officer writes it (Polish, polski, Portuguese (Brazil)) or a code,
            # read as the parent lists' language cells are.
            tag = parse_language(language).tag
            if not tag or not LANGUAGE_TAG.fullmatch(tag):
                warn(f"the language '{language}' is not a language mailer knows (write it "
                     "as Polish or pl, for example), so the advisory's own language is used")
            language = tag if tag and LANGUAGE_TAG.fullmatch(tag) else ""
        if not dsl_email and not (cell("dsl_phone") or cell("phone")):
            warn("the safeguarding lead has neither an email nor a phone number, so parents "
                 "are told only the lead's name")
        out.schools.append(School(
            line=raw.line, name=name, dsl_name=dsl, dsl_role=cell("dsl_role") or DEFAULT_ROLE,
            dsl_email=dsl_email, dsl_phone=cell("dsl_phone") or cell("phone"), sender=sender,
            website=website, postal_address=postal, logo_url=logo, brand_colour=colour,
            language=language, logo_path=logo_path,
        ))
    return out
