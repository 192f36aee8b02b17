"""A ready pack for every school: ``mailer render SNIPPET --schools FILE [--out DIR]``.

For each school of the file (:mod:`mailer.schools`) a folder ``OUT/<school>/`` with

- ``email.html``, ``email.txt``, ``block.html``: the advisory as in ``mailer render``, with
  the school's name, address, logo and colour, naming the school's designated
  safeguarding lead first and then the authority's team for further advice (the
  officer's own ``organisation`` and ``organisation.contact`` in ``mailer.yaml``);
- ``letter.docx``: the Word letter to adapt and print (:mod:`mailer.docx_letter`);
- ``workspace/``: a ``mailer`` workspace the school can send from as it is (its own
  ``mailer.yaml``, the snippet, the officer's templates, ``lists/``); with no SMTP server
  set up it sends to its ``outbox/`` folder;
- ``README.txt``: what the folder holds and how to send;

plus ``OUT/<school>.zip`` holding that folder, and ``OUT/index.html`` for the officer: every
school with links to its files and a button that copies its newsletter block.

Every pack folder holds ``.mailer-pack.json``, listing the files mailer wrote there, and
``OUT/.mailer-packs.json`` lists the folders and zips of the last run. Run again into the
same folder, mailer removes the packs of schools no longer in the file, but only the files
it wrote: a folder without the marker (one the officer made) is left alone with a warning,
and so is a pack holding files mailer did not write (such as a test send's ``outbox/``).

The school's ``mailer.yaml`` is written first and the pack is rendered from it as read
back by :func:`mailer.config.load_config`, so the pack's email is exactly what the
workspace sends.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import multiprocessing
import os
import shutil
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formataddr
from pathlib import Path
from typing import Any

from mailer.config import CONFIG_NAME, Config, load_config
from mailer.docx_letter import write_letter
from mailer.errors import LogoError, MailerError
from mailer.jobs import write_render
from mailer.logos import Logo, fetch_logo
from mailer.render import render
from mailer.scaffold import SUPPRESSED
from mailer.schools import FIELD_WORDS, School, SchoolsFile, read_schools
from mailer.snippets import Snippet, find_snippet, list_translations, load_snippet
from mailer.workspace import Workspace

PACK_FILES = ("email.html", "email.txt", "block.html", "letter.docx")


def load_snippet_for(ws: Workspace, name: str, language: str = "") -> tuple[Snippet, str]:
    """The snippet ``name`` in ``language``: its translation ``NAME.LANG.yaml`` when the
    workspace has one, else the snippet itself. Returns ``(snippet, problem)``, where
    ``problem`` says when a language was asked for and no translation exists.

    Raises:
        SnippetError: for a missing or invalid snippet.
    """
    base = load_snippet(find_snippet(name, ws.snippet_dirs))
    if not language or language.lower() == base.language.lower():
        return base, ""
    for candidate in (f"{base.id}.{language}", f"{base.id}.{language.split('-')[0]}"):
        try:
            return load_snippet(find_snippet(candidate, ws.snippet_dirs)), ""
        except MailerError:
            continue
    return base, (f"there is no translation of {base.id} into '{language}' "
                  f"(snippets/{base.id}.{language}.yaml), so the letter and email are in "
                  f"'{base.language}'")


def letter_logo(source: str, root: Path) -> tuple[Logo | None, str]:
    """The letterhead logo at ``source`` (see :func:`mailer.logos.fetch_logo`; a file is
    taken inside ``root``), or ``None`` and a warning when it cannot be had: the letter is
    then written without it. ``(None, "")`` when there is no logo."""
    if not source:
        return None, ""
    try:
        return fetch_logo(source, root), ""
    except LogoError as exc:
        return None, f"the letter has no logo: {exc.message.rstrip('.')}"


def write_docx(ws: Workspace, name: str, out_dir: Path, *, date: dt.date | None = None,
               language: str = "") -> tuple[Path, list[str]]:
    """``mailer render SNIPPET --format docx [--lang LANG]``: write ``out_dir/letter.docx``
    for the workspace's organisation, in ``language`` when the snippet has a translation
    into it (the letter's own words follow). Returns its path and warnings (a logo that
    could not be fetched, a language with no translation).

    Raises:
        MailerError: for a missing snippet, a configuration mistake, an unwritable file,
            or a ``language`` (a tag or a name) the snippet has no translation into (as
            ``mailer render --lang`` for the email: naming those there are).
    """
    if language:
        language = _translation_tag(ws, name, language)
    snippet, problem = load_snippet_for(ws, name, language)
    org = ws.config.organisation
    logo, trouble = letter_logo(org.logo_url, ws.root)
    trouble = trouble and f"{org.name}: {trouble}"
    path = write_letter(out_dir / "letter.docx", snippet, ws.config, date=date,
                        template_dirs=ws.template_dirs, logo=logo)
    return path, [w for w in (problem, trouble) if w]


def _translation_tag(ws: Workspace, name: str, language: str) -> str:
    """The tag of the translation of ``name`` that ``language`` (``ar``, ``Polish``) asks
    for; ``""`` for English. Raises MailerError when there is none."""
    from mailer.jobs import translation_file

    return translation_file(ws, name, language, ", so no letter was written")[0]


def slug(name: str) -> str:
    """A folder name for a school: ASCII letters and digits joined by ``-`` (``St Mary's
    C of E Primary`` -> ``st-marys-c-of-e-primary``), at most 60 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = "".join(ch.lower() if ch.isalnum() else (" " if ch not in "'’" else "")
                    for ch in ascii_name).split()
    out = "-".join(words)[:60].strip("-")
    if out in _WINDOWS_RESERVED:
        out = f"{out}-school"  # Windows cannot open a folder called CON, PRN, COM1...
    return out or "school"


