"""``mailer letters SNIPPET --list LIST --out letters.docx``: paper copies for households
that will not get the email, never for a flagged contact."""

from __future__ import annotations

import csv
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from mailer.letters import LetterFate, plan_letters, postal_lines, prefers_post
from mailer.lists.columns import map_columns
from mailer.lists.problems import PROBLEM_COLUMNS
from tests.conftest import run_mailer

SNIPPET = "online-safety-webcams"

# As a SIMS/Arbor export saved by Excel: one row per pupil-carer pair, CRLF, the carers'
# postal address in columns, flags as the MIS writes them.
HEADER = ("Legal Forename,Legal Surname,Year,Contact Title,Contact Forename,Contact Surname,"
          "Primary Email,Address Line 1,Address Line 2,Town,Postcode,Prefers Post,Court Order,"
          "No Contact")
ROWS = [
    # 2, 3: one carer of two children, with email: no letter.
    "Amy,Khan,3,Mrs,Sadia,Khan,sadia.khan@example.com,1 Oak Road,,Exampleton,ex1 1aa,,,",
    "Ben,Khan,5,Mrs,Sadia,Khan,sadia.khan@example.com,1 Oak Road,,Exampleton,ex1 1aa,,,",
    # 4, 5: two carers at one address, no email and an invalid one: one letter for both.
    "Cara,Wilson,2,Mr,Tom,Wilson,,2 Elm Street,Flat 3,Exampleton,EX2 2BB,,,",
    "Cara,Wilson,2,Mrs,Jo,Wilson,jo.wilson@invalid,2 Elm Street,Flat 3,Exampleton,EX2 2BB,,,",
    # 6: has email but prefers post: a letter.
    "Dan,Evans,4,Mr,Gareth,Evans,gareth@example.com,3 Ash Close,,Exampleton,EX3 3CC,Yes,,",
    # 7: court order, no email: never a letter. 8: the other parent, elsewhere: a letter.
    "Eve,Stone,1,Mr,Rick,Stone,,4 Yew Lane,,Exampleton,EX4 4DD,,Yes,",
    "Eve,Stone,1,Ms,Lara,Stone,,5 Fir Road,,Exampleton,EX5 5EE,,,",
    # 9: no email and no postal address: listed to fix.
    "Finn,Grey,6,Mrs,Ada,Grey,,,,,,,,",
    # 10: no-contact flag: never a letter.
    "Gus,Hale,6,Mr,Ian,Hale,,6 Bay Road,,Exampleton,EX6 6FF,,,Y",
    # 11: no email, but Mrs Khan at the same address gets the email: no letter.
    "Hal,Ives,2,Mrs,Kim,Ives,,1 Oak Road,,Exampleton,EX1 1AA,,,",
    # 12: court order at the same address as a carer who needs a letter: only she is named.
    "Ivy,Moss,3,Mr,Max,Moss,,7 Elm Street,,Exampleton,EX7 7GG,,Court order in place,",
    "Ivy,Moss,3,Mrs,Mia,Moss,,7 Elm Street,,Exampleton,EX7 7GG,,,",
]


def write_list(ws: Path, name: str = "post.csv", rows: list[str] = ROWS) -> None:
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    (ws / "lists" / name).write_bytes(text.encode("cp1252"))


def letters_of(path: Path) -> list[str]:
    """The document's text, split at its page breaks (one item per letter)."""
    document = docx.Document(str(path))
    letters, current = [], []
    for p in document.paragraphs:
        current.append(p.text)
        if any(br.get(qn("w:type")) == "page" for br in p._p.iter(qn("w:br"))):
            letters.append("\n".join(current))
            current = []
    letters.append("\n".join(current))
    return letters


@pytest.fixture
def run(workspace: Path):
    write_list(workspace)
    done = run_mailer("letters", SNIPPET, "--list", "lists/post.csv", "--out", "letters.docx",
                      "--problems", "fix.csv", cwd=workspace)
    assert done.returncode == 0, done.stderr
    return workspace, done


def test_one_letter_per_household_that_gets_no_email(run):
    ws, done = run
    letters = letters_of(ws / "letters.docx")
    assert len(letters) == 4
    wilson, evans, lara, moss = letters
    assert "Mr Tom Wilson and Mrs Jo Wilson\n2 Elm Street\nFlat 3\nExampleton\nEX2 2BB" in wilson
    assert "Dear Mr and Mrs Wilson," in wilson
    assert "Mr Gareth Evans\n3 Ash Close\nExampleton\nEX3 3CC" in evans
    assert "Dear Mr Evans," in evans
    assert "Ms Lara Stone\n5 Fir Road\nExampleton\nEX5 5EE" in lara
    assert "Mrs Mia Moss\n7 Elm Street" in moss and "Dear Mrs Moss," in moss
    for letter in letters:
        assert "Hollybank Primary School" in letter  # letterhead
        assert "Video chat, webcams and keeping your child safe online" in letter
        assert "Yours sincerely," in letter


