"""The message headers (``email-checklist.md``, "Headers"), as rules H1-H10, checked on a
composed sample message.

The checklist's headers paragraph has no ids, so they are numbered here:

- H1 ``From``: one address, the configured sender;
- H2 ``To``: exactly one address (RFC 5322 §3.6.3);
- H3 ``Subject``: the snippet's subject, RFC 2047 encoded when non-ASCII;
- H4 ``Date`` (RFC 5322 §3.6.1);
- H5 ``Message-ID`` at the sender's domain (RFC 5322 §3.6.4);
- H6 ``MIME-Version: 1.0`` (RFC 2045 §4);
- H7 ``Reply-To`` when one is configured;
- H8 ``List-Unsubscribe`` when configured, exactly ``<URL>`` (RFC 2369), with
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` for an https target (RFC 8058);
- H9 no ``Auto-Submitted`` (these are not automatic replies, RFC 3834);
- H10 no ``Cc`` and no ``Bcc``, ever;
- H11 header lines folded at 78 characters where they can be and never over 998, each RFC
  2047 encoded word at most 75 characters, display names included (RFC 5322 §2.1.1,
  RFC 2047 §2).
"""

from __future__ import annotations

import re
from email.utils import getaddresses, parsedate_to_datetime

from mailer.checks.model import Finding, Inputs, error, shorten, warning


def raw_headers(message: bytes) -> dict[str, list[str]]:
    """The header section as written on the wire: lowercased name -> unfolded values."""
    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0].decode("ascii", "replace")
    unfolded = re.sub(r"\r?\n[ \t]", " ", head)
    out: dict[str, list[str]] = {}
    for line in unfolded.splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            out.setdefault(name.strip().lower(), []).append(value.strip())
    return out


def _values(inp: Inputs, name: str) -> list[str]:
    return raw_headers(inp.message or b"").get(name.lower(), [])


def _addresses(inp: Inputs, name: str) -> list[tuple[str, str]]:
    msg = inp.email
    if msg is None:
        return []
    return [pair for pair in getaddresses([str(v) for v in msg.get_all(name, [])]) if pair[1]]


def h1_from(inp: Inputs) -> list[Finding]:
    """H1: ``From`` holds one address, the configured sender."""
    if inp.email is None:
        return []
    found = _addresses(inp, "From")
    if len(found) != 1:
        return [error("H1", f"From: {', '.join(_values(inp, 'From'))}", "the message needs a "
                      "From header with exactly one address.")]
    if inp.config is not None:
        expected = inp.config.sender.address.addr_spec.lower()
        if found[0][1].lower() != expected:
            return [error("H1", f"From: {found[0][1]}", f"From must be the configured sender "
                          f"{expected} (sender.from in mailer.yaml).")]
    return []


def h2_to(inp: Inputs) -> list[Finding]:
    """H2: exactly one address in ``To``: each parent gets their own message."""
    if inp.email is None:
        return []
    found = _addresses(inp, "To")
    if len(found) != 1:
        return [error("H2", shorten("To: " + ", ".join(_values(inp, "To"))),
                      f"To has {len(found)} addresses; each message must go to exactly one "
                      "parent or carer, so nobody sees anyone else's address.")]
    return []


def h3_subject(inp: Inputs) -> list[Finding]:
    """H3: ``Subject`` is the snippet's subject, written in ASCII on the wire (RFC 2047
    encoded-words when it has other characters)."""
    if inp.email is None:
        return []
    raw = _values(inp, "Subject")
    if len(raw) != 1:
        return [error("H3", f"{len(raw)} Subject headers", "the message needs exactly one "
                      "Subject.")]
    if any(ord(ch) > 127 or ch == "\ufffd" for ch in raw[0]):
        return [error("H3", shorten("Subject: " + raw[0]), "a Subject with non-ASCII "
                      "characters must be RFC 2047 encoded, or some servers garble it.")]
    decoded = " ".join(str(inp.email["Subject"]).split())
    if inp.subject is not None and not decoded.endswith(" ".join(inp.subject.split())):
        return [error("H3", shorten("Subject: " + decoded), "the Subject is not the snippet's "
                      "subject.")]
    return []


