"""Each fixture list in tests/fixtures/lists read as a school would give it: the exact
recipients, greetings and the fate of every data row."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.lists import ListReport, read_list, read_suppression, summary_text

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


def read(name: str, **kwargs: object) -> ListReport:
    return read_list(FIXTURES / name, **kwargs)  # type: ignore[arg-type]


def fates(report: ListReport) -> list[tuple[int, str]]:
    return [(row.line, row.fate.value) for row in report.rows]


def people(report: ListReport) -> list[tuple[str, str, str]]:
    """(address to send to, greeting, children_details) per recipient, in list order."""
    return [(r.email, r.greeting, r.fields()["children_details"]) for r in report.recipients]


def assert_adds_up(report: ListReport) -> None:
    assert sum(report.counts().values()) == len(report.rows)


def test_basic_merges_duplicates_and_greetings() -> None:
    report = read("basic.csv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", "Amy (Year 3, 3K) and Ben (Year 5, 5W)"),
        ("wilson.family@example.com", "Dear Mr and Mrs Wilson", "Harry (Year 2, 2G)"),
        ("isla.home@example.com", "Dear Parent/Carer of Isla", "Isla (Year 1, 1B)"),
        ("office.only@example.org", "Dear Parent/Carer", ""),
        ("anna.lee@example.net", "Dear Anna Lee", "Tom (Year 4, 4T)"),
    ]
    assert fates(report) == [
        (2, "recipient"), (3, "merged"), (4, "duplicate"), (5, "recipient"), (6, "merged"),
        (7, "recipient"), (8, "recipient"), (9, "invalid"), (10, "recipient"),
    ]
    assert report.counts() == {"recipient": 5, "merged": 2, "duplicate": 1, "invalid": 1,
                               "suppressed": 0, "excluded": 0, "filtered": 0}
    khan = report.recipients[0]
    assert khan.lines == [2, 3, 4]
    assert khan.fields() == {
        "greeting": "Dear Mrs Khan", "email": "sadia.khan@example.com", "name": "Sadia Khan",
        "title": "Mrs", "forename": "Sadia", "surname": "Khan", "children": "Amy and Ben",
        "children_details": "Amy (Year 3, 3K) and Ben (Year 5, 5W)",
        "addressee": "Mrs Khan", "language": "",
    }
    wilson = report.recipients[1]
    assert wilson.name == "David Wilson and Claire Wilson"
    invalid = report.rows[7]
    assert invalid.address == "emre.demir@example"
    assert "It should have a period" in invalid.reason
    assert report.rows[1].merged_into == 2


def test_utf8_with_bom_keeps_accents_and_finds_the_first_column() -> None:
    report = read("bom.csv")
    assert report.encoding == "utf-8-sig"
    assert report.columns[0] == "Email"
    assert [(r.email, r.name, r.greeting) for r in report.recipients] == [
        ("zoe.martin@example.org", "Zoé Martin", "Dear Mme Martin"),
        ("michal.nowak@example.org", "Michał Nowak", "Dear Pan Nowak"),
        ("j.mueller@example.org", "Jürgen Müller", "Dear Herr Müller"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "recipient"), (4, "recipient")]


def test_excel_cp1252_pounds_accents_and_the_lost_l_with_stroke() -> None:
    """Excel's 'CSV (Comma delimited)' writes Windows-1252, which has '£' and 'é' but no
    'ł': Excel saves "Michał" as "Micha?". The '£' and 'é' come through; the '?' is
    reported so the office can re-save as CSV UTF-8."""
    raw = (FIXTURES / "excel-cp1252.csv").read_bytes()
    assert b"\xa3" in raw and b"\xe9" in raw and b"\r\n" in raw  # '£', 'é', CRLF
    report = read("excel-cp1252.csv")
    assert report.encoding == "cp1252"
    assert [(r.email, r.name, r.greeting, r.fields()["children"]) for r in report.recipients] == [
        ("zoe.martin@example.org", "Zoé Martin", "Dear Mme Martin", "Léa"),
        ("michal.nowak@example.org", "Micha? Nowak", "Dear Mr Nowak", "Zofia"),
        ("helene.dubois@example.org", "Hélène Dubois", "Dear Mrs Dubois", "Chloé"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "recipient"), (4, "recipient")]
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("line(s) 3 have a '?' inside a name")
    assert "'ł'" in report.warnings[0] and "CSV UTF-8" in report.warnings[0]


@pytest.mark.parametrize(("name", "delimiter"), [
    ("semicolon.csv", ";"), ("tab.tsv", "\t"), ("excel-sep-line.csv", ";"),
    ("basic.csv", ","),
])
def test_delimiters_are_sniffed(name: str, delimiter: str) -> None:
    assert read(name).delimiter == delimiter


def test_semicolon_list_with_decimal_commas() -> None:
    report = read("semicolon.csv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", "Amy (Year 3)"),
        ("gareth.evans@example.com", "Dear Mr Evans", "Noah (Year 4)"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "recipient")]


def test_excel_sep_line_sets_the_delimiter_and_is_not_the_header() -> None:
    report = read("excel-sep-line.csv")
    assert report.columns == ["Email", "Contact Title", "Contact Surname", "Note"]
    assert people(report) == [("sadia.khan@example.com", "Dear Mrs Khan", "")]
    assert fates(report) == [(3, "recipient")]


def test_tab_separated() -> None:
    report = read("tab.tsv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", "Amy (Year 3)"),
        ("laura.brown@example.com", "Dear Miss Brown", "Ella (Reception)"),
    ]


def test_quoted_fields_commas_doubled_quotes_line_breaks_crlf() -> None:
    raw = (FIXTURES / "quoted.csv").read_bytes()
    assert b"\r\n" in raw
    report = read("quoted.csv")
    assert [(r.email, r.name, r.greeting) for r in report.recipients] == [
        ("sadia.khan@example.com", "Sadia Khan", "Dear Sadia Khan"),
        ("pat.jones@example.com", 'Patricia "Pat" Jones', "Dear Mrs Jones"),
        ("gareth.evans@example.com", "Gareth Evans", "Dear Mr Evans"),
    ]
    # The first row's address field spans lines 2-3, so the next row starts on line 4.
    assert fates(report) == [(2, "recipient"), (4, "recipient"), (5, "recipient")]


def test_blank_lines_trailing_empty_columns_and_stray_spaces_in_headers() -> None:
    report = read("messy-layout.csv")
    assert report.columns == ["Email Address", "Contact Title", "Contact Surname",
                              "Pupil Forename"]
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", "Amy"),
        ("gareth.evans@example.com", "Dear Mr Evans", "Noah"),
    ]
    assert fates(report) == [(3, "recipient"), (6, "recipient")]
    assert report.blank_lines == 5
    assert "(5 blank lines skipped)" in summary_text(report)


def test_yaml_list() -> None:
    report = read("parents.yaml")
    assert report.format == "yaml"
    assert people(report) == [
        ("fatima.ahmed@example.com", "Dear Mrs Ahmed", "Zara (Year 6)"),
        ("gareth.evans@example.com", "Dear Mr Evans", "Noah (Year 6)"),
        ("g.evans@work.example.org", "Dear Mr Evans", "Noah (Year 6)"),
        ("chris@example.org", "Dear Parent/Carer", ""),
    ]
    assert fates(report) == [(2, "recipient"), (7, "recipient"), (11, "excluded"),
                             (16, "recipient")]
    assert report.rows[2].reason == "no-contact flag 'no contact' says 'yes'"


def test_repeated_forename_read_by_position_and_reported() -> None:
    report = read("repeated-forename.csv")
    # The pupil comes first by default: here that is the wrong way round, and says so.
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Amy Khan", "Sadia (Year 3)"),
        ("imran.khan@example.com", "Dear Ben Khan", "Imran (Year 5)"),
    ]
    assert len(report.notes) == 2
    assert report.notes[0].startswith(
        "'Forename' appears twice (columns 1 and 4): column 1 is read as the pupil's "
        "forename and column 4 as the carer's forename, by position")
    assert 'forename: ["Forename#1"] and pupil_forename: ["Forename#2"]' in report.notes[0]
    assert "Note: 'Surname' appears twice" in summary_text(report)


def test_repeated_forename_chosen_by_configuration() -> None:
    columns = {"forename": ["Forename#1"], "surname": ["Surname#1"],
               "pupil_forename": ["Forename#2"], "pupil_surname": ["Surname#2"]}
    report = read("repeated-forename.csv", column_overrides=columns)
    assert [(r.name, r.greeting, r.fields()["children"]) for r in report.recipients] == [
        ("Sadia Khan", "Dear Sadia Khan", "Amy"),
        ("Imran Khan", "Dear Imran Khan", "Ben"),
    ]
    assert report.notes == []


def test_address_column_from_configuration() -> None:
    report = read("no-address-column.csv", column_overrides={"email": ["Contact"]})
    assert [r.email for r in report.recipients] == [
        "sadia.khan@example.com", "gareth.evans@example.com"]
    # "Pupil" is a built-in name for the pupil's full name.
    assert [r.greeting for r in report.recipients] == [
        "Dear Parent/Carer of Amy", "Dear Parent/Carer of Noah"]


def test_several_addresses_in_one_cell() -> None:
    report = read("several-addresses.csv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", "Amy"),
        ("sadia@work.example.org", "Dear Mrs Khan", "Amy and Ben"),
        ("jo.smith@example.com", "Dear Ms Smith", "Oliver"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "invalid"), (4, "recipient"),
                             (5, "merged")]
    # A ',' between an address and something that is not one: the cell is one mistake,
    # quoted as typed, and nobody on it is written to.
    row = report.rows[1]
    assert (row.address, row.others) == ("gareth.evans@example.com, not-an-address", [])
    assert ("line 3: invalid gareth.evans@example.com, not-an-address: it has words or "
            "spaces as well as the address") in summary_text(report)
    assert "line(s) 2 have several addresses in one cell" in summary_text(report)


def test_internationalised_domain_sends_ascii_and_displays_unicode() -> None:
    report = read("idn.csv")
    assert len(report.recipients) == 1
    rec = report.recipients[0]
    assert rec.email == "eltern@xn--bcher-kva.example"
    assert rec.email.isascii()
    assert rec.display_email == "eltern@bücher.example"
    assert rec.fields()["email"] == "eltern@bücher.example"
    assert rec.greeting == "Dear Herr and Frau Müller"
    assert fates(report) == [(2, "recipient"), (3, "merged"), (4, "invalid")]
    assert "before the @-sign are not supported" in report.rows[2].reason


def test_contact_flags_exclude_rows() -> None:
    report = read("flags.csv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", ""),
        ("ngozi.okafor@example.com", "Dear Dr Okafor", ""),
    ]
    assert [(r.line, r.fate.value, r.reason) for r in report.rows] == [
        (2, "recipient", ""),
        (3, "excluded", "court-order flag 'Court Order' says 'Yes'"),
        (4, "excluded", "no-contact flag 'No Contact' says 'Y'"),
        (5, "excluded", "no-correspondence flag 'No Correspondence' says 'X'"),
        (6, "recipient", ""),
        (7, "excluded", "'Receives Correspondence' says 'No'"),
        (8, "excluded", "court-order flag 'Court Order' says 'See file: father only'"),
    ]


def test_suppression_file_removes_addresses() -> None:
    suppression = read_suppression(FIXTURES / "suppressed.txt")
    assert suppression.keys == {"imran.khan@example.com", "mark.turner@example.com"}
    assert suppression.warnings == ["suppressed.txt, line 4: no address, ignored."]
    report = read("suppress-list.csv", suppressed=suppression)
    assert people(report) == [("sadia.khan@example.com", "Dear Mrs Khan", "")]
    assert [(r.line, r.fate.value, r.reason) for r in report.rows] == [
        (2, "recipient", ""),
        (3, "suppressed", "on the suppression list (suppressed.txt)"),
        (4, "suppressed", "on the suppression list (suppressed.txt)"),
    ]
    assert "suppressed.txt, line 4: no address, ignored." in report.warnings


def test_invalid_addresses_each_with_a_reason() -> None:
    report = read("invalid-addresses.csv")
    assert people(report) == [("sadia.khan@example.com", "Dear Mrs Khan", "")]
    assert [(r.line, r.fate.value, r.address) for r in report.rows] == [
        (2, "recipient", "sadia.khan@example.com"),
        (3, "invalid", ""),
        (4, "invalid", "not-an-address"),
        (5, "invalid", "two@@example.com"),
        (6, "invalid", "ngozi okafor@example.com"),
        (7, "invalid", "micha?@example.org"),
        (8, "invalid", "laura.brown@example.com."),
    ]
    reasons = [r.reason for r in report.rows[1:]]
    assert reasons[0] == "no address in 'Email'"
    assert reasons[1] == "An email address must have an @-sign."
    assert "'@'" in reasons[2]
    assert "words or spaces" in reasons[3]
    assert "where Excel puts a letter it could not save" in reasons[4]
    assert reasons[5] == "An email address cannot end with a period."


def test_rows_with_too_few_or_too_many_fields() -> None:
    report = read("field-counts.csv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Parent/Carer of Amy", "Amy"),
        ("jo.smith@example.com", "Dear Parent/Carer of Oliver", "Oliver"),
        ("helen.taylor@example.com", "Dear Parent/Carer of Grace", "Grace"),
    ]
    assert [(r.line, r.fate.value, r.address, r.reason) for r in report.rows] == [
        (2, "recipient", "sadia.khan@example.com", ""),
        (3, "invalid", "gareth.evans@example.com",
         "this row has 6 fields but the header has 5; a value containing a comma must be "
         "in quotes"),
        (4, "recipient", "jo.smith@example.com", ""),
        (5, "invalid", "laura.brown@example.com",
         "this row has 3 fields but the header has 5, so 'No Contact' is missing"),
        (6, "invalid", "", "this row has 2 fields but the header has 5, so 'Email' is missing"),
        (7, "recipient", "helen.taylor@example.com", ""),
    ]
    assert report.warnings == [
        "line(s) 4 have fewer fields than the header; their missing last cells were read as "
        "empty."
    ]


def test_header_only_list_has_no_rows() -> None:
    report = read("header-only.csv")
    assert report.rows == [] and report.recipients == []
    assert "the list has a header line but no data rows" in summary_text(report)


# --- shaped like the exports of school records systems ---------------------------------


def test_sims_shaped_export() -> None:
    report = read("sims.csv")
    assert people(report) == [
        ("sadia.khan@example.com", "Dear Mrs Khan", "Amy (Year 3, 3K) and Ben (Year 5, 5W)"),
        ("ngozi.okafor@example.com", "Dear Dr Okafor", "Chidi (Year 6, 6R)"),
        ("EMEKA.OKAFOR@example.com", "Dear Mr Okafor", "Chidi (Year 6, 6R)"),
    ]
    assert [(r.line, r.fate.value, r.reason) for r in report.rows] == [
        (2, "recipient", ""),
        (3, "merged", "same address as line 2; adds a carer or child to that message"),
        (4, "excluded", "court-order flag 'Court Order' says 'Yes'"),
        (5, "recipient", ""),
        (6, "recipient", ""),
        (7, "invalid", "no address in 'Email Address'"),
    ]


def test_arbor_shaped_export() -> None:
    report = read("arbor.csv")
    assert report.encoding == "utf-8-sig"
    assert people(report) == [
        ("a.kowalska@example.com", "Dear Mrs Kowalska", "Maja (Year 4, 4T)"),
        ("gareth.evans@example.com", "Dear Mr Evans", "Noah (Year 4, 4T)"),
        ("giulia.rossi@example.com", "Dear Parent/Carer of Sofia", "Sofia (Year 2, 2G)"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "excluded"), (4, "recipient"),
                             (5, "recipient")]
    assert report.rows[1].reason == "'Receives Correspondence' says 'No'"


def test_bromcom_shaped_export_repeats_forename_and_surname() -> None:
    report = read("bromcom.csv")
    assert people(report) == [
        ("siobhan.murphy@example.com", "Dear Ms Murphy", "Leo (Year 5, 5W)"),
        ("helen.taylor@example.com", "Dear Mrs Taylor",
         "Grace (Reception, RB) and Harry (Year 2, 2G)"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "excluded"), (4, "recipient"),
                             (5, "merged")]
    assert [n.split(":")[0] for n in report.notes] == [
        "'Forename' appears twice (columns 1 and 6)", "'Surname' appears twice (columns 2 and 7)"]


def test_scholarpack_shaped_export_with_numbered_contacts() -> None:
    report = read("scholarpack.csv")
    assert [(r.email, r.name, r.greeting, r.fields()["children_details"])
            for r in report.recipients] == [
        ("jo.smith@example.com", "Joanne Smith", "Dear Ms Smith",
         "Oliver (Year 1, Class 1B) and Jack (Year 3, Class 3K)"),
        ("mark.turner@example.com", "Mark Turner", "Dear Mr Turner", "Oliver (Year 1, Class 1B)"),
        ("priya.patel@example.com", "Priya Patel", "Dear Mrs Patel", "Ava (Year 2, Class 2G)"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "recipient"), (4, "merged")]
    assert [(o.fate.value, o.address) for o in report.rows[2].others] == [
        ("invalid", "not-an-address")]


def test_parentmail_shaped_import_file() -> None:
    report = read("parentmail.csv")
    assert people(report) == [
        ("fatima.ahmed@example.com", "Dear Mrs Ahmed", "Zara (Year 6, 6R) and Ali (Year 2, 2G)"),
        ("f.ahmed@work.example.org", "Dear Mrs Ahmed", "Zara (Year 6, 6R)"),
        ("pat.jones@example.com", "Dear Ms Jones", "Ruby (Year 1, 1B)"),
    ]
    assert fates(report) == [(2, "recipient"), (3, "merged"), (4, "recipient")]


@pytest.mark.parametrize("name", sorted(
    p.name for p in FIXTURES.iterdir() if p.suffix in (".csv", ".tsv", ".yaml")
    and p.name not in {"empty.csv", "unclosed-quote.csv", "stray-quote.csv",
                       "undecodable.csv", "mixed-encoding.csv", "no-address-column.csv"}
))
def test_every_readable_fixture_accounts_for_every_row(name: str) -> None:
    report = read(name)
    assert_adds_up(report)
    keys = [r.email.casefold() for r in report.recipients]
    assert len(keys) == len(set(keys))