#: Names Windows reserves for devices: a folder so named in a school's zip cannot be
#: extracted there (Microsoft, "Naming Files, Paths, and Namespaces").
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                               *(f"lpt{n}" for n in range(10))})


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def school_language(school: School, authority: Config) -> str:
    """The school's ``organisation.language``: its own from the schools file, completed
    with the authority's region when they name the same language (``en`` with ``en-GB``
    gives ``en-GB``), else the authority's."""
    own, theirs = school.language, authority.organisation.language
    if not own or ("-" not in own and own.lower() == theirs.split("-")[0].lower()):
        return theirs
    return own


def school_config_text(school: School, authority: Config, snippet_id: str) -> str:
    """The school's ``mailer.yaml``: its organisation and lead, the authority's team as
    ``further_advice``, sending from the office (or lead's) address, no SMTP (outbox)."""
    org = authority.organisation
    lines = [
        f"# mailer settings for {school.name}, prepared by {org.name} with the advisory",
        f"# '{snippet_id}'. Check the details, then see README.txt one folder up to send.",
        "organisation:",
        f"  name: {_q(school.name)}",
    ]
    if school.website:
        lines.append(f"  website: {_q(school.website)}")
    if school.postal_address:
        lines.append(f"  postal_address: {_q(school.postal_address)}")
    if school.logo_url:
        lines += [f"  logo_url: {_q(school.logo_url)}", f"  logo_alt: {_q(school.name)}"]
    lines += [
        f"  brand_colour: {_q(school.brand_colour)}",
        f"  language: {_q(school_language(school, authority))}",
        "  contact:",
        f"    name: {_q(school.dsl_name)}",
        f"    role: {_q(school.dsl_role)}",
    ]
    if school.dsl_email:
        lines.append(f"    email: {_q(school.dsl_email)}")
    if school.dsl_phone:
        lines.append(f"    phone: {_q(school.dsl_phone)}")
    team = org.contact
    if team is not None:
        lines += ["  further_advice:", f"    organisation: {_q(org.name)}",
                  f"    name: {_q(team.name)}"]
        for key in ("role", "email", "phone"):
            if getattr(team, key):
                lines.append(f"    {key}: {_q(getattr(team, key))}")
        if org.website:
            lines.append(f"    website: {_q(org.website)}")
    lines += [
        "",
        "sender:",
        f"  from: {_q(formataddr((school.name, school.sender)))}",
        "",
        "# While there is no smtp host, messages are written into the outbox/ folder and",
        "# nothing is sent. To send through your school's Microsoft 365 account, add:",
        "# smtp:",
        "#   provider: microsoft365",
        f"#   username: {school.sender}",
        "#   password_env: MAILER_SMTP_PASSWORD   # the password is never written here",
        "",
    ]
    return "\n".join(lines)