def h4_date(inp: Inputs) -> list[Finding]:
    """H4: one ``Date`` header in RFC 5322 form."""
    if inp.email is None:
        return []
    raw = _values(inp, "Date")
    if len(raw) != 1:
        return [error("H4", f"{len(raw)} Date headers", "the message needs exactly one Date.")]
    try:
        parsedate_to_datetime(raw[0])
    except (TypeError, ValueError):
        return [error("H4", f"Date: {raw[0]}", "the Date is not in RFC 5322 form.")]
    return []


def h5_message_id(inp: Inputs) -> list[Finding]:
    """H5: one ``Message-ID`` of the form ``<left@domain>`` at the sender's domain (RFC
    5322 §3.6.4; spam filters compare the domains)."""
    if inp.email is None:
        return []
    raw = _values(inp, "Message-ID")
    if len(raw) != 1:
        return [error("H5", f"{len(raw)} Message-ID headers", "the message needs exactly one "
                      "Message-ID.")]
    m = re.fullmatch(r"<[^<>@\s]+@([^<>@\s]+)>", raw[0])
    if not m:
        return [error("H5", f"Message-ID: {raw[0]}", "the Message-ID must look like "
                      "<unique@your.domain>.")]
    if inp.config is not None and m.group(1).lower() != inp.config.sender.domain.lower():
        return [error("H5", f"Message-ID: {raw[0]}", f"the Message-ID must be at the sender's "
                      f"domain ({inp.config.sender.domain}); spam filters compare them.")]
    return []


def h6_mime_version(inp: Inputs) -> list[Finding]:
    """H6: ``MIME-Version: 1.0`` (RFC 2045 §4)."""
    if inp.email is None:
        return []
    raw = _values(inp, "MIME-Version")
    if [v.split("(")[0].strip() for v in raw] != ["1.0"]:
        return [error("H6", "MIME-Version: " + ", ".join(raw), "the message needs one "
                      "'MIME-Version: 1.0' header.")]
    return []


def h7_reply_to(inp: Inputs) -> list[Finding]:
    """H7: ``Reply-To`` is the configured one, when one is configured."""
    if inp.email is None or inp.config is None or inp.config.sender.reply_to is None:
        return []
    expected = inp.config.sender.reply_to.addr_spec.lower()
    found = [addr.lower() for _, addr in _addresses(inp, "Reply-To")]
    if found != [expected]:
        return [error("H7", "Reply-To: " + (", ".join(found) or "(missing)"),
                      f"replies must go to {expected} (sender.reply_to in mailer.yaml).")]
    return []


def h8_list_unsubscribe(inp: Inputs) -> list[Finding]:
    """H8: ``List-Unsubscribe: <URL>`` when configured (RFC 2369), unbroken (never RFC 2047
    encoded), and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` for https (RFC
    8058); neither header when none is configured."""
    if inp.email is None or inp.config is None:
        return []
    target = inp.config.sender.unsubscribe
    raw = _values(inp, "List-Unsubscribe")
    post = _values(inp, "List-Unsubscribe-Post")
    if not target:
        if raw or post:
            return [error("H8", shorten("List-Unsubscribe: " + ", ".join(raw)), "no "
                          "unsubscribe address is configured, so the message must not "
                          "offer one.")]
        return []
    out: list[Finding] = []
    if raw != [f"<{target}>"]:
        out.append(error("H8", shorten("List-Unsubscribe: " + (", ".join(raw) or "(missing)"),
                                       90),
                         f"List-Unsubscribe must be exactly <{target}> (sender.unsubscribe); "
                         "a folded or encoded value stops the unsubscribe button working."))
    wants_post = target.startswith("https://")
    if wants_post and post != ["List-Unsubscribe=One-Click"]:
        out.append(error("H8", "List-Unsubscribe-Post: " + (", ".join(post) or "(missing)"),
                         "an https unsubscribe address needs 'List-Unsubscribe-Post: "
                         "List-Unsubscribe=One-Click' (RFC 8058; Gmail and Yahoo require it "
                         "for bulk senders)."))
    elif not wants_post and post:
        out.append(error("H8", "List-Unsubscribe-Post: " + ", ".join(post), "one-click "
                         "unsubscribe (RFC 8058) needs an https address, not mailto:."))
    return out


