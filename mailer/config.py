"""``mailer.yaml``: the organisation, the sender and how to deliver.

The file is validated strictly: unknown keys are errors (a typo must not silently turn
off a setting), and every error names the file and the line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from mailer.errors import ConfigError
from mailer.lists.columns import FIELDS, ColumnNames, canonical_field
from mailer.providers import PRESETS, preset
from mailer.yamlfile import Node, check_keys, load_yaml

CONFIG_NAME = "mailer.yaml"


@dataclass(frozen=True)
class Contact:
    """Who parents can contact about the advisory (shown in every message).

    ``organisation`` and ``website`` are used by ``organisation.further_advice`` (the
    local authority's team a school's pack names after the school's own lead)."""

    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    organisation: str = ""
    website: str = ""


@dataclass(frozen=True)
class Organisation:
    """The school or authority sending the advisory."""

    name: str
    website: str = ""
    postal_address: str = ""
    logo_url: str = ""
    logo_alt: str = ""
    logo_width: int = 120
    brand_colour: str = "#1d4f91"
    contact: Contact | None = None
    further_advice: Contact | None = None
    #: BCP 47 tag of the organisation's own language (``en-GB``): completes a snippet's
    #: ``language: en`` into the full tag for ``lang`` and ``Content-Language``.
    language: str = "en-GB"


@dataclass(frozen=True)
class Sender:
    """Header fields of the sender.

    Attributes:
        address: the ``From`` address (display name and addr-spec), also the envelope
            sender (RFC 5321 MAIL FROM).
        reply_to: optional ``Reply-To``.
        unsubscribe: optional ``mailto:`` or ``https:`` URL for ``List-Unsubscribe``
            (RFC 2369; one-click per RFC 8058 when https).
    """

    address: Address
    reply_to: Address | None = None
    unsubscribe: str = ""

    @property
    def domain(self) -> str:
        """The sender's domain, used for ``Message-ID`` (RFC 5322 §3.6.4)."""
        return self.address.domain


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the SMTP submission server. ``host`` empty means: use the outbox.

    Attributes:
        security: ``starttls`` (RFC 3207, default), ``tls`` (implicit TLS, RFC 8314) or
            ``none`` (allowed only to loopback hosts).
        password_env: name of the environment variable holding the password.
        rate_per_minute: most messages started in any 60 s window (0 = no limit).
        daily_cap: most messages in any rolling 24 h (0 = no limit).
        connections: concurrent SMTP connections.
        timeout_s: seconds to wait for any one server reply.
        ca_file: PEM file of extra certificate authorities to trust (private CA).
        auth: how to sign in: ``password`` (AUTH LOGIN/PLAIN with ``password_env`` or the
            keyring) or ``oauth2`` (XOAUTH2 with an access token, see :mod:`mailer.oauth`).
        client_id: OAuth2: the school's own app registration (Microsoft Entra ID
            "Application (client) ID", or the Google OAuth client ID).
        tenant: OAuth2 with Microsoft 365: the tenant's domain or Directory (tenant) ID.
        token_env: OAuth2: name of an environment variable holding an access token obtained
            elsewhere (unattended use); used instead of the keyring when set.
    """

    provider: str = "custom"
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = "MAILER_SMTP_PASSWORD"
    rate_per_minute: int = 0
    daily_cap: int = 0
    connections: int = 1
    timeout_s: float = 60.0
    ca_file: Path | None = None
    auth: str = "password"
    client_id: str = ""
    tenant: str = ""
    token_env: str = ""

    @property
    def is_loopback(self) -> bool:
        """True when ``host`` is this machine (127.0.0.0/8, ::1 or ``localhost``)."""
        if self.host in ("localhost", "localhost.localdomain"):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@dataclass(frozen=True)
class ListsConfig:
    """How mailing lists are read.

    Attributes:
        columns: field name (see :data:`mailer.lists.columns.FIELDS`) -> column names to
            look for before the built-in ones; ``"Name#2"`` is the second column called
            Name.
        suppression: path of the suppression list (one address a line), workspace-relative.
    """

    columns: dict[str, list[str]] = field(default_factory=dict)
    suppression: str = "lists/suppressed.txt"


#: ``languages.untranslated`` values: what a parent whose language has no translation gets.
UNTRANSLATED_CHOICES = ("english", "english_with_note")


@dataclass(frozen=True)
class LanguagesConfig:
    """Sending in parents' languages (``languages:`` in ``mailer.yaml``).

    Attributes:
        untranslated: ``english`` (the English email alone) or ``english_with_note`` (the
            English email with one short line at the top, in the parent's language where
            a catalog has it, saying what the email is about and how to ask the school for
            help).
    """

    untranslated: str = "english"


@dataclass(frozen=True)
class Config:
    """The whole of ``mailer.yaml``. ``path`` is where it was read from."""

    path: Path
    organisation: Organisation
    sender: Sender
    smtp: SmtpConfig
    lists: ListsConfig
    raw_text: str = ""
    languages: LanguagesConfig = field(default_factory=LanguagesConfig)
    review_months: int = 12

    @property
    def transport_name(self) -> str:
        """``smtp`` when an SMTP host is configured, else ``outbox``."""
        return "smtp" if self.smtp.host else "outbox"


_ORG_KEYS = {
    "name", "website", "postal_address", "logo_url", "logo_alt", "logo_width",
    "brand_colour", "contact", "further_advice", "language",
}
_CONTACT_KEYS = {"name", "role", "email", "phone"}
_ADVICE_KEYS = {"organisation", "name", "role", "email", "phone", "website"}
_SENDER_KEYS = {"from", "reply_to", "unsubscribe"}
_SMTP_KEYS = {
    "provider", "host", "port", "security", "username", "password_env", "rate_per_minute",
    "daily_cap", "connections", "timeout_s", "ca_file", "password",
    "auth", "client_id", "tenant", "token_env",
}
_LISTS_KEYS = {"columns", "suppression"}
_LANGUAGES_KEYS = {"untranslated"}
_TOP_KEYS = {"organisation", "sender", "smtp", "lists", "review", "languages"}
_REVIEW_KEYS = {"every_months"}
#: How often advice must be reviewed when ``review.every_months`` is not set.
DEFAULT_REVIEW_MONTHS = 12


def _section(node: Node, key: str, path: Path, required: bool) -> Node:
    value = node.get(key)
    if value is None:
        if required:
            raise ConfigError(f"the '{key}:' section is missing.", path=path, line=node.line)
        empty = Node()
        empty.line = node.line
        return empty
    if not isinstance(value, Node):
        raise ConfigError(
            f"'{key}:' must be a section of 'name: value' lines.", path=path, line=node.line_of(key)
        )
    return value


def _text(node: Node, key: str, path: Path, default: str = "") -> str:
    value = node.get(key, default)
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        raise ConfigError(f"'{key}' must be a single value.", path=path, line=node.line_of(key))
    return str(value).strip()


def _int(
    node: Node, key: str, path: Path, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    """A whole number written as ``key`` (YAML text such as ``587``), else ``default``.

    Raises:
        ConfigError: naming the line when the value is not a whole number in range.
    """
    value = node.get(key)
    if value is None or value == "":
        return default
    text = str(value).strip().replace(",", "").replace("_", "")
    number = int(text) if text.isdigit() else None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise ConfigError(
            f"'{key}' must be a whole number {bounds}, not '{value}'.",
            path=path,
            line=node.line_of(key),
        )
    return number


def parse_address(text: str, path: Path, line: int | None, what: str) -> Address:
    """Parse ``"Name <user@domain>"`` or ``user@domain`` into an :class:`Address`.

    Raises:
        ConfigError: when ``text`` is not one valid address.
    """
    if "\n" in text or "\r" in text:
        raise ConfigError(f"{what} must be on one line.", path=path, line=line)
    name, addr = parseaddr(text)
    try:
        validate_email(addr, check_deliverability=False)
    except EmailNotValidError:
        addr = ""
    if not addr or addr.count("@") != 1 or not addr.split("@")[0] or "." not in addr.split("@")[1]:
        raise ConfigError(
            f"{what} '{text}' is not an email address (expected 'Name <office@school.org>').",
            path=path,
            line=line,
        )
    local, domain = addr.split("@")
    return Address(display_name=name, username=local, domain=domain)


def parse_config(data: Any, path: Path, raw_text: str = "") -> Config:
    """Validate loaded YAML ``data`` (from ``path``) into a :class:`Config`.

    Raises:
        ConfigError: naming the line of the first unknown key, missing key or bad value.
    """
    if not isinstance(data, Node):
        raise ConfigError("the file must be a set of 'name: value' sections.", path=path, line=1)
    check_keys(data, _TOP_KEYS, path, ConfigError)

    org = _section(data, "organisation", path, required=True)
    check_keys(org, _ORG_KEYS, path, ConfigError, "organisation", required={"name"})
    contact = None
    if "contact" in org:
        c = _section(org, "contact", path, required=True)
        check_keys(c, _CONTACT_KEYS, path, ConfigError, "organisation.contact", required={"name"})
        contact_email = _text(c, "email", path)
        if contact_email:
            parse_address(contact_email, path, c.line_of("email"), "organisation.contact.email")
        contact = Contact(
            name=_text(c, "name", path),
            role=_text(c, "role", path),
            email=_text(c, "email", path),
            phone=_text(c, "phone", path),
        )
    further_advice = None
    if "further_advice" in org:
        a = _section(org, "further_advice", path, required=True)
        check_keys(a, _ADVICE_KEYS, path, ConfigError, "organisation.further_advice",
                   required={"name"})
        if _text(a, "email", path):
            parse_address(_text(a, "email", path), path, a.line_of("email"),
                          "organisation.further_advice.email")
        advice_site = _text(a, "website", path)
        if advice_site and not advice_site.startswith("https://"):
            raise ConfigError(
                "organisation.further_advice.website must be a full address starting with "
                f"https://, not '{advice_site}'.", path=path, line=a.line_of("website"))
        further_advice = Contact(
            name=_text(a, "name", path), role=_text(a, "role", path),
            email=_text(a, "email", path), phone=_text(a, "phone", path),
            organisation=_text(a, "organisation", path), website=advice_site,
        )
    if "brand_colour" in org and not _text(org, "brand_colour", path):
        raise ConfigError(
            "brand_colour is empty. In YAML a '#' starts a comment, so write the colour in "
            "quotes: brand_colour: \"#1d4f91\".",
            path=path,
            line=org.line_of("brand_colour"),
        )
    colour = _text(org, "brand_colour", path, "#1d4f91")
    if not (len(colour) == 7 and colour.startswith("#")) or any(
        ch not in "0123456789abcdefABCDEF" for ch in colour[1:]
    ):
        raise ConfigError(
            f"brand_colour must be a 6-digit hex colour like '#1d4f91', not '{colour}'.",
            path=path,
            line=org.line_of("brand_colour"),
        )
    website = _text(org, "website", path)
    if website and not website.startswith("https://"):
        raise ConfigError(
            f"organisation.website must be a full address starting with https://, not "
            f"'{website}'.",
            path=path,
            line=org.line_of("website"),
        )
    logo_url = _text(org, "logo_url", path)
    if logo_url and not logo_url.startswith("https://"):
        raise ConfigError(
            "logo_url must be an https:// address.", path=path, line=org.line_of("logo_url")
        )
    if logo_url and not _text(org, "logo_alt", path):
        raise ConfigError(
            "logo_alt is needed with logo_url: describe the logo for screen readers "
            "(for example the school's name).",
            path=path,
            line=org.line_of("logo_url"),
        )
    org_language = _text(org, "language", path, "en-GB")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", org_language):
        raise ConfigError(
            f"organisation.language must be a language code such as en-GB or cy-GB (BCP 47), "
            f"not '{org_language}'.",
            path=path,
            line=org.line_of("language"),
        )
    subtags = org_language.split("-")
    if len(subtags) > 1 and subtags[1].upper() == "UK":
        raise ConfigError(
            f"organisation.language '{org_language}': the United Kingdom's code in a "
            f"language tag is GB, not UK; write {subtags[0].lower()}-GB.",
            path=path,
            line=org.line_of("language"),
        )
    # The usual case of each part (BCP 47 §2.1.1): en-GB, zh-Hant-TW; all lower case from
    # an extension or private-use singleton on (en-GB-x-hb).
    cased = [subtags[0].lower()]
    extension = False
    for t in subtags[1:]:
        extension = extension or len(t) == 1
        if extension:
            cased.append(t.lower())
        else:
            cased.append(t.upper() if len(t) == 2 else t.title() if len(t) == 4 else t.lower())
    org_language = "-".join(cased)
    organisation = Organisation(
        name=_text(org, "name", path),
        language=org_language,
        website=_text(org, "website", path),
        postal_address=_text(org, "postal_address", path),
        logo_url=logo_url,
        logo_alt=_text(org, "logo_alt", path),
        logo_width=_int(org, "logo_width", path, 120, minimum=1),
        brand_colour=colour.lower(),
        contact=contact,
        further_advice=further_advice,
    )

    snd = _section(data, "sender", path, required=True)
    check_keys(snd, _SENDER_KEYS, path, ConfigError, "sender", required={"from"})
    from_addr = parse_address(_text(snd, "from", path), path, snd.line_of("from"), "sender.from")
    reply_to = None
    if _text(snd, "reply_to", path):
        reply_to = parse_address(
            _text(snd, "reply_to", path), path, snd.line_of("reply_to"), "sender.reply_to"
        )
    unsubscribe = _text(snd, "unsubscribe", path)
    if unsubscribe and not unsubscribe.startswith(("mailto:", "https://")):
        raise ConfigError(
            "sender.unsubscribe must start with 'mailto:' or 'https://'.",
            path=path,
            line=snd.line_of("unsubscribe"),
        )
    sender = Sender(address=from_addr, reply_to=reply_to, unsubscribe=unsubscribe)

    smtp = _parse_smtp(_section(data, "smtp", path, required=False), path)

    lst = _section(data, "lists", path, required=False)
    check_keys(lst, _LISTS_KEYS, path, ConfigError, "lists")
    columns: dict[str, list[str]] = {}
    cols = lst.get("columns") or {}
    if not isinstance(cols, dict):
        raise ConfigError(
            "lists.columns must map a field to column names.",
            path=path,
            line=lst.line_of("columns"),
        )
    for key, value in cols.items():
        fname = canonical_field(str(key))
        line = cols.line_of(key) if isinstance(cols, Node) else lst.line_of("columns")
        if fname is None:
            raise ConfigError(
                f"lists.columns: '{key}' is not a field a column can be read as. Fields: "
                f"{', '.join(FIELDS)}.",
                path=path,
                line=line,
            )
        names = value if isinstance(value, list) else [value]
        if any(isinstance(v, (dict, list)) or v is None or str(v).strip() == "" for v in names):
            raise ConfigError(
                f"lists.columns.{key} must be a column name or a list of column names, "
                f"for example {fname}: [\"Contact Email\"].",
                path=path,
                line=line,
            )
        columns[fname] = ColumnNames([str(v) for v in names], source=path, line=line)
    lists = ListsConfig(
        columns=columns, suppression=_text(lst, "suppression", path, "lists/suppressed.txt")
    )
    langs = _section(data, "languages", path, required=False)
    check_keys(langs, _LANGUAGES_KEYS, path, ConfigError, "languages")
    untranslated = _text(langs, "untranslated", path, "english").lower().replace("-", "_")
    untranslated = untranslated.replace(" ", "_")
    if untranslated not in UNTRANSLATED_CHOICES:
        raise ConfigError(
            f"languages.untranslated must be 'english' or 'english_with_note', not "
            f"'{_text(langs, 'untranslated', path)}'.",
            path=path,
            line=langs.line_of("untranslated"),
        )
    review = _section(data, "review", path, required=False)
    check_keys(review, _REVIEW_KEYS, path, ConfigError, "review")
    review_months = _int(review, "every_months", path, DEFAULT_REVIEW_MONTHS, minimum=1,
                         maximum=120)
    return Config(
        path=path, organisation=organisation, sender=sender, smtp=smtp, lists=lists,
        raw_text=raw_text, review_months=review_months,
        languages=LanguagesConfig(untranslated=untranslated),
    )


def _parse_smtp(node: Node, path: Path) -> SmtpConfig:
    check_keys(node, _SMTP_KEYS, path, ConfigError, "smtp")
    if "password" in node:
        raise ConfigError(
            "a password must never be written in mailer.yaml (anyone who can read the file "
            "could send as the school). Delete the 'password' line and set the environment "
            "variable named by smtp.password_env (MAILER_SMTP_PASSWORD by default) instead.",
            path=path,
            line=node.line_of("password"),
        )
    provider = _text(node, "provider", path, "custom").lower()
    defaults = preset(provider)
    if defaults is None:
        raise ConfigError(
            f"smtp.provider must be one of {', '.join(PRESETS)}, not '{provider}'.",
            path=path,
            line=node.line_of("provider"),
        )
    node = _with_preset(node, defaults)
    security = _text(node, "security", path, "starttls").lower()
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(
            f"smtp.security must be starttls, tls or none, not '{security}'.",
            path=path,
            line=node.line_of("security"),
        )
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    ca = _text(node, "ca_file", path)
    ca_file = None
    if ca:
        ca_file = Path(ca).expanduser()
        if not ca_file.is_absolute():
            ca_file = path.parent / ca_file
        if not ca_file.is_file():
            raise ConfigError(
                f"smtp.ca_file: there is no file {ca_file}. Give the path of your server's "
                "certificate authority file (PEM), or delete the ca_file line.",
                path=path,
                line=node.line_of("ca_file"),
            )
    try:
        timeout = float(str(node.get("timeout_s") or 60).strip())
    except ValueError:
        timeout = -1.0
    if not timeout > 0 or timeout == float("inf"):
        raise ConfigError(
            "smtp.timeout_s must be a number of seconds above 0.",
            path=path,
            line=node.line_of("timeout_s"),
        )
    cfg = SmtpConfig(
        provider=provider,
        host=_text(node, "host", path),
        port=_int(node, "port", path, default_port, minimum=1, maximum=65535),
        security=security,
        username=_text(node, "username", path),
        password_env=_text(node, "password_env", path, "MAILER_SMTP_PASSWORD"),
        rate_per_minute=_int(node, "rate_per_minute", path, 0),
        daily_cap=_int(node, "daily_cap", path, 0),
        connections=_int(node, "connections", path, 1, minimum=1),
        timeout_s=float(timeout),
        ca_file=ca_file,
    )
    cfg = _parse_auth(node, path, cfg)
    if provider == "ses" and not cfg.host:
        raise ConfigError(
            "smtp.provider: ses needs smtp.host, the SMTP endpoint of your SES region "
            "(for example email-smtp.eu-west-2.amazonaws.com).",
            path=path,
            line=node.line_of("provider"),
        )
    if cfg.host and cfg.security == "none" and not cfg.is_loopback:
        raise ConfigError(
            f"smtp.security: none sends passwords and parents' addresses unencrypted, so it is "
            f"only allowed to this machine (127.0.0.1), not to '{cfg.host}'. Use starttls or tls.",
            path=path,
            line=node.line_of("security"),
        )
    return cfg


def _parse_auth(node: Node, path: Path, cfg: SmtpConfig) -> SmtpConfig:
    """The sign-in keys ``auth``, ``client_id``, ``tenant`` and ``token_env``.

    ``auth: oauth2`` needs ``username`` (the mailbox, the XOAUTH2 user) and either
    ``token_env`` or the app registration: ``client_id`` with ``provider: google`` or
    ``provider: microsoft365`` (plus ``tenant``); see :mod:`mailer.oauth`.
    """
    auth = _text(node, "auth", path, "password").lower()
    if auth not in ("password", "oauth2"):
        raise ConfigError(
            f"smtp.auth must be password or oauth2, not '{auth}'.",
            path=path, line=node.line_of("auth"),
        )
    client_id = _text(node, "client_id", path)
    tenant = _text(node, "tenant", path)
    token_env = _text(node, "token_env", path)
    cfg = replace(cfg, auth=auth, client_id=client_id, tenant=tenant, token_env=token_env)
    if auth == "password":
        for key in ("client_id", "tenant", "token_env"):
            if key in node:
                raise ConfigError(
                    f"smtp.{key} is only used with 'auth: oauth2' (signing in with Microsoft "
                    "365 or Google). Add 'auth: oauth2' to the smtp section, or delete the "
                    f"{key} line.",
                    path=path, line=node.line_of(key),
                )
        return cfg
    line = node.line_of("auth")
    if not cfg.host:
        raise ConfigError(
            "smtp.auth: oauth2 needs a server to sign in to: add 'provider: microsoft365' or "
            "'provider: google' to the smtp section.", path=path, line=line,
        )
    if not cfg.username:
        raise ConfigError(
            "smtp.auth: oauth2 needs smtp.username, the mailbox mailer sends from (for "
            "example username: office@school.org.uk).", path=path, line=line,
        )
    if token_env:
        return cfg
    if cfg.provider not in ("microsoft365", "google"):
        raise ConfigError(
            "mailer can sign in with 'auth: oauth2' to Microsoft 365 and Google: set "
            "'provider: microsoft365' or 'provider: google', or give token_env, the name of "
            "an environment variable holding an access token obtained elsewhere.",
            path=path, line=node.line_of("provider") or line,
        )
    if not client_id:
        where = ("the Application (client) ID of your school's Entra ID app registration"
                 if cfg.provider == "microsoft365"
                 else "the Client ID of your school's Google OAuth client (Desktop app)")
        raise ConfigError(
            f"smtp.auth: oauth2 needs smtp.client_id: {where}. Your IT administrator can "
            "give it to you (the README says what they must set up).", path=path, line=line,
        )
    if cfg.provider == "microsoft365" and not tenant:
        raise ConfigError(
            "smtp.auth: oauth2 with Microsoft 365 needs smtp.tenant: your school's Microsoft "
            "365 domain (for example school.org.uk) or the Directory (tenant) ID shown on the "
            "app registration's Overview page.", path=path, line=line,
        )
    if cfg.provider == "google" and tenant:
        raise ConfigError(
            "smtp.tenant is only for Microsoft 365; delete the tenant line for Google.",
            path=path, line=node.line_of("tenant"),
        )
    return cfg


def _with_preset(node: Node, defaults: dict[str, Any]) -> Node:
    """``node`` with the provider's preset keys added where the file leaves them out
    (keys written in the file win; line numbers of written keys are kept)."""
    merged = Node({**defaults, **node})
    merged.line = node.line
    merged.key_lines = dict(node.key_lines)
    return merged


def load_config(path: Path) -> Config:
    """Read and validate ``mailer.yaml`` at ``path``.

    Raises:
        ConfigError: when the file is missing, not valid YAML, or not a valid configuration.
    """
    if not path.exists():
        raise ConfigError(
            "there is no mailer.yaml here. Run the command from your workspace folder, pass "
            "--workspace DIR, or create one with 'mailer init DIR'.",
            path=path,
        )
    data = load_yaml(path, ConfigError)
    return parse_config(data, path, raw_text=path.read_text(encoding="utf-8-sig"))


def missing_postal_address(config: Config) -> tuple[str, int | None] | None:
    """``(message, line of organisation: in mailer.yaml)`` when ``organisation.
    postal_address`` is missing or blank, else ``None``.

    The design (``organisation: {name, website, postal_address, ...}``) and the README
    make it required: the footer of every email and the top of the printed letter show
    it, so that a parent can tell the message really comes from the school (and is not a
    phishing email using the school's name). ``mailer check`` reports it as an error and
    ``mailer send`` refuses to send without it.
    """
    if config.organisation.postal_address.strip():
        return None
    line = next((n for n, text in enumerate(config.raw_text.splitlines(), start=1)
                 if re.match(r"organisation\s*:", text)), None)
    return ("organisation.postal_address is missing: the footer of every email shows the "
            "school's postal address, so that parents can tell the email really comes from "
            "the school. Add it under organisation:, for example "
            "'postal_address: 1 School Lane, Exampletown, EX1 1AA'.", line)