def _readme(school: School, authority: Config, snippet: Snippet, folder: str) -> str:
    return f"""\
{snippet.title}
A pack for {school.name}, prepared by {authority.organisation.name}.

email.html   the email as parents will see it (open it in your web browser)
email.txt    the plain-text version
block.html   the newsletter block: open it in a browser, select all, copy and paste it into
             your newsletter (Mailchimp, ParentMail, Arbor, Outlook, Word, Google Docs)
letter.docx  the letter to adapt and print, in Word or LibreOffice
workspace/   everything needed to email it to your parents and carers with mailer

The email names {school.dsl_name} ({school.dsl_role}) as the person to contact, and
{authority.organisation.name} for further advice. Check these details in
workspace/mailer.yaml before you send.

To send it to every parent/carer:
1. Install mailer (pip install mailer) and open a command window in {folder}/workspace.
2. Put your parent list, exported from your records system, in the lists/ folder.
3. mailer lists check lists/parents.csv        (says what happens to every row)
4. mailer send {snippet.id} --list lists/parents.csv
Until you add your email account (smtp:) to mailer.yaml, messages are only written into
the outbox/ folder, so you can look at them first. Nothing is sent.
"""


def _copy_tree(src: Path, dest: Path) -> list[Path]:
    """Copy ``src`` into ``dest`` (hidden files and Python caches left out); returns the
    files written."""
    written = []
    if src.is_dir():
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(src)
            if (path.is_file() and not path.is_symlink() and "__pycache__" not in rel.parts
                    and not any(part.startswith(".") for part in rel.parts)
                    and path.suffix != ".pyc"):
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                written.append(target)
    return written


#: In each pack folder: the files mailer wrote there (so a stale pack can be removed
#: without touching anything else).
PACK_MARKER = ".mailer-pack.json"
#: In the output folder: the pack folders and zips of the last run.
RUN_MANIFEST = ".mailer-packs.json"


@dataclass
class PackResult:
    """What :func:`render_packs` did.

    Attributes:
        out_dir: the folder holding the packs and ``index.html``.
        written: ``(school, folder name)`` per pack, in file order.
        schools: what :func:`mailer.schools.read_schools` read (skipped rows, warnings).
        warnings: ``(line, school, message)``: the file's and the rendering's.
        seconds: wall time of the whole run.
    """

    out_dir: Path
    schools: SchoolsFile
    written: list[tuple[School, str]] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        """Rows of the file that gave no pack."""
        return len(self.schools.skipped)

    @property
    def index(self) -> Path:
        """``OUT/index.html``."""
        return self.out_dir / "index.html"

    def summary_text(self) -> str:
        """Every row accounted for: packs written, rows skipped (line and reason), the
        warnings naming each school, and where the index is."""
        s = self.schools
        lines = [f"{s.path.name}: {s.rows} school row{'s' * (s.rows != 1)} -> "
                 f"{len(self.written)} pack{'s' * (len(self.written) != 1)} written "
                 f"in {self.out_dir}"]
        if s.skipped:
            lines.append(f"  {len(s.skipped)} row{'s' * (len(s.skipped) != 1)} not done:")
            for row in s.skipped:
                who = f" ({row.name})" if row.name else ""
                lines.append(f"    line {row.line}{who}: {row.reason}")
        if s.blank_lines:
            lines.append(f"  ({s.blank_lines} blank line{'s' * (s.blank_lines != 1)} "
                         "skipped)")
        lines.append("Columns used: " + "; ".join(
            f"{FIELD_WORDS[k]} '{v}'" for k, v in s.columns.items()) + ".")
        if s.unused:
            lines.append("Columns not used: " + ", ".join(f"'{c}'" for c in s.unused) + ".")
        for line, school, message in self.warnings:
            lines.append(f"Warning: line {line} ({school}): {message}.")
        lines.extend(f"Note: {n}" for n in self.notes)
        if self.removed:
            lines.append(f"Removed {len(self.removed)} pack{'s' * (len(self.removed) != 1)} "
                         f"of schools no longer in {s.path.name} (only the files mailer "
                         f"wrote): {', '.join(self.removed)}.")
        lines.extend(f"Warning: {w}" for w in self.left)
        if self.written:
            lines.append(f"Open {self.index} to see every school's pack and copy its block.")
        if s.skipped:
            lines.append("Fix the rows not done in the schools file and run the same "
                         "command again.")
        return "\n".join(lines)