def h9_not_auto_submitted(inp: Inputs) -> list[Finding]:
    """H9: no ``Auto-Submitted`` header: an advisory is not an automatic reply (RFC
    3834)."""
    if inp.email is None or not _values(inp, "Auto-Submitted"):
        return []
    return [error("H9", "Auto-Submitted: " + ", ".join(_values(inp, "Auto-Submitted")),
                  "remove Auto-Submitted: it marks the message as an automatic reply, which "
                  "some mail programs hide or never answer.")]


def h10_no_cc_bcc(inp: Inputs) -> list[Finding]:
    """H10: no ``Cc`` and no ``Bcc``, ever: a wrong copy exposes parents' addresses."""
    if inp.email is None:
        return []
    out: list[Finding] = []
    for name in ("Cc", "Bcc"):
        values = _values(inp, name)
        if values:
            out.append(error("H10", shorten(f"{name}: " + ", ".join(values)), f"the message "
                             f"must never have {name}: every parent gets their own message."))
    return out


#: RFC 5322 §2.1.1: lines SHOULD be at most 78 characters and MUST be at most 998.
FOLD_AT = 78
MAX_HEADER_LINE = 998
#: RFC 2047 §2: an encoded word is at most 75 characters.
MAX_ENCODED_WORD = 75
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def h11_folding(inp: Inputs) -> list[Finding]:
    """H11: every header line is at most 998 octets (an error), and at most 78 where it
    can be folded, i.e. it has whitespace after the field name to fold at (a warning: RFC
    5322 says SHOULD); every RFC 2047 encoded word is at most 75 characters (an error)
    (RFC 5322 §2.1.1; RFC 2047 §2). Checked on the header section as written on the wire,
    so a long non-ASCII Subject or display name is caught however the message was built."""
    if inp.message is None:
        return []
    head = re.split(rb"\r?\n\r?\n", inp.message, maxsplit=1)[0]
    out: list[Finding] = []
    name = ""
    for raw in head.split(b"\n"):
        line = raw.rstrip(b"\r").decode("ascii", "replace")
        if line and line[0] not in " \t" and ":" in line:
            name = line.split(":", 1)[0]
            rest = line.split(":", 1)[1].lstrip(" \t")
        else:
            rest = line.strip(" \t")
        where = shorten(line, 90)
        if len(raw.rstrip(b"\r")) > MAX_HEADER_LINE:
            out.append(error("H11", where, f"a line of the {name} header is "
                             f"{len(line)} characters; mail servers refuse lines over "
                             f"{MAX_HEADER_LINE} (RFC 5322). It must be folded."))
        elif len(line) > FOLD_AT and re.search(r"[ \t]", rest):
            out.append(warning("H11", where, f"a line of the {name} header is {len(line)} "
                             f"characters and is not folded; header lines should be at most "
                             f"{FOLD_AT} (RFC 5322 §2.1.1), folded at a space."))
        for word in _ENCODED_WORD.findall(line):
            if len(word) > MAX_ENCODED_WORD:
                out.append(error("H11", shorten(word, 90), f"an encoded word in the {name} "
                                 f"header is {len(word)} characters; RFC 2047 allows "
                                 f"{MAX_ENCODED_WORD}, and some mail programs then show the "
                                 "raw =?utf-8?...?= text instead of the words."))
    return out


RULES = [h1_from, h2_to, h3_subject, h4_date, h5_message_id, h6_mime_version, h7_reply_to,
         h8_list_unsubscribe, h9_not_auto_submitted, h10_no_cc_bcc, h11_folding]
