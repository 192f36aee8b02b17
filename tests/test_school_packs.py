"""``mailer render SNIPPET --schools FILE``: a ready pack for every school of a local
authority's list, run as the officer runs it (a real CLI process, real files, the real
outbox of each school's workspace)."""

from __future__ import annotations

import email
import json
import re
import shutil
import zipfile
from email import policy
from pathlib import Path

import docx
import pytest
import yaml

from mailer.checks import block_rules
from mailer.checks.model import Inputs
from mailer.jobs import render_snippet
from mailer.packs import slug
from mailer.schools import DEFAULT_COLOUR, check_colour, map_school_columns, read_schools
from mailer.workspace import Workspace
from tests.conftest import REPO, run_mailer

SNIPPET = "online-safety-webcams"
AUTHORITY = "Exampleshire County Council"
TEAM = "Online Safety Team"
TEAM_EMAIL = "onlinesafety@exampleshire.example.gov.uk"

# As staff type it in Excel: "DSL" for the lead's name, the school's parts of the address
# in columns, a colour without '#', a website without https://, a blank line.
SCHOOLS_CSV = (
    "School Name,Website,Address Line 1,Town,Postcode,Logo URL,Brand Colour,Language,DSL,"
    "DSL Role,DSL Email,DSL Phone\r\n"
    "Oakfield Primary School,www.oakfield.example.sch.uk,1 Oak Road,Exampleton,ex1 1aa,,"
    "0b6e4f,en,Mrs Ann Oakley,Deputy Headteacher,a.oakley@oakfield.example.sch.uk,"
    "01632 960001\r\n"
    "\"St Mary's C of E Primary, Exampleton\",https://stmarys.example.sch.uk/,2 Church Lane,"
    "Exampleton,EX2 2BB,https://stmarys.example/logo.png,#FFCC00,,Mr Bob Marley-Smith,,"
    "b.marley@stmarys.example.sch.uk,\r\n"
    "\r\n"
    "Riverside Academy,https://riverside.example.sch.uk/,3 River Walk,Exampleton,EX3 3CC,,"
    "#7a1f5c,,Ms Chidi Okafor,Designated Safeguarding Lead,c.okafor@riverside.example.sch.uk,"
    "01632 960003\r\n"
)
SCHOOLS = {
    "oakfield-primary-school": ("Oakfield Primary School", "Mrs Ann Oakley"),
    "st-marys-c-of-e-primary-exampleton": ("St Mary's C of E Primary, Exampleton",
                                           "Mr Bob Marley-Smith"),
    "riverside-academy": ("Riverside Academy", "Ms Chidi Okafor"),
}