@dataclass
class _Job:
    """What every pack of one run shares (read once, not once per school)."""

    authority: Config
    snippet_path: Path
    snippets: dict[str, tuple[Snippet, str]]  # school language -> (snippet, problem)
    template_dirs: list[Path]
    templates: Path | None
    date: dt.date
    out_dir: Path
    schools: list[tuple[School, str]]  # (school, folder name)
    root: Path  # the officer's workspace: a logo file must be inside it


def _pack(job: _Job, index: int) -> list[str]:
    """Write school ``index``'s folder and zip; returns warnings about it.

    The school's workspace gets a copy of the officer's templates, so rendering with the
    officer's template folders gives exactly what the school's workspace renders, and the
    compiled templates are reused from one school to the next."""
    school, name = job.schools[index]
    folder = job.out_dir / name
    snippet, problem = job.snippets[school.language]
    warnings = [problem] if problem else []
    work = folder / "workspace"
    (work / "snippets").mkdir(parents=True, exist_ok=True)
    (work / "lists").mkdir(exist_ok=True)
    written: list[Path] = []

    def copy(src: Path, dest: Path) -> None:
        shutil.copyfile(src, dest)
        written.append(dest)

    copy(job.snippet_path, work / "snippets" / job.snippet_path.name)
    # Every translation goes with the advisory, so the school's parents get their language.
    base_id = job.snippet_path.name.split(".")[0]
    for path in list_translations(base_id, [job.snippet_path.parent]).values():
        copy(path, work / "snippets" / path.name)
    if snippet.path != job.snippet_path:
        copy(snippet.path, work / "snippets" / snippet.path.name)
    if job.templates is not None:
        written += _copy_tree(job.templates, work / "templates")
    suppressed = work / "lists" / "suppressed.txt"
    if not suppressed.exists():
        suppressed.write_text(SUPPRESSED, encoding="utf-8")
        written.append(suppressed)
    elif _recorded(folder, suppressed):
        written.append(suppressed)  # ours from an earlier run (the school may add to it)
    config_path = work / CONFIG_NAME
    config_path.write_text(school_config_text(school, job.authority, snippet.id),
                           encoding="utf-8")
    written.append(config_path)
    config = load_config(config_path)
    rendered = render(snippet, config, job.template_dirs)
    write_render(rendered, folder, ["html", "text", "block"])
    logo, trouble = letter_logo(school.logo_path or school.logo_url, job.root)
    if trouble:
        warnings.append(trouble)
    write_letter(folder / "letter.docx", snippet, config, date=job.date,
                 template_dirs=job.template_dirs, logo=logo)
    (folder / "README.txt").write_text(_readme(school, job.authority, snippet, folder.name),
                                       encoding="utf-8")
    written += [folder / f for f in (*PACK_FILES, "README.txt")]
    _write_marker(folder, school, written)
    _zip(folder)
    return warnings


def _not_ours(out_dir: Path, name: str) -> bool:
    """True when ``OUT/name`` or ``OUT/name.zip`` exists but is not a pack mailer wrote
    (no marker in the folder): the school's pack then takes another name, so nothing of
    someone else's is overwritten."""
    folder, archive = out_dir / name, out_dir / f"{name}.zip"
    if not (folder.exists() or archive.exists() or folder.is_symlink()):
        return False
    return folder.is_symlink() or not (folder / PACK_MARKER).is_file()


def _recorded(folder: Path, path: Path) -> bool:
    """True when ``folder``'s marker lists ``path`` as written by mailer."""
    return path.relative_to(folder).as_posix() in _marker_files(folder)


def _marker_files(folder: Path) -> set[str]:
    """The files ``folder``'s marker says mailer wrote (relative POSIX paths); empty when
    there is no readable marker."""
    try:
        data = json.loads((folder / PACK_MARKER).read_text(encoding="utf-8"))
        return {str(f) for f in data.get("files", []) if isinstance(f, str)}
    except (OSError, ValueError, AttributeError):
        return set()


