"""The parts of list reading on their own: column mapping, address cells, flags, filters,
names and greetings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.errors import ListError
from mailer.lists.addresses import (
    SIMPLE_ADDRESS,
    Address,
    check_address,
    read_cell,
    split_cell,
    validate_address_fully,
)
from mailer.lists.columns import FIELDS, ColumnNames, column_key, find_columns, map_columns
from mailer.lists.filters import normalise, parse_where
from mailer.lists.people import Carer, Child, Recipient, split_carer_name
from mailer.lists.reader import flag_is_set, read_list
from mailer.lists.table import sniff_delimiter


@pytest.mark.parametrize("name", [
    "Email", "E-mail", "Email Address", "PrimaryEmail", "Primary Email", "Contact Email",
    "Parent Email", "  e_mail  ", "Parent/Carer Email", "EMAIL ADDRESS",
])
def test_address_column_aliases(name: str) -> None:
    cmap = map_columns(["Pupil Forename", name])
    assert cmap.slots[0].fields["email"] == 1


def test_generic_names_go_to_the_carer_unless_the_carer_has_its_own() -> None:
    cmap = map_columns(["Forename", "Surname", "Email"])
    assert cmap.slots[0].fields == {"email": 2, "forename": 0, "surname": 1}
    cmap = map_columns(["Forename", "Surname", "Contact Forename", "Contact Surname", "Email"])
    assert cmap.pupil == {"pupil_forename": 0, "pupil_surname": 1}


def test_configured_name_missing_from_the_file_is_an_error_for_every_field() -> None:
    for fname in FIELDS:
        with pytest.raises(ListError) as err:
            map_columns(["Email", "Forename"],
                        {fname: ColumnNames(["Main Address"], Path("mailer.yaml"), 7)},
                        Path("parents.csv"))
        assert str(err.value) == (
            f"parents.csv, line 1: mailer.yaml, line 7 sets lists.columns.{fname} (the "
            f"{FIELDS[fname]}) to 'Main Address', but this list has no such column, so "
            "nothing was sent. Columns in the file: 'Email', 'Forename'. Correct the setting "
            "in mailer.yaml or the column's name in the list.")


def test_configured_column_taken_by_another_field_is_an_error() -> None:
    with pytest.raises(ListError, match="already read as the address"):
        map_columns(["Email"], {"email": ["Email"], "name": ["Email"]})


def test_numbered_contacts_make_one_slot_each_and_share_flags() -> None:
    cmap = map_columns(["Forename", "Email1", "Email2", "Contact 2 Title", "Court Order"])
    assert [(s.number, s.fields) for s in cmap.slots] == [
        (1, {"court_order": 4, "email": 1}),
        (2, {"court_order": 4, "email": 2, "title": 3}),
    ]
    assert cmap.pupil == {"pupil_forename": 0}


def test_no_address_column_guesses_from_the_header_when_no_cell_has_an_at_sign() -> None:
    with pytest.raises(ListError) as info:
        map_columns(["Name", "Mail To"], path=Path("l.csv"))
    assert "If 'Mail To' holds the addresses" in info.value.message


@pytest.mark.parametrize(("cell", "pieces"), [
    ("a@x.org; b@y.org", ["a@x.org", "b@y.org"]),
    ("a@x.org,b@y.org/c@z.org", ["a@x.org", "b@y.org", "c@z.org"]),
    ("a@x.org,b@y.org\nc@z.org", []),  # a line break: the cell is refused, see read_cell
    ("Sadia Khan <a@x.org>; Imran <b@y.org>", ["a@x.org", "b@y.org"]),
    ("mailto:a@x.org", ["a@x.org"]),
    ("a@x.org b@y.org", ["a@x.org", "b@y.org"]),
    ("john smith@x.org", []),  # one address with a space: refused whole, not split
    ("  ", []),
])
def test_split_cell(cell: str, pieces: list[str]) -> None:
    assert split_cell(cell) == pieces


@pytest.mark.parametrize(("cell", "problem"), [
    ("a@example.com\r\nRCPT TO:<evil1@evil.example>", "line break"),
    ("j@example.com>RCPT TO:<evil4@evil.example", "'<' or '>'"),
    ("a@x.org <b@y.org>", "'<' or '>'"),
    ("a, evil@x.com", "words or spaces"),
    ("please use a@x.org", "words or spaces"),
    ("mark.jones@example,com", "a ',' where an address has none"),
    ("mark@example.com/home", "a '/' where an address has none"),
    ("a@x.org, b@y", "other text as well as addresses"),
    ("a@x.org\x00", "control character"),
])
def test_read_cell_refuses_junk_whole(cell: str, problem: str) -> None:
    reading = read_cell(cell)
    assert reading.pieces == []
    assert problem in reading.problem


def test_read_cell_accepts_whole_addresses_split_by_comma_or_slash() -> None:
    assert read_cell("i@example.com, evil3@evil.example").pieces == [
        "i@example.com", "evil3@evil.example"]
    assert read_cell('"Smith, Jo" <jo@x.org>').pieces == ["jo@x.org"]
    assert read_cell("a@x.org;").problem == ""


def test_check_address_normalises_the_domain_and_keys_case_insensitively() -> None:
    found = check_address("Sadia.Khan@EXAMPLE.com")
    assert isinstance(found, Address)
    assert (found.email, found.display, found.key) == (
        "Sadia.Khan@example.com", "Sadia.Khan@EXAMPLE.com", "sadia.khan@example.com")
    assert check_address("x@evil.test") == (
        "The part after the @-sign is a special-use or reserved name that cannot be used "
        "with email.")


@pytest.mark.parametrize(("value", "is_set"), [
    ("", False), ("N", False), ("no", False), ("False", False), ("0", False), (" - ", False),
    ("Y", True), ("Yes", True), ("TRUE", True), ("x", True), ("Father: no contact", True),
])
def test_flag_values(value: str, is_set: bool) -> None:
    assert flag_is_set(value) is is_set


@pytest.mark.parametrize(("value", "year"), [
    ("Year 7", "7"), ("Y7", "7"), ("yr 07", "7"), ("7", "7"), ("NC Year 7", "7"),
    ("Reception", "r"), ("R", "r"), ("Year R", "r"), ("Nursery", "n"), ("Year 10", "10"),
])
def test_year_groups_compare_by_number(value: str, year: str) -> None:
    assert normalise(value, year=True) == year
    assert normalise("  Mixed   Case ") == "mixed case"


def test_parse_where_keeps_everything_after_the_first_equals() -> None:
    [where] = parse_where(["Reg Group = 7=K"])
    assert (where.column, where.value) == ("Reg Group", "7=K")


def test_where_on_a_wide_export_filters_each_contact(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("Forename,Contact 1 Email,Contact 1 Relationship,Contact 2 Email,"
                    "Contact 2 Relationship\nAmy,mum@example.com,Mother,dad@example.com,Father\n"
                    "Ben,gran@example.com,Grandmother,,\n")
    report = read_list(path, where=["relationship=father"])
    assert [r.email for r in report.recipients] == ["dad@example.com"]
    assert [(r.line, r.fate.value) for r in report.rows] == [(2, "recipient"), (3, "filtered")]


@pytest.mark.parametrize(("header", "delimiter"), [
    ('"Name, Full";Email;Year', ";"), ("Email\tName", "\t"), ("Email", ","),
    ("a,b;c,d", ","),
])
def test_sniff_delimiter(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter


@pytest.mark.parametrize(("full", "parts"), [
    ("Mrs Sadia Khan", ("Mrs", "Sadia", "Khan")),
    ("Khan, Sadia", ("", "Sadia", "Khan")),
    ("Khan, Mrs Sadia", ("Mrs", "Sadia", "Khan")),
    ("Dr. Okafor", ("Dr.", "", "Okafor")),
    ("Sadia", ("", "Sadia", "")),
    ("Mary Jane Smith", ("", "Mary Jane", "Smith")),
])
def test_split_carer_name(full: str, parts: tuple[str, str, str]) -> None:
    assert split_carer_name(full) == parts


def rec(*carers: Carer, children: tuple[Child, ...] = ()) -> Recipient:
    return Recipient("a@example.com", "a@example.com", list(carers), list(children))


def test_greeting_rules() -> None:
    amy, ben = Child("Amy", "Khan"), Child("Ben", "Khan")
    assert rec(Carer("Mrs", "Sadia", "Khan")).greeting == "Dear Mrs Khan"
    assert rec(Carer("", "Sadia", "Khan")).greeting == "Dear Sadia Khan"
    assert rec(Carer("Mr", "", "Wilson"), Carer("Mrs", "", "Wilson")).greeting == (
        "Dear Mr and Mrs Wilson")
    assert rec(Carer("Ms", "", "Smith"), Carer("Mr", "", "Turner")).greeting == (
        "Dear Ms Smith and Mr Turner")
    assert rec(Carer(salutation="Mr & Mrs Khan"), Carer(salutation="mr & mrs khan")).greeting \
        == "Dear Mr & Mrs Khan"
    # A carer known only by forename (or one unnamed carer sharing the address) is not
    # greeted by name: the children are named instead.
    assert rec(Carer("", "Sadia", ""), children=(amy, ben)).greeting == (
        "Dear Parent/Carer of Amy and Ben")
    shared = rec()
    shared.add(Carer("Mrs", "", "Khan"), amy, 2)
    assert shared.greeting == "Dear Mrs Khan"
    assert shared.add(Carer(), amy, 3) is True
    assert shared.greeting == "Dear Parent/Carer of Amy"
    assert shared.add(Carer(), amy, 4) is False
    assert rec(children=(amy, ben, Child("Cara"))).greeting == (
        "Dear Parent/Carer of Amy, Ben and Cara")
    assert rec(children=(Child("Amy", "Khan"), Child("Amy", "Lee"))).greeting == (
        "Dear Parent/Carer of Amy Khan and Amy Lee")
    assert rec().greeting == "Dear Parent/Carer"


def test_recipient_add_reports_whether_the_row_was_new() -> None:
    r = Recipient("a@example.com", "a@example.com")
    assert r.add(Carer("Mrs", "Sadia", "Khan"), Child("Amy", year="3"), 2) is True
    assert r.add(Carer("MRS", "sadia", "KHAN"), Child("amy", year="4"), 3) is False
    assert r.add(Carer("Mrs", "Sadia", "Khan"), Child("Ben"), 4) is True
    assert r.lines == [2, 3, 4] and [c.forename for c in r.children] == ["Amy", "Ben"]


def test_column_references_by_occurrence_or_literal_hash() -> None:
    cmap = map_columns(["Phone #2", "Email", "Email"], {"email": ["Email#2"]})
    assert cmap.slots[0].fields["email"] == 2
    keys = [column_key(h) for h in ["Ref #1", "Email", "Ref"]]
    assert find_columns("Ref #1", keys) == [0]  # a column really called "Ref #1"
    assert find_columns("Ref#1", keys) == [0]
    assert find_columns("Ref #2", keys) == []
    assert find_columns("email", keys) == [1]


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.from_regex(SIMPLE_ADDRESS, fullmatch=True),
    st.sampled_from(["a@b.test", "x@localhost.localdomain", "a@123.com", "a@b.c0",
                     "a" * 65 + "@example.com", "a@" + "b" * 64 + ".com",
                     "a@" + ".".join(["b" * 60] * 5) + ".com", "A.B@EXAMPLE.Invalid"]),
))
def test_fast_path_gives_email_validators_verdict(address: str) -> None:
    assert check_address(address) == validate_address_fully(address)