def test_never_a_letter_for_a_flagged_contact(run):
    ws, done = run
    text = "\n".join(letters_of(ws / "letters.docx"))
    for flagged in ("Rick", "4 Yew Lane", "Ian Hale", "6 Bay Road", "Max"):
        assert flagged not in text
    # Nor for carers who get the email.
    for emailed in ("Sadia", "Kim Ives", "1 Oak Road\n"):
        assert emailed not in text


def test_summary_accounts_for_every_row_and_lists_who_is_reached_nowhere(run):
    _, done = run
    out = done.stdout
    assert "post.csv: 12 data rows -> 4 letters" in out
    assert " 5 to get a letter (no usable email address, or prefers post)" in out
    assert " 2 to get the email" in out
    assert " 1 no email of their own; another carer at the same postal address gets" in out
    assert " 1 neither an email address nor a postal address" in out
    assert " 3 excluded by a contact flag (never a letter)" in out
    assert "12 rows in all" in out
    assert ("line 9: Ada Grey (parent/carer of Finn Grey): no email address and no postal "
            "address") in out
    assert "Wrote 4 letters to letters.docx" in out


def test_problems_csv_lists_the_rows_to_fix(run):
    ws, done = run
    assert "Wrote 2 rows to fix to fix.csv." in done.stdout
    with (ws / "fix.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    # The shared problems CSV: the columns of `lists check --problems`.
    assert rows[0] == list(PROBLEM_COLUMNS)
    assert [r[:5] for r in rows[1:]] == [
        ["5", "Cara Wilson", "Jo Wilson", "jo.wilson@invalid",
         "Invalid email address 'jo.wilson@invalid'."],
        ["9", "Finn Grey", "Ada Grey", "", "No email address and no postal address."],
    ]
    assert rows[1][5].startswith("A paper letter is written for now.")
    assert "email address or postal address" in rows[2][5]


def test_problems_csv_escapes_a_name_excel_would_run_as_a_formula(workspace: Path):
    # A name typed as a formula (OWASP "CSV injection"): written with an apostrophe.
    write_list(workspace, rows=[*ROWS[:2], "Zoe,Null,6,,=1+2,Doe,,,,,,,,"])
    done = run_mailer("letters", SNIPPET, "--list", "lists/post.csv", "--problems", "fix.csv",
                      cwd=workspace)
    assert done.returncode == 0, done.stderr
    with (workspace / "fix.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:3] == ["4", "Zoe Null", "'=1+2 Doe"]


def test_everyone_on_email_writes_no_file(workspace: Path):
    write_list(workspace, rows=ROWS[:2])
    done = run_mailer("letters", SNIPPET, "--list", "lists/post.csv", "--out", "letters.docx",
                      cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert "No letters to write" in done.stdout
    assert not (workspace / "letters.docx").exists()


def test_a_list_without_postal_columns_is_bad_input(workspace: Path):
    done = run_mailer("letters", SNIPPET, "--list", "lists/example-parents.csv", cwd=workspace)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "example-parents.csv, line 1: no postal address columns were found" in done.stderr


def test_address_block_cell_and_a_postal_only_list(tmp_path: Path):
    # One multi-line "Address Block" cell (SIMS), no email column at all.
    path = tmp_path / "post.csv"
    path.write_text('Contact Name,Address Block,Preferred Contact Method\r\n'
                    '"Mrs Sadia Khan","1 Oak Road\nExampleton\nex1 1aa",Post\r\n'
                    '"Mr Tom Wilson","2 Elm Street, Exampleton, EX2 2BB",\r\n'
                    '"Ms No Address",,Post\r\n', encoding="utf-8")
    plan = plan_letters(path)
    assert [h.addressee.address for h in plan.households] == [
        ("1 Oak Road", "Exampleton", "EX1 1AA"), ("2 Elm Street", "Exampleton", "EX2 2BB")]
    assert [h.addressee.greeting for h in plan.households] == ["Dear Mrs Khan",
                                                              "Dear Mr Wilson"]
    # A row's line is where it starts: the three-line address block spans lines 2-4.
    assert plan.rows == {2: LetterFate.LETTER, 5: LetterFate.LETTER, 6: LetterFate.NOWHERE}


def test_where_and_the_suppression_list_apply(tmp_path: Path):
    from mailer.lists.suppression import Suppression, suppression_key

    path = tmp_path / "post.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    plan = plan_letters(path, where=["year=2"])
    # Mrs Khan (years 3 and 5) is not emailed in this campaign, so Mrs Ives at the same
    # address gets the letter this time.
    assert [h.addressee.name for h in plan.households] == [
        "Mr Tom Wilson and Mrs Jo Wilson", "Mrs Kim Ives"]
    assert plan.counts()[LetterFate.FILTERED] == 9
    opted_out = Suppression(keys={suppression_key("gareth@example.com")})
    plan = plan_letters(path, suppression=opted_out)
    assert plan.rows[6] is LetterFate.SUPPRESSED
    assert "Gareth" not in " ".join(h.addressee.name for h in plan.households)


@pytest.mark.parametrize(("cell", "wanted"), [
    ("Yes", True), ("Y", True), ("x", True), ("Post", True), ("Letter", True),
    ("Paper copy", True), ("Email and post", True), ("", False), ("No", False),
    ("N", False), ("Email", False), ("E-mail", False), ("Text message", False),
])
def test_prefers_post_values(cell: str, wanted: bool):
    assert prefers_post(cell) is wanted


def test_postal_columns_by_their_aliases():
    cmap = map_columns(["Email", "Contact Address Line 1", "Address 2", "Town/City",
                        "Post Code", "County", "Send by post"])
    slot = cmap.slots[0]
    assert {f: cmap.header[i] for f, i in slot.fields.items() if f != "email"} == {
        "address_line_1": "Contact Address Line 1", "address_line_2": "Address 2",
        "town": "Town/City", "postcode": "Post Code", "county": "County",
        "prefers_post": "Send by post"}
    cells = ["a@b.example", "1 Oak Road", "", "Exampleton", "ex11aa", "Exampleshire", ""]
    assert postal_lines(cells, slot) == ("1 Oak Road", "Exampleton", "Exampleshire",
                                         "EX1 1AA")


def test_a_wide_export_shares_the_home_address_between_its_contacts(tmp_path: Path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "Pupil Forename,Pupil Surname,Contact 1 Name,Contact 1 Email,Contact 2 Name,"
        "Contact 2 Email,Address Line 1,Town,Postcode\n"
        "Amy,Khan,Mrs Sadia Khan,,Mr Imran Khan,,1 Oak Road,Exampleton,EX1 1AA\n"
        "Ben,Ode,Ms Ada Ode,ada@example.com,Mr Obi Ode,,2 Elm Street,Exampleton,EX2 2BB\n",
        encoding="utf-8")
    plan = plan_letters(path)
    assert [(h.addressee.name, h.addressee.address) for h in plan.households] == [
        ("Mrs Sadia Khan and Mr Imran Khan", ("1 Oak Road", "Exampleton", "EX1 1AA"))]
    # Mr Ode has no email, but Ms Ode at the same home gets it.
    assert plan.rows == {2: LetterFate.LETTER, 3: LetterFate.EMAIL}


def test_wide_exports_number_each_carers_postal_address(tmp_path: Path):
    # As SIMS/Bromcom put it: one block of numbered columns per carer, each with its own
    # address lines 1-5, town and postcode; the pupil's home in unnumbered columns.
    path = tmp_path / "wide.csv"
    header = ["Legal Forename", "Legal Surname", "Contact 1 Title", "Contact 1 Surname",
              "Contact 1 Email", "Contact 1 Address Line 1", "Contact 1 Address Line 2",
              "Contact 1 Town", "Contact 1 Postcode",
              "Contact 2 Title", "Contact 2 Surname", "Contact 2 Email",
              "Contact2AddressLine1", "Contact 2 Address Line 2", "Contact 2 Address Line 3",
              "Contact 2 Address Line 4", "Contact 2 Address Line 5", "Contact 2 Post Code",
              "Address Line 1", "Address Line 4", "Address Line 5", "Postcode"]
    rows = [
        # Mum has email; Dad lives elsewhere with no email: his letter goes to his home.
        ["Amy", "Khan", "Mrs", "Khan", "s.khan@example.com", "1 Oak Road", "", "Exampleton",
         "EX1 1AA", "Mr", "Khan", "", "Flat 2", "Mill House", "9 Quay Street", "Riverside",
         "Porthaven", "px9 9zz", "1 Oak Road", "", "", "EX1 1AA"],
        # No contact has an address of their own: the pupil's home, lines 1, 4 and 5.
        ["Ben", "Ode", "Ms", "Ode", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
         "The Old Barn", "Lower Farm", "Westcombe", "EX5 5EE"],
    ]
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    plan = plan_letters(path)
    slot2 = plan.column_map.slots[1]
    assert {f: plan.column_map.header[i] for f, i in slot2.fields.items()
            if f.startswith(("address", "postcode", "town"))} == {
        "address_line_1": "Contact2AddressLine1", "address_line_2": "Contact 2 Address Line 2",
        "address_line_3": "Contact 2 Address Line 3", "address_line_4": "Contact 2 Address Line 4",
        "address_line_5": "Contact 2 Address Line 5", "postcode": "Contact 2 Post Code"}
    assert [(h.addressee.name, h.addressee.address) for h in plan.households] == [
        ("Mr Khan", ("Flat 2", "Mill House", "9 Quay Street", "Riverside", "Porthaven",
                     "PX9 9ZZ")),
        ("Ms Ode", ("The Old Barn", "Lower Farm", "Westcombe", "EX5 5EE")),
    ]
    assert plan.rows == {2: LetterFate.LETTER, 3: LetterFate.LETTER}


def test_a_wide_exports_numbered_flags_keep_that_carer_from_letters_and_email(
        workspace: Path):
    # As SIMS and Arbor export them: every field of a carer, flags too, after "Contact N".
    (workspace / "lists" / "wide.csv").write_text(
        "Legal Forename,Legal Surname,Address Line 1,Town,Postcode,"
        "Contact 1 Forename,Contact 1 Surname,Contact 1 Email,Contact 1 No Contact,"
        "Contact 1 Court Order,Contact 2 Forename,Contact 2 Surname,Contact 2 Email,"
        "Contact 2 Address Line 1,Contact 2 Town,Contact 2 Postcode,Contact 2 No Contact,"
        "Contact 2 Court Order,Contact 2 No Correspondence\n"
        "Ben,Khan,2 Low St,Exampleton,EX2 2BB,Sara,Khan,sara@example.org,,,"
        "Ali,Khan,,9 Far Road,Porthaven,PX9 9ZZ,Yes,,\n"
        "Cy,Ode,3 Elm St,Exampleton,EX3 3CC,Ada,Ode,,,Yes,Obi,Ode,,,,,,,\n"
        "Di,Roe,4 Ash St,Exampleton,EX4 4DD,Fay,Roe,fay@example.org,,,"
        "Gil,Roe,gil@example.org,,,,,,Y\n", encoding="utf-8")
    done = run_mailer("letters", SNIPPET, "--list", "lists/wide.csv", "--out", "letters.docx",
                      cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert "'Contact 2 No Contact'" in done.stdout and "'Contact 1 Court Order'" in done.stdout
    text = "\n".join(letters_of(workspace / "letters.docx"))
    assert "Far Road" not in text and "Ali" not in text and "Ada" not in text
    assert "Obi Ode" in text  # his partner's court order names only her
    sent = run_mailer("send", SNIPPET, "--list", "lists/wide.csv", "--yes", cwd=workspace)
    assert sent.returncode == 0, sent.stderr
    recipients = sorted(
        line.split(":", 1)[1].strip()
        for path in (workspace / "outbox" / "new").iterdir()
        for line in path.read_text().splitlines() if line.startswith("To:"))
    assert recipients == ["Fay Roe <fay@example.org>", "Sara Khan <sara@example.org>"]


def test_the_parent_list_or_another_kind_of_file_is_never_overwritten(workspace: Path):
    write_list(workspace)
    path = workspace / "lists" / "post.csv"
    before = path.read_bytes()
    (workspace / "budget.xlsx").write_bytes(b"the school's spreadsheet")
    for extra, said in (
            (("--out", "letters.docx", "--problems", "lists/post.csv"),
             "--problems names the parent list itself, which would be overwritten"),
            (("--out", "lists/post.csv"),
             "--out names the parent list itself, which would be overwritten"),
            (("--out", "budget.xlsx"), "--out must be a .docx file"),
            (("--out", "letters.docx", "--problems", "budget.xlsx"),
             "--problems must be a .csv file")):
        done = run_mailer("letters", SNIPPET, "--list", "lists/post.csv", *extra,
                          cwd=workspace)
        assert done.returncode == 2, done.stdout
        assert said in " ".join(done.stderr.split()) and "Traceback" not in done.stderr
    assert path.read_bytes() == before
    assert (workspace / "budget.xlsx").read_bytes() == b"the school's spreadsheet"
    assert not (workspace / "letters.docx").exists()
