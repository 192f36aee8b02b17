"""The set-up before a large send's first message, made fast, gives the same result as the
general way: the journal's pending rows (one insert, language included), and the list
reader's fast path for the common row shape against its general path."""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer.journal import Journal
from mailer.outcome import State

# -- the journal: pending rows of a new campaign -------------------------------------------


def _rows(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(str(path))
    try:
        return db.execute(
            "SELECT campaign, email, state, code, reply, attempts, message_id, first_attempt, "
            "last_attempt, language FROM recipients ORDER BY campaign, email").fetchall()
    finally:
        db.close()


def _start(journal: Journal, name: str = "c") -> None:
    journal.start_campaign(name, snippet="s", list_path="l", list_hash="h", content_hash="x",
                           transport="smtp h")


@pytest.mark.parametrize("json_functions", [True, False], ids=["json_each", "row_by_row"])
def test_add_pending_gives_the_rows_of_add_recipients_then_set_languages(
        tmp_path: Path, json_functions: bool) -> None:
    """Whether SQLite has its JSON functions (one insert of a JSON array) or not (one row
    at a time), the rows are the same, in list order, the first of a repeated address."""
    pairs = [("A@Example.com", "en"), ("b@example.com", "pl"), ("c@example.com", "pt-BR"),
             ("a@example.com", "ar"), ('d"q\\@example.com', "en")]
    with Journal(tmp_path / "one.sqlite3") as journal:
        assert journal._has_json  # this SQLite (3.40) has them
        journal._has_json = json_functions
        _start(journal)
        journal.add_pending("c", pairs)
        assert journal.states("c") == {"a@example.com": State.PENDING,
                                       "b@example.com": State.PENDING,
                                       "c@example.com": State.PENDING,
                                       'd"q\\@example.com': State.PENDING}
    with Journal(tmp_path / "two.sqlite3") as journal:
        journal._has_json = json_functions
        _start(journal)
        journal.add_recipients("c", (e for e, _ in pairs))
        journal.set_languages("c", pairs[:3] + pairs[4:])
    assert _rows(tmp_path / "one.sqlite3") == _rows(tmp_path / "two.sqlite3")
    assert [r[-1] for r in _rows(tmp_path / "one.sqlite3")] == ["en", "pl", "pt-BR", "en"]


@pytest.mark.parametrize("pairs,rows", [
    ([("A@Example.com", "en"), ("b@example.com", "en"), ("a@example.com", "en")],
     [("a@example.com", "en"), ("b@example.com", "en")]),
    ([("a@example.com", "en"), ("b@example.com", "en"), ("A@example.com", "pl"),
      ("c@example.com", "pl"), ("b@example.com", "ar")],
     [("a@example.com", "en"), ("b@example.com", "en"), ("c@example.com", "pl")]),
], ids=["one language", "a second language after the first repeats"])
def test_an_address_given_twice_keeps_its_first_language(
        tmp_path: Path, pairs: list[tuple[str, str]], rows: list[tuple[str, str]]) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        _start(journal)
        journal.add_pending("c", pairs)
    assert [(r[1], r[-1]) for r in _rows(tmp_path / "j.sqlite3")] == rows


def test_add_pending_leaves_rows_already_there_alone(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        _start(journal)
        journal.add_pending("c", [("a@example.com", "pl")])
        journal.mark_uncertain("c", "a@example.com", "<1@x>")
        journal.add_pending("c", [("a@example.com", "en"), ("b@example.com", "en")])
        assert journal.states("c") == {"a@example.com": State.UNCERTAIN,
                                       "b@example.com": State.PENDING}
    assert [(r[1], r[-1]) for r in _rows(tmp_path / "j.sqlite3")] == [
        ("a@example.com", "pl"), ("b@example.com", "en")]


def test_add_pending_is_one_commit_that_is_all_or_nothing(tmp_path: Path) -> None:
    """A batch that breaks half-way (the rows' source raises) leaves no row of it
    behind: the first message never goes with part of the list unrecorded."""
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        _start(journal)

        def rows():  # type: ignore[no-untyped-def]
            yield ("a@example.com", "en")
            raise RuntimeError("the list broke half-way")

        with pytest.raises(RuntimeError):
            journal.add_pending("c", rows())
        assert journal.states("c") == {}


# -- the journal: a new campaign's rows written while the pre-flight runs ------------------

_ROW = {"snippet": "s", "list_path": "l", "list_hash": "h", "content_hash": "x",
        "transport": "smtp h"}


def test_rows_written_ahead_appear_only_with_their_campaign_at_commit(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    pairs = [("A@Example.com", "en"), ("b@example.com", "pl"), ("a@example.com", "ar")]
    with Journal(path) as journal:
        pending = journal.pending_ahead("c", pairs)
        pending._thread.join()  # every row written, none committed
        reader = sqlite3.connect(str(path))
        assert reader.execute("SELECT count(*) FROM recipients").fetchone() == (0,)
        assert journal.campaign("c") is None
        info = pending.commit(**_ROW)
        assert (info.name, info.list_hash, info.transport) == ("c", "h", "smtp h")
        assert reader.execute("SELECT count(*) FROM campaigns").fetchone() == (1,)
        reader.close()
        pending.abandon()  # after the commit: nothing to undo
    with Journal(tmp_path / "two.sqlite3") as journal:
        journal.start_campaign("c", **_ROW)
        journal.add_pending("c", pairs)
    assert _rows(path) == _rows(tmp_path / "two.sqlite3")


def test_rows_written_ahead_and_abandoned_leave_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        journal.pending_ahead("c", [("a@example.com", "en")]).abandon()
        assert journal.campaign("c") is None and journal.states("c") == {}
        journal.start_campaign("c", **_ROW)  # the journal can be written again at once
        journal.add_pending("c", [("b@example.com", "en")])
    assert [r[1] for r in _rows(path)] == ["b@example.com"]


def test_rows_that_break_while_written_ahead_record_nothing(tmp_path: Path) -> None:
    def rows():  # type: ignore[no-untyped-def]
        yield ("a@example.com", "en")
        raise RuntimeError("the list broke half-way")

    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        pending = journal.pending_ahead("c", rows())
        with pytest.raises(RuntimeError, match="half-way"):
            pending.commit(**_ROW)
        assert journal.campaign("c") is None and journal.states("c") == {}
        journal.start_campaign("c", **_ROW)
    assert _rows(path) == []


def test_a_kill_while_rows_are_written_ahead_records_nothing(tmp_path: Path) -> None:
    """Killed while the person is asked (the rows written, not committed): the journal
    holds nothing of the campaign, and opens and passes SQLite's check."""
    import subprocess
    import sys

    path = tmp_path / "j.sqlite3"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from mailer.journal import Journal\n"
        "j = Journal(Path(sys.argv[1]))\n"
        "p = j.pending_ahead('c', [(f'p{i}@example.com', 'en') for i in range(20000)])\n"
        "p._thread.join()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], timeout=120)
    assert done.returncode == -9
    with Journal(path, create=False) as journal:
        assert journal.campaign("c") is None and journal.states("c") == {}
    assert _rows(path) == []


@pytest.mark.parametrize("json_functions", [True, False], ids=["json_each", "row_by_row"])
def test_rows_streamed_as_the_list_is_read_are_the_rows_written_ahead(
        tmp_path: Path, json_functions: bool) -> None:
    """Addresses given in batches as they are read, their languages at the end, give the
    rows written ahead from (address, language) pairs: one row for a repeated address,
    English unless the end says otherwise; none is visible before the commit."""
    pairs = [("A@Example.com", "en"), ("b@example.com", "pl"), ("c@example.com", "pt-BR"),
             ("a@example.com", "en"), ("Zo\u00eb@example.com", "pl"), ("d@example.com", "en")]
    path = tmp_path / "streamed.sqlite3"
    with Journal(path) as journal:
        journal._has_json = json_functions
        pending = journal.pending_stream("c")
        pending.add(iter([pairs[0][0], pairs[1][0]]))
        pending.add(e for e, _ in pairs[2:5])
        pending.add([])
        pending.add([pairs[5][0]])
        reader = sqlite3.connect(str(path))
        pending.end((e, t) for e, t in pairs if t != "en")
        pending._thread.join()
        assert reader.execute("SELECT count(*) FROM recipients").fetchone() == (0,)
        reader.close()
        pending.commit(**_ROW)
    with Journal(tmp_path / "ahead.sqlite3") as journal:
        journal.pending_ahead("c", pairs).commit(**_ROW)
    assert [r[1:] for r in _rows(path)] == [r[1:] for r in _rows(tmp_path / "ahead.sqlite3")]
    assert [(r[1], r[-1]) for r in _rows(path)] == [
        ("a@example.com", "en"), ("b@example.com", "pl"), ("c@example.com", "pt-BR"),
        ("d@example.com", "en"), ("zo\u00eb@example.com", "pl")]


def test_a_stream_abandoned_while_it_waits_for_more_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        pending = journal.pending_stream("c")
        pending.add(["a@example.com", "b@example.com"])
        pending.abandon()  # no end(): the thread is still waiting for more
        assert not pending._thread.is_alive()
        assert journal.campaign("c") is None and journal.states("c") == {}
        journal.start_campaign("c", **_ROW)  # the journal can be written again at once
    assert _rows(path) == []


def test_a_stream_that_breaks_records_nothing_and_says_so_at_commit(tmp_path: Path) -> None:
    def addresses():  # type: ignore[no-untyped-def]
        yield "a@example.com"
        raise RuntimeError("the list broke half-way")

    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        pending = journal.pending_stream("c")
        pending.add(addresses())
        pending.add(["b@example.com"])  # after the break: taken by nobody, harmlessly
        pending.end()
        with pytest.raises(RuntimeError, match="half-way"):
            pending.commit(**_ROW)
        assert journal.campaign("c") is None and journal.states("c") == {}
    assert _rows(path) == []


# -- the list reader: the fast path for the common row shape --------------------------------

POOL = ["sadia.khan@example.com", "Imran.Khan@Example.COM", "jo.smith@example.org",
        "eltern@bücher.example", "a.b+c@school.example.sch.uk", "x_y%z@sub.example.net",
        "o'neil@example.com", "dot.@example.com", "a@localhost", "not-an-address",
        "two@@example.com", "si?n@example.com", "name@example.invalid",
        "averyveryveryveryveryveryveryveryveryveryveryveryveryverylonglocalpart1@example.com",
        "p@exa_mple.com", "Mrs A <a.name@example.com>", "one@example.com; two@example.com",
        " spaced@example.com ", "mailto:m@example.com", ""]
NAMES = ["Sadia", "Khan", "Zoë", "Ó Súilleabháin", "Mary  Ann", " lead", "trail ", "Ma?gda",
         "a|b", "x | y", "tab\there", "nb\u00a0sp", "", "Łucja", "O'Hara, Jr.", "Jo\u200b",
         "Smith", "Dear Mrs Khan"]
LANGUAGES = ["", "English", "Polish", "pl", "Martian", "ar", "  Polish", "urdu"]


def _general_read(monkeypatch: pytest.MonkeyPatch, path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    """``read_list`` with every row read by the general path (``_Builder.row``)."""
    from mailer.lists import read_list
    from mailer.lists.reader import _Builder

    def general(self, table, out, on_recipients=None):  # type: ignore[no-untyped-def]
        for raw in table.rows():
            out.append(self.row(raw))
        if on_recipients is not None and self.recipients:
            on_recipients(list(self.recipients))

    with monkeypatch.context() as m:
        m.setattr(_Builder, "read_rows", general)
        return read_list(path, **kwargs)  # type: ignore[arg-type]


def _general_rows_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lines of the rows read by the general path (``_Builder.row``) from now on."""
    from mailer.lists.reader import _Builder

    lines: list[int] = []
    general_row = _Builder.row

    def counted(self, raw):  # type: ignore[no-untyped-def]
        lines.append(raw.line)
        return general_row(self, raw)

    monkeypatch.setattr(_Builder, "row", counted)
    return lines


def _same_report(fast, general) -> None:  # type: ignore[no-untyped-def]
    assert fast.recipients == general.recipients
    assert list(fast.rows) == list(general.rows)
    assert fast.counts() == general.counts()
    assert list(fast.rows_leaving_out()) == list(general.rows_leaving_out())
    assert fast.warnings == general.warnings
    assert fast.unknown_languages == general.unknown_languages
    assert fast.blank_lines == general.blank_lines
    assert fast.languages() == general.languages()
    assert [r.fields() for r in fast.recipients] == [r.fields() for r in general.recipients]


@st.composite
def sims_lists(draw: st.DrawFn) -> dict:
    """A SIMS-style export (one row per pupil-carer pair), with the odd cells, encodings,
    repeated columns and shapes lists come in."""
    header = ["Pupil Forename", "Pupil Surname", "Year", "Reg Group", "Contact Title",
              "Contact Forename", "Contact Surname", "Relationship", "Email"]
    if draw(st.booleans()):
        header.append("Language")
    if draw(st.booleans()):
        header.append("Notes")
        header.append("Notes")  # a repeated column name
    if draw(st.booleans()):
        header[4:7] = ["Contact Name"]  # one cell for the carer's whole name
    common = st.sampled_from(NAMES[:3] + NAMES[16:17])
    odd = st.sampled_from(NAMES)
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        name = odd if draw(st.integers(0, 3)) == 0 else common
        row = []
        for column in header:
            if column == "Email":
                row.append(draw(st.sampled_from(POOL[:5])) if draw(st.booleans())
                           else draw(st.sampled_from(POOL)))
            elif column == "Language":
                row.append(draw(st.sampled_from(LANGUAGES)))
            elif column == "Year":
                row.append(draw(st.sampled_from(["Year 3", "3", "Reception", ""])))
            else:
                row.append(draw(name))
        shape = draw(st.sampled_from(["full"] * 6 + ["short", "long", "blank"]))
        if shape == "short":
            row = row[:draw(st.integers(1, len(row) - 1))]
        elif shape == "long":
            row = [*row, draw(st.sampled_from(["", "extra"]))]
        elif shape == "blank":
            row = [""] * len(row)
        rows.append(row)
    # Plain rows first, so that the rows above fall either side of the 50 the reader
    # reads ahead to map the columns (those are read again from where they were kept).
    lead = draw(st.sampled_from([0, 0, 48, 50, 52]))
    plain = [[f"p{i}@example.net" if column == "Email" else "" if column == "Language"
              else "Sadia" for column in header] for i in range(lead)]
    rows = plain + rows
    return {
        "header": header,
        "rows": rows,
        "delimiter": draw(st.sampled_from([",", ";", "\t"])),
        "newline": draw(st.sampled_from(["\n", "\r\n", "\r"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])),
        "suppressed": draw(st.sets(st.sampled_from(POOL[:5]), max_size=2)),
        "where": draw(st.sampled_from([[], [], ["year=3"]])),
    }


def _write(spec: dict, path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=spec["delimiter"], lineterminator=spec["newline"],
                        quoting=spec["quoting"])
    writer.writerow(spec["header"])
    writer.writerows(spec["rows"])
    path.write_bytes(out.getvalue().encode(spec["encoding"], errors="replace"))


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=sims_lists())
def test_fast_path_reads_every_list_as_the_general_path_does(
        spec: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailer.errors import ListError
    from mailer.lists import read_list

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        _write(spec, path)
        kwargs = {"suppressed": spec["suppressed"], "where": spec["where"]}
        try:
            general = _general_read(monkeypatch, path, **kwargs)
        except ListError as exc:
            with pytest.raises(ListError) as fast_exc:
                read_list(path, **kwargs)  # type: ignore[arg-type]
            assert (str(fast_exc.value), fast_exc.value.line) == (str(exc), exc.line)
            return
        _same_report(read_list(path, **kwargs), general)  # type: ignore[arg-type]


def test_spaces_around_the_separators_keep_rows_on_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list typed by hand with a space after each comma (or saved with cells padded)
    is read as fast as an export, with each cell trimmed, past the rows read ahead too;
    a stray quote after them still names its line."""
    from mailer.errors import ListError
    from mailer.lists import read_list

    path = tmp_path / "list.csv"
    body = "".join(f"Amy, Khan, Year 3 , 3K, Mrs, Sadia, Khan, Mother, p{i}@example.com\n"
                   for i in range(60))
    path.write_text("Pupil Forename, Pupil Surname, Year, Reg Group, Contact Title, "
                    "Contact Forename, Contact Surname, Relationship, Email\n" + body,
                    encoding="utf-8")
    with monkeypatch.context() as m:
        calls = _general_rows_seen(m)
        report = read_list(path)
    assert calls == []
    assert len(report.recipients) == 60
    last = report.recipients[-1]
    assert (last.email, last.lines, last.children[0].year) == ("p59@example.com", [61],
                                                              "Year 3")
    _same_report(report, _general_read(monkeypatch, path))

    path.write_text(path.read_text(encoding="utf-8") + 'Ben,"Lee, Year 4\n' + body,
                    encoding="utf-8")
    with pytest.raises(ListError) as fast:
        read_list(path)
    with pytest.raises(ListError) as general:
        _general_read(monkeypatch, path)
    assert fast.value.line == general.value.line == 62
    assert str(fast.value) == str(general.value)


@pytest.mark.parametrize("where", [[], ["year=Year 3"]], ids=["fast path", "general path"])
def test_recipients_are_given_in_batches_as_the_list_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: list[str]) -> None:
    """``on_recipients`` gets every recipient once, in list order, a batch at a time while
    the rows are read (each batch given before the rows after it are read), whichever
    way the rows are read."""
    import mailer.lists.reader as reader_module
    from mailer.lists import read_list

    monkeypatch.setattr(reader_module, "RECIPIENT_BATCH", 7)
    path = tmp_path / "list.csv"
    rows = [f"Amy,Khan,Year 3,3K,Mrs,Sadia,Khan,Mother,p{i % 40}@example.com\n"
            for i in range(100)]
    path.write_text("Pupil Forename,Pupil Surname,Year,Reg Group,Contact Title,"
                    "Contact Forename,Contact Surname,Relationship,Email\n" + "".join(rows),
                    encoding="utf-8")
    batches: list[list[str]] = []
    seen_rows: list[int] = []
    real_row = reader_module._Builder.row

    def row(self, raw):  # type: ignore[no-untyped-def]
        seen_rows.append(raw.line)
        return real_row(self, raw)

    monkeypatch.setattr(reader_module._Builder, "row", row)

    def given(batch: list) -> None:  # type: ignore[type-arg]
        batches.append([r.email for r in batch])
        seen_rows.append(-len(batch))

    report = read_list(path, where=where, on_recipients=given)
    assert [e for b in batches for e in b] == [r.email for r in report.recipients]
    assert len(report.recipients) == 40
    assert [len(b) for b in batches] == [7, 7, 7, 7, 7, 5]
    if where:  # the general path: each batch is given before the next row is read
        assert seen_rows[:9] == [2, 3, 4, 5, 6, 7, 8, -7, 9]


def test_fast_path_reads_a_plain_sims_export_without_the_general_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of the common shape never reach the general path (so the test above compares
    two different readings), and come out as it would read them: siblings' rows merge,
    a repeated row is a duplicate, an upper-case domain is sent to in lower case."""
    from mailer.lists import Fate, read_list

    path = tmp_path / "list.csv"
    path.write_text(
        "Pupil Forename,Pupil Surname,Year,Reg Group,Contact Title,Contact Forename,"
        "Contact Surname,Relationship,Email,Language\r\n"
        "Amy,Khan,Year 3,3K,Mrs,Sadia,Khan,Mother,Sadia.Khan@Example.COM,Polish\r\n"
        "Ben,Khan,Year 5,5B,Mrs,Sadia,Khan,Mother,sadia.khan@example.com,\r\n"
        "Ben,Khan,Year 5,5B,Mrs,Sadia,Khan,Mother,sadia.khan@example.com,\r\n"
        "Cara,Zoë,Year 1,1A,Mr,Łukasz,Zoë,Father,lz@example.org,Martian\r\n",
        encoding="utf-8-sig")
    calls = _general_rows_seen(monkeypatch)
    report = read_list(path)
    assert calls == []
    assert [r.fate for r in report.rows] == [Fate.RECIPIENT, Fate.MERGED, Fate.DUPLICATE,
                                              Fate.RECIPIENT]
    khan, zoe = report.recipients
    assert (khan.email, khan.display_email, khan.lines, khan.language) == (
        "Sadia.Khan@example.com", "Sadia.Khan@Example.COM", [2, 3, 4], "pl")
    assert khan.children_names == "Amy and Ben"
    assert zoe.greeting == "Dear Mr Zoë"
    assert report.unknown_languages == [(5, "Martian")]
    monkeypatch.undo()
    _same_report(report, _general_read(monkeypatch, path))


_name_parts = st.sampled_from(["", "Mrs", "Mrs.", "mrs", "Sadia", "SADIA", "Khan", "Zoë",
                               "ZOË", "Ó Súilleabháin", "Ben", "ben"])
_carers = st.builds(lambda t, f, s, sal: (t, f, s, sal), _name_parts, _name_parts,
                    _name_parts, st.sampled_from(["", "", "Mr & Mrs Khan"]))
_children = st.one_of(st.none(), st.builds(lambda f, s, y, g: (f, s, y, g), _name_parts,
                                           _name_parts, st.sampled_from(["", "Year 3", "3"]),
                                           st.sampled_from(["", "3K"])))


def _recased(draw: st.DrawFn, fields: tuple | None) -> tuple | None:  # type: ignore[type-arg]
    """``fields`` again, each as it is, upper-cased or (a title) with a full stop."""
    if fields is None:
        return None
    how = st.sampled_from(["same", "same", "upper", "dot"])
    return tuple(f.upper() if (h := draw(how)) == "upper" else f + "." if h == "dot" and i == 0
                 and f else f for i, f in enumerate(fields))


@settings(max_examples=400, deadline=None)
@given(first=st.tuples(_carers, _children), data=st.data())
def test_adding_rows_to_a_recipient_of_one_carer_is_the_general_add(
        first: tuple, data: st.DataObject) -> None:  # type: ignore[type-arg]
    """A recipient's later rows (a sibling's, a second carer's, a repeat, the same names
    in other letter cases) give the same carers, children, lines and answers through
    the slots' quick comparison as through the general way (lists, sets and case-folded
    keys)."""
    from mailer.lists import Carer, Child, Recipient

    rows = []
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()):  # the first row's names again, maybe re-cased
            carer, child = _recased(data.draw, first[0]), _recased(data.draw, first[1])
        else:
            carer, child = data.draw(st.tuples(_carers, _children))
        rows.append((carer, child, data.draw(st.integers(2, 6))))

    def made() -> Recipient:
        carer, child = first
        return Recipient.first("a@example.com", "a@example.com", Carer(*carer),
                               Child(*child) if child else None, 2)

    quick, general = made(), made()
    for carer, child, line in rows:
        args = (Carer(*carer), Child(*child) if child else None, line)
        assert quick.add(*args) == general._add(*args)
        assert quick == general
        assert (quick.carers, quick.children, quick.lines, quick.unnamed_carer) == (
            general.carers, general.children, general.lines, general.unnamed_carer)


# -- the To line's name, read once per recipient by the pre-flight --------------------------

_parts = st.sampled_from(["", "Mrs", "Sadia", "Khan", "Zoë", "Ó Súilleabháin"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_parts, _parts, _parts, _parts), max_size=3), st.booleans())
def test_recipient_name_is_the_carers_full_names_joined(
        carers: list[tuple[str, str, str, str]], unnamed: bool) -> None:
    """``Recipient.name`` (one carer: no list built) and ``Carer.full_name`` (no join) say
    what they said before: forename and surname, else title and surname, else what is
    known; several carers joined with "and", repeats left out."""
    from mailer.lists import Carer, Recipient
    from mailer.lists.people import join_names

    people = [Carer(*c) for c in carers]
    rec = Recipient("a@example.com", "a@example.com", people, unnamed_carer=unnamed)

    def old_full_name(c: Carer) -> str:
        if c.forename:
            return " ".join(p for p in (c.forename, c.surname) if p)
        return " ".join(p for p in (c.title, c.surname) if p)

    assert [c.full_name for c in people] == [old_full_name(c) for c in people]
    assert rec.name == join_names([old_full_name(c) for c in rec.carers])


def test_reading_a_list_gives_the_garbage_collector_back_as_it_was(tmp_path: Path) -> None:
    """The collector is paused while a list is read, and is on again after it (also when
    the list is refused half-way); one that was off stays off."""
    import gc

    from mailer.errors import ListError
    from mailer.lists import read_list

    good = tmp_path / "good.csv"
    good.write_text("Email\na@example.com\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text('Email,Name\na@example.com,"never closed\n', encoding="utf-8")
    assert gc.isenabled()
    assert len(read_list(good).recipients) == 1
    assert gc.isenabled()
    with pytest.raises(ListError):
        read_list(bad)
    assert gc.isenabled()
    gc.disable()
    try:
        read_list(good)
        assert not gc.isenabled()
    finally:
        gc.enable()


_TEXTS = ["a,b\r\n1,2\r\n", "a,b\n1,2", "a,b\r1,2\r\r3,4\n",
          'a,b\r\n"x\r\ny",2\n"p\rq","r\ns"\r\n', "a\r\r\n\n\rb", "", "\n", "only",
          "a,b\x0c1,2\x85d\n", "a,b\u20281,2\n", "Zoë,£\r\n" * 5000]


@pytest.mark.parametrize(("text", "encoding"), [
    (text, encoding) for text in _TEXTS for encoding in ("utf-8", "utf-8-sig", "utf-16",
                                                          "cp1252")
    if encoding != "cp1252" or text.isascii() or "£" in text])
def test_lines_decoded_as_read_are_the_lines_of_the_whole_text(text: str,
                                                                encoding: str) -> None:
    """The CSV reader gets the same physical lines from the bytes, decoded a block at a
    time, as from the whole decoded text (a CR LF across a block boundary included)."""
    from mailer.lists.table import physical_lines, raw_lines

    raw = text.encode(encoding)
    assert list(raw_lines(raw, encoding)) == list(physical_lines(raw.decode(encoding)))


# -- modules loaded when first used ---------------------------------------------------------


def test_a_module_imported_without_a_dependency_gets_it_when_it_uses_it() -> None:
    """``import_without``: the imported module holds a stand-in that gives the real
    module's attributes; the stand-in leaves ``sys.modules``, so a later ``import`` gets
    the real module."""
    import sys
    import textwrap
    import types

    from mailer.lazy import import_without

    name = "mailer_test_uses_colorsys"
    source = "import colorsys\n\ndef hls(r, g, b):\n    return colorsys.rgb_to_hls(r, g, b)\n"
    saved = sys.modules.pop("colorsys", None)
    try:
        def load() -> types.ModuleType:
            module = types.ModuleType(name)
            exec(textwrap.dedent(source), module.__dict__)
            return module

        user = import_without(("colorsys",), load)
        assert "colorsys" not in sys.modules  # not loaded by the import
        assert type(user.colorsys).__name__ == "_OnFirstUse"
        assert user.hls(1.0, 0.0, 0.0) == (0.0, 0.5, 1.0)  # loaded on first use
        import colorsys

        assert type(colorsys) is types.ModuleType and user.colorsys.rgb_to_hls is (
            colorsys.rgb_to_hls)
    finally:
        if saved is not None:
            sys.modules["colorsys"] = saved


def test_a_send_starts_without_requests_babel_or_the_translation_tools() -> None:
    """What ``mailer send`` imports to start (a fresh interpreter): not ``requests``
    (premailer's, for style sheets on the web it is never let fetch), Babel, langcodes or
    mailer.translate, which only some lists, advisories and commands need."""
    import subprocess
    import sys

    code = ("import sys, mailer.cli, mailer.render as r; r._premailer(); "
            "print(sorted(n for n in ('requests', 'babel', 'langcodes', 'mailer.translate',"
            " 'premailer') if type(sys.modules.get(n)).__name__ == 'module'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['premailer']"


def test_a_list_changed_while_it_is_read_is_refused_in_words(tmp_path: Path) -> None:
    """The rows are read from the file after its bytes were checked: bytes that no longer
    decode (the file saved again meanwhile) stop the reading with a ListError naming the
    file, not a traceback."""
    from mailer.errors import ListError
    from mailer.lists.table import open_table

    path = tmp_path / "parents.csv"
    path.write_text("Email,Name\n" + "".join(f"p{i}@example.com,Zoë {i}\n"
                                             for i in range(5000)), encoding="utf-8")
    stream = open_table(path)  # checked as UTF-8; the first block is read
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size - 100)
        fh.write(b"\xff\xfe")
    with pytest.raises(ListError) as info:
        list(stream.rows())
    assert info.value.path == path
    assert "changed" in info.value.message


# -- the language counts of a list whose readers all get English ------------------------------


@pytest.mark.parametrize("languages", [[""] * 3, ["", "en-GB", "en"], [], ["en-US"]])
def test_counts_of_an_all_english_list_are_those_of_the_full_pass(languages: list[str]) -> None:
    """A list whose every language is English or not stated is counted without a pass over
    its recipients, and says what the pass says."""
    from mailer.language_plan import LanguagePlan
    from mailer.lists.people import Recipient

    recipients = [Recipient(f"p{i}@example.com", f"p{i}@example.com", language=tag)
                  for i, tag in enumerate(languages)]
    plan = LanguagePlan(rendered={}, by_language={tag: "en" for tag in languages})
    assert plan.counts(recipients) == plan.counts(iter(recipients))  # a list; no list
    assert plan.counts(recipients)["languages"] == ({"en": len(languages)} if languages
                                                    else {})


def test_a_list_read_leaves_its_recipients_in_the_oldest_generation(tmp_path: Path) -> None:
    """Reading a list makes no pass of the cyclic collector over it: its recipients go to
    the oldest generation without one, and stay collectable (no object is left frozen)."""
    import gc

    from mailer.lists import read_list

    path = tmp_path / "list.csv"
    path.write_text("Email,Contact Forename\n" + "".join(f"p{i}@example.com,P{i}\n"
                                                       for i in range(3000)),
                    encoding="utf-8")
    passes: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            passes.append(info["generation"])

    assert gc.isenabled()
    gc.collect()
    gc.callbacks.append(seen)
    try:
        report = read_list(path)
    finally:
        gc.callbacks.remove(seen)
    assert passes == []
    assert gc.get_freeze_count() == 0
    last = report.recipients[-1]
    assert any(o is last for o in gc.get_objects(generation=2))