def _write_marker(folder: Path, school: School, written: list[Path]) -> None:
    files = sorted({p.relative_to(folder).as_posix() for p in written}
                   | _marker_files(folder) & {p.relative_to(folder).as_posix()
                                               for p in folder.rglob("*") if p.is_file()})
    (folder / PACK_MARKER).write_text(json.dumps({
        "written_by": "mailer render --schools", "school": school.name, "files": files,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def remove_stale(out_dir: Path, keep: set[str]) -> tuple[list[str], list[str]]:
    """Remove the packs in ``out_dir`` that are not in ``keep`` (folder names): in a folder
    with mailer's marker, the files the marker lists (never a symbolic link, never a path
    leading out of the folder), then the folders left empty, then its zip when the last
    run's manifest lists it. Returns ``(removed, warnings)``: the folder names removed
    whole, and sentences about what was left alone (a folder without the marker, a pack
    holding other files, a zip mailer did not write)."""
    removed: list[str] = []
    left: list[str] = []
    try:
        manifest = json.loads((out_dir / RUN_MANIFEST).read_text(encoding="utf-8"))
        zips = {str(z) for z in manifest.get("zips", []) if isinstance(z, str)}
    except (OSError, ValueError, AttributeError):
        zips = set()
    for entry in sorted(out_dir.iterdir()) if out_dir.is_dir() else []:
        name = entry.name
        if name.startswith(".") or name == "index.html":
            continue
        if entry.is_dir() and not entry.is_symlink() and name not in keep:
            if not (entry / PACK_MARKER).is_file():
                left.append(f"{entry} is not a pack mailer wrote, so it was left alone.")
                continue
            rest = _remove_pack(entry)
            if rest:
                shown = ", ".join(rest[:3]) + (" ..." if len(rest) > 3 else "")
                left.append(f"{entry} is the pack of a school no longer in the file, but it "
                            f"holds files mailer did not write ({shown}), so they were "
                            "kept; delete the folder yourself if it is not needed.")
            else:
                removed.append(name)
            stale_zip = out_dir / f"{name}.zip"
            if stale_zip.name in zips and stale_zip.is_file() and not stale_zip.is_symlink():
                stale_zip.unlink()
        elif entry.suffix == ".zip" and entry.stem not in keep and entry.is_file():
            if name in zips and not entry.is_symlink():
                entry.unlink()
            else:
                left.append(f"{entry} is not a zip mailer wrote, so it was left alone.")
    return removed, left


def _remove_pack(folder: Path) -> list[str]:
    """Delete the files ``folder``'s marker lists, then the marker and the folders left
    empty; returns the files that remain (relative paths), ``[]`` when the folder is
    gone."""
    base = folder.resolve()
    for rel in sorted(_marker_files(folder)):
        path = folder / rel
        if (Path(rel).is_absolute() or ".." in Path(rel).parts or path.is_symlink()
                or not path.is_file() or not path.resolve().is_relative_to(base)):
            continue
        path.unlink()
    (folder / PACK_MARKER).unlink()
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()),
                      key=lambda p: len(p.parts), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    rest = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() or p.is_symlink())
    if not rest and not any(folder.iterdir()):
        folder.rmdir()
    return rest


#: The job of the current run, for worker processes (inherited when they are forked).
_JOB: _Job | None = None


def _pack_in_worker(index: int) -> list[str]:
    assert _JOB is not None
    return _pack(_JOB, index)


def _zip(folder: Path) -> Path:
    target = folder.with_suffix(".zip")
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != PACK_MARKER:
                zf.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    tmp.replace(target)
    return target


def render_packs(ws: Workspace, snippet_name: str, schools_path: Path, out: Path | None = None,
                 *, date: dt.date | None = None, progress: Callable[[int], Any] | None = None,
                 workers: int | None = None) -> PackResult:
    """Write a pack per school of ``schools_path`` into ``out`` (default
    ``build/SNIPPET/schools``) and ``index.html``; see the module's docstring.

    Args:
        ws: the officer's workspace: its ``mailer.yaml`` gives the authority's team, its
            snippets and templates are used for every school.
        date: the date on the letters (today when ``None``).
        progress: called with the number of schools; returns a context manager with
            ``advance(name)``, called after each pack (a bar on a terminal).
        workers: processes writing packs at once (default: one per CPU core when there
            are at least :data:`PARALLEL_FROM` schools; 1 writes them in this process).

    Raises:
        MailerError: for a missing snippet, an unreadable schools file, a mistake in the
            officer's ``mailer.yaml`` or an output folder that cannot be written. A row
            that cannot make a pack is reported in the result instead.
    """
    import time

    start = time.monotonic()
    authority = ws.config
    load_snippet_for(ws, snippet_name)  # a missing or broken snippet stops before any work
    path = schools_path if schools_path.is_absolute() else (Path.cwd() / schools_path)
    if not path.exists() and (ws.root / schools_path).exists():
        path = ws.root / schools_path
    found = read_schools(path)
    snippet_id = find_snippet(snippet_name, ws.snippet_dirs).stem
    out_dir = out if out is not None else ws.build_dir(snippet_id) / "schools"
    result = PackResult(out_dir=out_dir, schools=found, warnings=list(found.warnings))
    if authority.organisation.contact is None:
        result.notes.append(
            f"{authority.path} has no organisation.contact, so the packs name only each "
            "school's lead (add your team as contact: name, role, email, phone).")
    templates = ws.root / "templates"
    names: set[str] = set()
    planned: list[tuple[School, str]] = []
    if out_dir.exists() and not out_dir.is_dir():
        raise MailerError("is a file, not a folder: give --out the name of a folder for "
                          "the packs.", path=out_dir)
    if (out_dir / "index.html").exists() and not (out_dir / RUN_MANIFEST).is_file():
        raise MailerError("already has an index.html that mailer did not write, so "
                          "nothing was written: give --out a new or empty folder.",
                          path=out_dir)
    first_line: dict[str, int] = {}
    for school in found.schools:
        name = base = slug(school.name)
        n = 2
        while name in names or _not_ours(out_dir, name):
            name, n = f"{base}-{n}", n + 1
        names.add(name)
        if base in first_line:
            result.warnings.append((school.line, school.name, (
                f"line {first_line[base]} has a school of the same name, so this pack is "
                f"in {name}/; if the school is in the file twice, remove one row")))
        first_line.setdefault(base, school.line)
        planned.append((school, name))
    job = _Job(
        authority=authority, snippet_path=find_snippet(snippet_name, ws.snippet_dirs),
        snippets={lang: load_snippet_for(ws, snippet_name, lang)
                  for lang in {s.language for s in found.schools}},
        template_dirs=ws.template_dirs, templates=templates if templates.is_dir() else None,
        date=date or dt.date.today(), out_dir=out_dir, schools=planned, root=ws.root)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        bar = progress(len(planned)) if progress else _NoProgress()
        with bar:
            for index, warnings in _run(job, workers):
                school, name = planned[index]
                result.warnings.extend((school.line, school.name, w) for w in warnings)
                result.written.append((school, name))
                bar.advance(school.name)
        result.written.sort(key=lambda pair: pair[0].line)
        result.removed, result.left = remove_stale(out_dir, {name for _, name in planned})
        result.index.write_text(index_html(result, snippet_id), encoding="utf-8")
        (out_dir / RUN_MANIFEST).write_text(json.dumps({
            "written_by": "mailer render --schools", "schools": str(path),
            "folders": [name for _, name in result.written],
            "zips": [f"{name}.zip" for _, name in result.written],
        }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise MailerError(f"cannot write the packs ({exc.strerror}).",
                          path=exc.filename or out_dir) from None
    result.warnings.sort(key=lambda w: w[0])
    result.seconds = time.monotonic() - start
    return result


#: From this many schools on, packs are written by one process per CPU core.
PARALLEL_FROM = 20


def _run(job: _Job, workers: int | None) -> Iterator[tuple[int, list[str]]]:
    """``(index, warnings)`` per school as each pack is done: in this process, or in
    forked worker processes (each pack costs about 0.15 s of CPU, mostly premailer and
    python-docx, and schools are independent)."""
    global _JOB
    count = len(job.schools)
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= PARALLEL_FROM else 1
    workers = max(1, min(workers, count))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for index in range(count):
            yield index, _pack(job, index)
        return
    _JOB = job
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            yield from enumerate(pool.imap(_pack_in_worker, range(count), chunksize=4))
    finally:
        _JOB = None


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def advance(self, name: str) -> None:
        return None


class PackProgress:
    """``Writing packs ━━━━ 120/300 St Mary's``: a bar on a terminal (standard error), a
    line every 50 schools otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._bar: Any = None
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("Writing packs"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.description}"),
                                 transient=True)
            self._task = self._bar.add_task("", total=total)

    def __enter__(self) -> PackProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, name: str) -> None:
        """One more pack written, for school ``name``."""
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=name)
        elif self.done % 50 == 0 or self.done == self.total:
            print(f"  {self.done} of {self.total} packs written", file=sys.stderr, flush=True)


def index_html(result: PackResult, snippet_id: str) -> str:
    """The officer's page: one row per school with links to its files and its zip, its
    lead, and a "Copy block" button that copies the newsletter block as formatted text
    (``text/html`` and ``text/plain`` on the clipboard), as the preview's button does."""
    rows = []
    for i, (school, folder) in enumerate(result.written):
        block = (result.out_dir / folder / "block.html").read_text(encoding="utf-8")
        e = html.escape
        links = " ".join(
            f'<a href="{e(folder)}/{f}">{label}</a>' for f, label in (
                ("email.html", "Email"), ("email.txt", "Plain text"),
                ("block.html", "Newsletter block"), ("letter.docx", "Word letter"),
                ("README.txt", "Read me"))
        )
        rows.append(
            f'<tr id="school-{i}"><td><strong>{e(school.name)}</strong>'
            f'<br><span class="muted">line {school.line}</span></td>'
            f"<td>{e(school.dsl_name)}<br><span class=\"muted\">{e(school.dsl_role)}"
            f"</span></td>"
            f'<td><span class="swatch" style="background:{e(school.brand_colour)}"></span> '
            f"{e(school.brand_colour)}</td>"
            f"<td>{links} <a href=\"{e(folder)}.zip\" download>Zip</a></td>"
            f'<td><button type="button" data-block="block-{i}" '
            f'aria-label="Copy block: {e(school.name)}">Copy block</button>'
            f'<span class="copied" role="status" aria-live="polite"></span>'
            f'<template id="block-{i}">{block}</template></td></tr>'
        )
    skipped = "".join(
        f"<li>line {r.line}{' (' + html.escape(r.name) + ')' if r.name else ''}: "
        f"{html.escape(r.reason)}</li>" for r in result.schools.skipped)
    warnings = "".join(
        f"<li>line {line} ({html.escape(school)}): {html.escape(message)}</li>"
        for line, school, message in result.warnings)
    title = f"Packs for {len(result.written)} schools: {snippet_id}"
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: Arial, Helvetica, sans-serif; font-size: 16px; line-height: 1.5;
       color: #1f2937; margin: 24px; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: 8px; border-bottom: 1px solid #d1d5db; }}
a {{ color: #1d4f91; margin-right: 8px; }}
.muted {{ color: #4b5563; font-size: 14px; }}
.swatch {{ display: inline-block; width: 16px; height: 16px; border: 1px solid #6b7280;
          vertical-align: middle; }}
button {{ font-size: 16px; padding: 4px 12px; cursor: pointer; }}
.copied {{ margin-left: 8px; color: #166534; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>Each school's folder holds its email, plain text, newsletter block, Word letter and a
ready workspace to send from; the zip holds the same folder, to send to the school.
Copy block copies a school's newsletter block with its formatting, ready to paste.</p>
{f'<h2>Rows not done</h2><ul>{skipped}</ul>' if skipped else ''}
{f'<h2>Warnings</h2><ul>{warnings}</ul>' if warnings else ''}
<table>
<thead><tr><th scope="col">School</th><th scope="col">Safeguarding lead</th>
<th scope="col">Colour</th><th scope="col">Files</th><th scope="col">Block</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<script>
async function copyBlock(button) {{
  const html = document.getElementById(button.dataset.block).innerHTML;
  const holder = document.createElement("div");
  holder.innerHTML = html;
  const text = holder.innerText;
  const status = button.nextElementSibling;
  try {{
    await navigator.clipboard.write([new ClipboardItem({{
      "text/html": new Blob([html], {{type: "text/html"}}),
      "text/plain": new Blob([text], {{type: "text/plain"}})}})]);
  }} catch (err) {{
    holder.style.position = "fixed"; holder.style.left = "-10000px";
    document.body.appendChild(holder);
    const range = document.createRange(); range.selectNodeContents(holder);
    const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    const ok = document.execCommand("copy");
    sel.removeAllRanges(); holder.remove();
    if (!ok) {{ status.textContent = "Could not copy: open the block and copy it."; return; }}
  }}
  status.textContent = "Copied";
}}
document.querySelectorAll("button[data-block]").forEach(
  b => b.addEventListener("click", () => copyBlock(b)));
</script>
</body>
</html>
"""
