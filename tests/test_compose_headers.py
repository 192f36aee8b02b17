"""Header lines as bytes: folded at 78 where they can be, never past 998; every RFC 2047
encoded word at most 75 characters, display names included; List-Unsubscribe intact
(RFC 5322 §2.1.1, §2.2.3; RFC 2047 §2, §5; RFC 2369)."""

from __future__ import annotations

import dataclasses
import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer.compose import Composer
from mailer.config import Sender
from mailer.render import Rendered
from tests.test_compose_fast_path_matches_email_package import DATE, MSGID, demo, fields_for  # noqa: F401

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[qQbB]\?[^?\s]*\?=")


def head(data: bytes) -> bytes:
    return data[:data.index(b"\r\n\r\n") + 2]


def field(data: bytes, name: str) -> bytes:
    match = re.search(rb"(?:^|\r\n)(" + name.encode() + rb":.*?\r\n)(?! )", head(data), re.S)
    assert match is not None, name
    return match.group(1)


def rfc2047_display_name(to: bytes) -> str:
    """The display name of a ``To:`` field as RFC 2047 §6.2 decodes it (white space between
    adjacent encoded words ignored; the email package's address parser inserts a space
    there, the legacy :func:`email.header.decode_header` follows the RFC)."""
    value = to[len(b"To:"):].decode("ascii").replace("\r\n", "").strip()
    phrase = value.rpartition(" <")[0] if value.endswith(">") else ""
    text = str(make_header(decode_header(phrase)))
    if text.startswith('"') and text.endswith('"'):
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def assert_well_folded(data: bytes) -> None:
    for line in head(data).split(b"\r\n"):
        assert len(line) <= 998, len(line)
        tokens = line.split()
        if not line.startswith(b"List-Unsubscribe:"):  # a URL is never broken
            assert len(line) <= 78 or len(tokens) <= 2, line
    for word in ENCODED_WORD.findall(head(data)):
        assert len(word) <= 75, word


def compose(rendered: Rendered, sender: Sender, name: str, subject: str | None = None,
            email: str = "p@example.com"):  # type: ignore[no-untyped-def]
    if subject is not None:
        rendered = dataclasses.replace(rendered, subject=subject)
    composer = Composer(rendered, sender)
    kw = {"date": DATE, "message_id": MSGID}
    return (composer.compose(email, name, fields_for("Dear Parent"), **kw),
            composer.compose_reference(email, name, fields_for("Dear Parent"), **kw))


def test_a_non_ascii_subject_folds_into_short_encoded_words(demo) -> None:  # noqa: F811
    rendered, sender = demo
    subject = ("Séance d’information pour les parents : sécurité en ligne, webcams et "
               "réseaux sociaux — à lire")
    for message in compose(rendered, sender, "Zoë", subject):
        assert field(message.data, "Subject") == (
            b"Subject: =?utf-8?q?S=C3=A9ance_d=E2=80=99information_pour_les_parents_=3A_s?="
            b"\r\n =?utf-8?q?=C3=A9curit=C3=A9_en_ligne=2C_webcams_et_r=C3=A9seaux_sociaux_?="
            b"\r\n =?utf-8?q?=E2=80=94_=C3=A0_lire?=\r\n")
        assert_well_folded(message.data)
        assert message_from_bytes(message.data, policy=policy.default)["Subject"] == subject


def test_an_ascii_subject_folds_between_words(demo) -> None:  # noqa: F811
    rendered, sender = demo
    subject = ("Online safety: what every parent and carer should know about webcams, "
               "group chats and location sharing this term")
    fast, slow = compose(rendered, sender, "Sam", subject)
    assert field(fast.data, "Subject") == field(slow.data, "Subject") == (
        b"Subject: Online safety: what every parent and carer should know about webcams,"
        b"\r\n group chats and location sharing this term\r\n")


def test_a_5000_character_name_gives_short_lines(demo) -> None:  # noqa: F811
    rendered, sender = demo
    for name in ("x" * 5000, "Alexandra " * 500, "Ñoño" * 1250, 'O"Brien, ' * 500):
        for message in compose(rendered, sender, name):
            to = field(message.data, "To")
            assert max(len(line) for line in to.split(b"\r\n")) <= 78
            assert_well_folded(message.data)
            assert rfc2047_display_name(to) == " ".join(name.split())
            assert to.endswith(b" <p@example.com>\r\n")


def test_a_short_name_stays_on_one_line(demo) -> None:  # noqa: F811
    rendered, sender = demo
    fast, slow = compose(rendered, sender, "Mrs Amina Khan")
    assert field(fast.data, "To") == field(slow.data, "To") == (
        b"To: Mrs Amina Khan <p@example.com>\r\n")
    fast, _ = compose(rendered, sender, "Pat O'Brien, Jr.")
    assert field(fast.data, "To") == b'To: "Pat O\'Brien, Jr." <p@example.com>\r\n'
    fast, _ = compose(rendered, sender, "Zoë")
    assert field(fast.data, "To") == b"To: =?utf-8?q?Zo=C3=AB?= <p@example.com>\r\n"