def make_authority(ws: Path) -> None:
    """Turn the demo workspace into a local authority's: its own name and team."""
    cfg = yaml.safe_load((ws / "mailer.yaml").read_text())
    cfg["organisation"] = {
        "name": AUTHORITY, "website": "https://www.exampleshire.example.gov.uk/",
        "postal_address": "County Hall, Exampleton, EX9 9ZZ", "brand_colour": "#1d4f91",
        "contact": {"name": TEAM, "role": "Education Safeguarding Service",
                    "email": TEAM_EMAIL, "phone": "03000 410000"},
    }
    cfg["sender"] = {"from": f"{AUTHORITY} <{TEAM_EMAIL}>"}
    (ws / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def authority_workspace(root: Path) -> Path:
    """The officer's workspace in ``root/authority``: the demo's files, the authority's
    organisation and team."""
    ws = root / "authority"
    ws.mkdir()
    shutil.copy(REPO / "mailer.yaml", ws / "mailer.yaml")
    for folder in ("snippets", "templates", "lists"):
        shutil.copytree(REPO / folder, ws / folder)
    make_authority(ws)
    return ws


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The officer's run, once for the module (the tests only read its output; the send
    test adds an outbox to each workspace)."""
    workspace = tmp_path_factory.mktemp("authority")
    shutil.copy(REPO / "mailer.yaml", workspace / "mailer.yaml")
    for folder in ("snippets", "templates", "lists"):
        shutil.copytree(REPO / folder, workspace / folder)
    make_authority(workspace)
    (workspace / "schools.csv").write_bytes(SCHOOLS_CSV.encode("utf-8-sig"))
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=workspace)
    return workspace / "packs", done


def findings(report: str) -> list[str]:
    """The rule ids and elements of a ``mailer check`` report (MIME boundaries vary)."""
    return sorted(re.sub(r'boundary="[^"]*"', "", m) for m in
                  re.findall(r"^\s+(?:ERROR|WARNING)\s+(\S+\s+.*)$", report, re.M))


def docx_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_three_schools_give_three_folders_naming_their_own_school_lead_and_the_team(packs):
    out, done = packs
    assert done.returncode == 0, done.stderr
    assert "3 school rows -> 3 packs written" in done.stdout
    assert "(1 blank line skipped)" in done.stdout
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(SCHOOLS)
    for folder, (name, lead) in SCHOOLS.items():
        others = [n for f, (n, _) in SCHOOLS.items() if f != folder]
        other_leads = [d for f, (_, d) in SCHOOLS.items() if f != folder]
        texts = {f: (out / folder / f).read_text(encoding="utf-8")
                 for f in ("email.html", "email.txt", "block.html")}
        texts["letter.docx"] = docx_text(out / folder / "letter.docx")
        for fname, text in texts.items():
            # The text part wraps at 78 characters: compare with whitespace squashed.
            plain = " ".join(text.replace("&#39;", "'").replace("&#x27;", "'").split())
            assert name in plain, (folder, fname)
            assert lead in plain, (folder, fname)
            assert TEAM in plain and AUTHORITY in plain, (folder, fname)
            # The school's own lead first, the authority's team after, for further advice.
            assert plain.index(lead) < plain.index(TEAM), (folder, fname)
            assert all(n not in plain for n in others), (folder, fname)
            assert all(d not in plain for d in other_leads), (folder, fname)
        text = texts["email.txt"]
        assert "For further advice, you can also contact:" in text
        assert TEAM_EMAIL in text


def test_each_block_passes_the_block_checks_and_matches_its_workspace(packs):
    out, done = packs
    assert done.returncode == 0, done.stderr
    for folder in SCHOOLS:
        block = (out / folder / "block.html").read_text(encoding="utf-8")
        work = Workspace(out / folder / "workspace")
        rendered = render_snippet(work, SNIPPET)
        findings = [f for rule in block_rules.RULES
                    for f in rule(Inputs(block=block, snippet=rendered.snippet,
                                         config=work.config))]
        assert findings == [], (folder, findings)
        # The pack's block is what the school's own workspace renders.
        assert rendered.block == block
        html, _ = rendered.personalise(rendered.preview_fields())
        assert html == (out / folder / "email.html").read_text(encoding="utf-8")


def test_each_workspace_checks_clean_and_sends_to_its_outbox(packs):
    out, done = packs
    assert done.returncode == 0, done.stderr
    parents = (REPO / "lists" / "example-parents.csv").read_bytes()
    # The pack adds no finding of its own: the school's check finds what the officer's
    # own workspace finds about the advisory (content warnings, if any), nothing more.
    officer = run_mailer("check", SNIPPET, cwd=out.parent)
    assert officer.returncode == 0, officer.stdout
    for folder, (name, lead) in SCHOOLS.items():
        work = out / folder / "workspace"
        assert not (work / "outbox").exists()
        checked = run_mailer("check", SNIPPET, cwd=work)
        assert checked.returncode == 0, checked.stdout
        assert findings(checked.stdout) == findings(officer.stdout), checked.stdout
        assert "ERROR" not in checked.stdout
        (work / "lists" / "parents.csv").write_bytes(parents)
        sent = run_mailer("send", SNIPPET, "--list", "lists/parents.csv", cwd=work)
        assert sent.returncode == 0, sent.stderr
        assert "written to the outbox folder" in sent.stdout
        messages = sorted((work / "outbox" / "new").iterdir())
        assert len(messages) > 5
        msg = email.message_from_bytes(messages[0].read_bytes(), policy=policy.default)
        assert msg["From"].addresses[0].display_name == name
        body = " ".join(msg.get_body(("plain",)).get_content().split())
        assert lead in body and TEAM in body and body.index(lead) < body.index(TEAM)


def test_a_colour_failing_contrast_falls_back_with_a_warning_naming_the_school(packs):
    out, done = packs
    assert ("Warning: line 3 (St Mary's C of E Primary, Exampleton): the brand colour "
            "#ffcc00 has contrast 1.51:1") in done.stdout
    config = yaml.safe_load(
        (out / "st-marys-c-of-e-primary-exampleton" / "workspace" / "mailer.yaml").read_text())
    assert config["organisation"]["brand_colour"] == DEFAULT_COLOUR
    oak = yaml.safe_load((out / "oakfield-primary-school" / "workspace" / "mailer.yaml")
                         .read_text())
    assert oak["organisation"]["brand_colour"] == "#0b6e4f"  # written without '#'
    assert oak["organisation"]["website"] == "https://www.oakfield.example.sch.uk"
    assert oak["organisation"]["postal_address"] == "1 Oak Road, Exampleton, EX1 1AA"
    assert oak["organisation"]["further_advice"]["organisation"] == AUTHORITY
    html = (out / "st-marys-c-of-e-primary-exampleton" / "email.html").read_text()
    assert "#ffcc00" not in html.lower() and DEFAULT_COLOUR in html


def test_one_zip_per_school_holds_its_folder(packs):
    out, _ = packs
    for folder in SCHOOLS:
        with zipfile.ZipFile(out / f"{folder}.zip") as zf:
            names = set(zf.namelist())
        for f in ("email.html", "email.txt", "block.html", "letter.docx", "README.txt",
                  "workspace/mailer.yaml", f"workspace/snippets/{SNIPPET}.yaml",
                  "workspace/lists/suppressed.txt", "workspace/templates/email.html"):
            assert f"{folder}/{f}" in names, f


def test_index_lists_every_school_with_working_links_and_its_block(packs):
    out, _ = packs
    page = (out / "index.html").read_text(encoding="utf-8")
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(page)
    rows = tree.xpath("//tbody/tr")
    assert len(rows) == 3
    for row, (folder, (name, lead)) in zip(rows, SCHOOLS.items(), strict=True):
        assert name in row.text_content() and lead in row.text_content()
        hrefs = [a.get("href") for a in row.xpath(".//a[not(ancestor::template)]")]
        assert f"{folder}/letter.docx" in hrefs and f"{folder}.zip" in hrefs
        for href in hrefs:
            assert (out / href).is_file(), href
        button = row.xpath(".//button")[0]
        assert button.text == "Copy block"
        template = row.xpath(f".//template[@id='{button.get('data-block')}']")[0]
        block = (out / folder / "block.html").read_text(encoding="utf-8")
        assert name in lxml_html.tostring(template, encoding="unicode").replace("&#39;", "'")
        assert lead in block


def test_rows_that_cannot_make_a_pack_are_listed_with_their_lines(workspace: Path):
    make_authority(workspace)
    (workspace / "schools.csv").write_text(
        "School,DSL,DSL Email,Colour\n"
        "Good School,Mrs A Good,a@good.example.sch.uk,#123456\n"
        ",Mr No School,b@x.example.sch.uk,\n"
        "No Lead School,,c@x.example.sch.uk,\n"
        "Bad Email School,Ms Bad,not-an-address,\n"
        "No Email School,Ms None,,\n"
        "Good School,Mrs A Good,a@good.example.sch.uk,#123456\n"
        "Odd Colour School,Mr Odd,o@odd.example.sch.uk,blue\n", encoding="utf-8")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=workspace)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "7 school rows -> 2 packs written" in out
    assert "5 rows not done:" in out
    assert "line 3: no school name in 'School'" in out
    assert "line 4 (No Lead School): no designated safeguarding lead in 'DSL'" in out
    assert "line 5 (Bad Email School): the safeguarding lead's email 'not-an-address'" in out
    assert "line 6 (No Email School): there is no email address to send from" in out
    assert "line 7 (Good School): the same school and address as line 2" in out
    assert ("Warning: line 8 (Odd Colour School): the brand colour 'blue' is not a colour"
            in out)
    assert sorted(p.name for p in (workspace / "packs").iterdir() if p.is_dir()) == [
        "good-school", "odd-colour-school"]


def test_a_yaml_list_of_schools_works_too(workspace: Path):
    make_authority(workspace)
    (workspace / "schools.yaml").write_text(
        "- name: Hill Top Infants\n  dsl: Mr Hal Hill\n  dsl email: h.hill@hilltop.example.sch.uk\n"
        "  postal address: 9 Hill Road, Exampleton, EX8 8HH\n", encoding="utf-8")
    done = run_mailer("render", SNIPPET, "--schools", "schools.yaml", "--out", "packs",
                      cwd=workspace)
    assert done.returncode == 0, done.stderr + done.stdout
    text = (workspace / "packs" / "hill-top-infants" / "email.txt").read_text()
    assert "Mr Hal Hill, Designated Safeguarding Lead, Hill Top Infants" in text
    assert "9 Hill Road, Exampleton, EX8 8HH" in text


def test_no_lead_column_is_bad_input_naming_the_columns(workspace: Path):
    make_authority(workspace)
    (workspace / "schools.csv").write_text("School,Head Teacher\nA School,Mr A\n")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", cwd=workspace)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert ("schools.csv, line 1: no column for the safeguarding lead's name was found "
            "(for example 'DSL'). Columns in the file: 'School', 'Head Teacher'.") in done.stderr
    assert not (workspace / "build").exists()


def test_column_aliases_and_colours():
    cols = map_school_columns(["Establishment Name", "Designated Safeguarding Lead",
                               "DSL E-mail", "Safeguarding Telephone", "Office Email",
                               "Town/City", "Post Code", "School Colour", "Crest"])
    assert cols == {"name": 0, "dsl_name": 1, "dsl_email": 2, "dsl_phone": 3, "email": 4,
                    "town": 5, "postcode": 6, "brand_colour": 7, "logo_url": 8}
    assert check_colour("#036") == ("#003366", "")
    assert check_colour("") == (DEFAULT_COLOUR, "")
    colour, problem = check_colour("#777777")  # 4.48:1 against white: just too light
    assert colour == DEFAULT_COLOUR and "4.48:1" in problem
    assert check_colour("#767676") == ("#767676", "")  # 4.54:1
    assert slug("Ysgol Gymraeg Bro Morgannwg") == "ysgol-gymraeg-bro-morgannwg"
    assert slug("École Saint-Exupéry") == "ecole-saint-exupery"
    assert slug("St Mary’s") == "st-marys"
    # Windows cannot extract a folder named for a device.
    assert [slug(n) for n in ("CON", "Nul", "com1", "LPT9", "Conway")] == [
        "con-school", "nul-school", "com1-school", "lpt9-school", "conway"]


def test_read_schools_accounts_for_every_row(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_text("School,DSL,DSL Email\nA,Mr A,a@a.example.sch.uk\n,Mr X,\nB,,b@b.example\n")
    found = read_schools(path)
    assert found.rows == len(found.schools) + len(found.skipped) == 3
    assert [s.line for s in found.schools] == [2]
    assert [r.line for r in found.skipped] == [3, 4]


def test_the_copy_button_puts_that_schools_block_on_the_clipboard(packs, browser):
    """The officer's index in real Chromium, served on 127.0.0.1: each school's button
    copies its own block as formatted text."""
    import functools
    import http.server
    import threading

    out, _ = packs
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    context = browser.new_context()
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = context.new_page()
        page.goto(f"{url}/index.html")
        for folder, (name, lead) in reversed(list(SCHOOLS.items())):
            page.get_by_role("button", name=f"Copy block: {name}").click()
            page.locator(f'button[aria-label="Copy block: {name}"] + .copied').filter(
                has_text="Copied").wait_for()
            clipboard = page.evaluate("""async () => {
                const out = {};
                for (const item of await navigator.clipboard.read())
                    for (const type of item.types)
                        out[type] = await (await item.getType(type)).text();
                return out;
            }""")
            assert set(clipboard) >= {"text/html", "text/plain"}
            block = (out / folder / "block.html").read_text(encoding="utf-8")
            copied = clipboard["text/html"]
            # Chromium re-serialises HTML on the clipboard: compare what matters.
            assert lead in copied and f'href="mailto:{TEAM_EMAIL}"' in copied
            assert copied.count("style=") >= block.count("style=") > 20
            assert lead in clipboard["text/plain"] and TEAM in clipboard["text/plain"]
            others = [n for f, (n, _) in SCHOOLS.items() if f != folder]
            assert all(n not in clipboard["text/plain"] for n in others)
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_a_second_run_removes_only_the_packs_mailer_wrote_for_schools_gone(tmp_path: Path):
    ws = authority_workspace(tmp_path)
    (ws / "schools.csv").write_bytes(SCHOOLS_CSV.encode("utf-8-sig"))
    first = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                       cwd=ws)
    assert first.returncode == 0, first.stderr
    out = ws / "packs"
    oak, mary, river = ("oakfield-primary-school", "st-marys-c-of-e-primary-exampleton",
                        "riverside-academy")
    assert (out / mary / ".mailer-pack.json").is_file()
    with zipfile.ZipFile(out / f"{mary}.zip") as zf:  # the marker is not for the school
        assert not any(n.endswith(".mailer-pack.json") for n in zf.namelist())
    # The officer's own things beside the packs, and a test send in Riverside's workspace.
    (out / "my-notes").mkdir()
    (out / "my-notes" / "todo.txt").write_text("call the schools")
    (out / "other.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    sent = out / river / "workspace" / "outbox" / "new" / "1.eml"
    sent.parent.mkdir(parents=True)
    sent.write_text("Subject: test\n\nhello\n")
    # A tampered marker naming a file outside the pack: never deleted.
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    marker = out / mary / ".mailer-pack.json"
    data = json.loads(marker.read_text())
    data["files"] += ["../../../precious.txt", str(precious)]
    marker.write_text(json.dumps(data))
    # Only Oakfield is left in the file.
    (ws / "schools.csv").write_text("\r\n".join(SCHOOLS_CSV.split("\r\n")[:2]) + "\r\n",
                                    encoding="utf-8")
    second = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                        cwd=ws)
    assert second.returncode == 0, second.stderr
    said = " ".join(second.stdout.split())
    assert ("Removed 1 pack of schools no longer in schools.csv (only the files mailer "
            f"wrote): {mary}.") in said
    assert not (out / mary).exists() and not (out / f"{mary}.zip").exists()
    assert precious.read_text() == "keep me"
    # Riverside's pack is emptied of mailer's files but keeps the test send, with a warning.
    assert sent.is_file() and not (out / river / "letter.docx").exists()
    assert not (out / f"{river}.zip").exists()
    assert (f"Warning: packs/{river} is the pack of a school no longer in the file, but it "
            "holds files mailer did not write (workspace/outbox/new/1.eml), so they were "
            "kept") in said
    assert (out / "my-notes" / "todo.txt").is_file() and (out / "other.zip").is_file()
    assert "Warning: packs/my-notes is not a pack mailer wrote, so it was left alone." \
        in said
    assert "Warning: packs/other.zip is not a zip mailer wrote" in said
    assert (out / oak / "letter.docx").is_file() and (out / f"{oak}.zip").is_file()
    index = (out / "index.html").read_text()
    assert oak in index and mary not in index and river not in index


def test_a_folder_or_zip_of_the_same_name_not_written_by_mailer_is_never_overwritten(
        tmp_path: Path):
    ws = authority_workspace(tmp_path)
    (ws / "schools.csv").write_text("School,DSL,DSL Email\nOak,Ann Oak,a@oak.example.org\n",
                                    encoding="utf-8")
    out = ws / "packs"
    (out / "oak").mkdir(parents=True)
    (out / "oak" / "email.html").write_text("my own page")
    (out / "oak.zip").write_text("my own zip")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=ws)
    assert done.returncode == 0, done.stderr
    assert (out / "oak" / "email.html").read_text() == "my own page"
    assert (out / "oak.zip").read_text() == "my own zip"
    assert (out / "oak-2" / "letter.docx").is_file() and (out / "oak-2.zip").is_file()
    # Run again: the pack mailer wrote keeps its name, the officer's things stay.
    again = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                       cwd=ws)
    assert again.returncode == 0, again.stderr
    assert not (out / "oak-3").exists()
    assert (out / "oak" / "email.html").read_text() == "my own page"


def test_an_out_folder_with_someone_elses_index_or_a_file_is_refused(tmp_path: Path):
    ws = authority_workspace(tmp_path)
    (ws / "schools.csv").write_text("School,DSL,DSL Email\nOak,Ann Oak,a@oak.example.org\n",
                                    encoding="utf-8")
    (ws / "site").mkdir()
    (ws / "site" / "index.html").write_text("the officer's own page")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "site",
                      cwd=ws)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert ("site: already has an index.html that mailer did not write, so nothing was "
            "written") in " ".join(done.stderr.split())
    assert sorted(p.name for p in (ws / "site").iterdir()) == ["index.html"]
    assert (ws / "site" / "index.html").read_text() == "the officer's own page"
    (ws / "notes.txt").write_text("keep")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "notes.txt",
                      cwd=ws)
    assert done.returncode == 2
    assert "notes.txt: is a file, not a folder" in " ".join(done.stderr.split())
    assert (ws / "notes.txt").read_text() == "keep"


def test_a_school_twice_in_the_file_is_a_warning_naming_both_lines(tmp_path: Path):
    ws = authority_workspace(tmp_path)
    (ws / "schools.csv").write_text(
        "School,Town,DSL,DSL Email\nOak School,Exampleton,Ann Oak,a@oak.example.org\n"
        "Elm School,Exampleton,Bo Elm,b@elm.example.org\n"
        "Oak School,Porthaven,Cy Oak,c@oak.example.org\n",
        encoding="utf-8")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=ws)
    assert done.returncode == 0, done.stderr
    assert ("Warning: line 4 (Oak School): line 2 has a school of the same name, so this "
            "pack is in oak-school-2/; if the school is in the file twice, remove one row."
            ) in " ".join(done.stdout.split())
    assert "Cy Oak" in (ws / "packs" / "oak-school-2" / "email.html").read_text()


def test_a_schools_language_may_be_written_as_its_name(tmp_path: Path):
    ws = authority_workspace(tmp_path)
    (ws / "schools.csv").write_text(
        "School,DSL,DSL Email,Language\nOak School,Ann Oak,a@oak.example.org,Polish\n"
        "Elm School,Bo Elm,b@elm.example.org,../../etc\n", encoding="utf-8")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=ws)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "(Oak School)" not in said
    assert ("Warning: line 3 (Elm School): the language '../../etc' is not a language "
            "mailer knows") in said
    config = yaml.safe_load((ws / "packs" / "oak-school" / "workspace" / "mailer.yaml")
                            .read_text())
    assert config["organisation"]["language"].startswith("pl")
    assert 'lang="pl' in (ws / "packs" / "oak-school" / "email.html").read_text()