def test_list_unsubscribe_keeps_its_exact_value(demo) -> None:  # noqa: F811
    rendered, _ = demo
    url = ("https://hollybank.example.sch.uk/unsubscribe?list=parents&campaign=webcams"
           "&token=0123456789abcdef0123456789abcdef")
    sender = Sender(address=demo[1].address, unsubscribe=url)
    for message in compose(rendered, sender, "Sam"):
        assert field(message.data, "List-Unsubscribe") == (
            b"List-Unsubscribe: <" + url.encode() + b">\r\n")
        assert field(message.data, "List-Unsubscribe-Post") == (
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        parsed = message_from_bytes(message.data, policy=policy.default)
        assert str(parsed["List-Unsubscribe"]) == f"<{url}>"
    short = Sender(address=demo[1].address, unsubscribe="mailto:leave@school.example")
    fast, _ = compose(rendered, short, "Sam")
    assert field(fast.data, "List-Unsubscribe") == (
        b"List-Unsubscribe: <mailto:leave@school.example>\r\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
       subject=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                       min_size=1, max_size=300))
def test_any_name_and_subject_fold_within_the_limits(demo, name: str,  # noqa: F811
                                                     subject: str) -> None:
    rendered, sender = demo
    fast, slow = compose(rendered, sender, name, subject)
    for message in (fast, slow):
        assert_well_folded(message.data)
    boundary = re.compile(rb'boundary="[^"]+"')
    assert boundary.sub(b"B", head(fast.data)) == boundary.sub(b"B", head(slow.data))
    assert rfc2047_display_name(field(fast.data, "To")) == " ".join(
        "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in name).split())
    assert str(make_header(decode_header(
        field(fast.data, "Subject")[len(b"Subject:"):].decode().replace("\r\n", ""))
    )).strip() == subject.strip()


def test_the_pre_flight_checks_each_recipient_without_building_its_message(
        demo) -> None:  # noqa: F811
    from mailer.campaign import preflight
    from mailer.errors import ListError
    from mailer.lists import Carer, Recipient

    rendered, sender = demo
    composer = Composer(rendered, sender)
    with pytest.raises(KeyError):
        composer.check("p@example.com", "Sam", {})
    with pytest.raises(ValueError):
        composer.check("p\r\nBcc: x@example.com@example.com", "Sam", {"greeting": "Dear"})
    # Without field values (a list's recipient always has every field): the To line only.
    composer.check("p@example.com", "Sam")
    with pytest.raises(ValueError):
        composer.check("p\r\nBcc: x@example.com@example.com", "Sam")
    built: list[str] = []
    real = composer.compose
    composer.compose = lambda *a, **k: built.append(a[0]) or real(*a, **k)  # type: ignore
    good = [Recipient(f"p{i}@example.com", f"p{i}@example.com", [Carer("Ms", "A", "B")],
                      lines=[i + 2]) for i in range(5)]
    first = preflight(composer, good, "lists/x.csv")
    assert first is not None and first.recipient == "p0@example.com"
    assert built == ["p0@example.com"], "only the first message is built (for --dry-run)"
    bad = Recipient("bad\r\nx@example.com", "bad x@example.com", [Carer("Ms", "A", "B")],
                    lines=[9])
    with pytest.raises(ListError) as err:
        preflight(composer, [*good, bad], "lists/x.csv")
    assert "lists/x.csv, line 9" in str(err.value)


# -- the pre-flight's quick verdict on the To line -------------------------------------

_ASCII = st.text(st.characters(max_codepoint=127), max_size=300)


@settings(max_examples=400, deadline=None)
@given(local=_ASCII, domain=_ASCII,
       name=_ASCII | st.text(max_size=300) | st.text(st.characters(min_codepoint=0x80)))
def test_to_line_said_not_to_fail_never_fails(local: str, domain: str, name: str) -> None:
    """Whenever the pre-flight skips building a To line (``to_line_cannot_fail``), building
    it succeeds: any name, ASCII or not (control characters, quotes, Polish, Arabic, emoji,
    300 characters), with any ASCII address without CR/LF."""
    from mailer.compose import _to_line, to_line_cannot_fail

    email = f"{local}@{domain}"
    if to_line_cannot_fail(email, name):
        line = _to_line(email, name)
        assert line.startswith(b"To:") and line.endswith(b"\r\n")


@pytest.mark.parametrize("email,name", [
    ("a@example.com\r\nBcc: x@example.com", "Ann"),
    ("a\n@example.com", "Ann"),
    ("zoë@example.com", "Zoë"),
    ("a@example.com", "Zoë \ud800"),
])
def test_to_line_that_might_fail_is_built(email: str, name: str) -> None:
    """An address with CR/LF, or anything outside ASCII, takes the full check."""
    from mailer.compose import to_line_cannot_fail

    assert not to_line_cannot_fail(email, name)


@pytest.mark.parametrize("name", ["Zoë Müller", "Łucja Kowalská", "فاطمة أحمد",
                                  "Ó Súilleabháin 👋"])
def test_a_name_outside_ascii_with_a_plain_address_needs_no_to_line_built(name: str) -> None:
    """About one carer in twelve has a name outside ASCII: with a plain address their To
    line cannot fail either (RFC 2047 encoded words of its UTF-8), so the pre-flight does
    not build it."""
    from mailer.compose import _to_line, to_line_cannot_fail

    assert to_line_cannot_fail("parent@example.com", name)
    assert _to_line("parent@example.com", name).startswith(b"To: =?utf-8?q?")


def test_check_refuses_crlf_in_address(demo: tuple[Rendered, Sender]) -> None:  # noqa: F811
    """The pre-flight check still refuses an address that would split the header."""
    composer = Composer(*demo)
    with pytest.raises(ValueError):
        composer.check("a@example.com\r\nBcc: x@example.com", "Ann")
