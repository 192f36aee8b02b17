"""The command line (Typer). Thin: parse arguments, call :mod:`mailer.jobs`, print.

Exit status: 0 done (or the person answered no); 1 finished but some recipients failed or
were deferred; 2 bad input or configuration (nothing was sent); 130 stopped with Ctrl-C.
"""

from __future__ import annotations

import functools
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mailer import __version__, sendwords
from mailer.advice import base_id, review_months, review_state
from mailer.cliusage import MailerTyper
from mailer.errors import ConfirmationError, ListError, MailerError
from mailer.jobs import (
    RENDER_FILES,
    builtin_notice,
    read_workspace_list,
    render_snippet,
    render_translation,
    snippet_translations,
    write_render,
)
from mailer.journal import Journal, SendLock, journal_path
from mailer.lists import summary_json, summary_text
from mailer.lists.problems import list_problem_rows, write_problems_csv
from mailer.lists.summary import empty_error
from mailer.outcome import StopReason
from mailer.progress import BarProgress, LineProgress, make_progress
from mailer.sending import Ending, SendOutcome, SendRequest, send
from mailer.snippets import Snippet, list_snippets, load_snippet
from mailer.status import all_status, campaign_status, write_problems
from mailer.workspace import Workspace

app = MailerTyper(
    help="Turn a safeguarding advisory into email that works everywhere, and send it to "
    "parents and carers safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
lists_app = MailerTyper(help="Check mailing lists.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
translate_app = typer.Typer(
    help="Translate an advisory: a PO file for a translator, and back into a snippet.",
    no_args_is_help=True)
app.add_typer(translate_app, name="translate")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mailer {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder (default: this folder).")
    ] = Path("."),
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    ctx.obj = Workspace(workspace)


def _ws(ctx: typer.Context) -> Workspace:
    return ctx.obj  # type: ignore[no-any-return]


def _say_if_builtin(ws: Workspace, snippet: str) -> None:
    """Print, on standard error, that ``snippet`` is the built-in advisory when the
    workspace has no copy of its own (a moved or deleted edited copy is not silently
    replaced by the packaged original)."""
    notice = builtin_notice(ws, snippet)
    if notice:
        typer.echo(f"Note: {notice}", err=True)


@app.command("snippets")
def snippets_cmd(ctx: typer.Context) -> None:
    """List the advisories (snippets) you can render or send: id, date, review state
    (reviewed, review due soon, OVERDUE, NOT REVIEWED, FUTURE DATE) and title."""
    ws = _ws(ctx)
    if not ws.config_path.is_file():
        typer.echo(f"There is no workspace in {ws.root} (no mailer.yaml there), so these are "
                   "only the built-in advisories. Run mailer in your workspace folder, or add "
                   "--workspace FOLDER.", err=True)
    found = list_snippets(ws.snippet_dirs)
    in_workspace = ws.config_path.is_file()
    own = ws.root / "snippets"
    if in_workspace and not own.is_dir():
        typer.echo(f"This workspace has no snippets/ folder ({own}), so every advisory below "
                   "is a built-in one. If your school has its own edited copies, put them "
                   "back in that folder.", err=True)
    if not found:
        typer.echo("No snippets found. Put advisory files in the snippets/ folder.")
        return
    marked = in_workspace and any(ws.is_builtin_snippet(p) for p in found.values())
    try:
        months = ws.config.review_months
    except MailerError as exc:  # listing does not need mailer.yaml, but say it is wrong
        months = review_months(ws)
        typer.echo(f"Note: {exc} The review states below use the default of "
                   f"{months} months.", err=True)
    loaded: dict[str, Snippet | MailerError] = {}
    for snippet_id, path in found.items():
        try:
            loaded[snippet_id] = load_snippet(path)
        except MailerError as exc:
            loaded[snippet_id] = exc
    for snippet_id, s in loaded.items():
        if isinstance(s, MailerError):
            typer.echo(f"{snippet_id:32}  (cannot be read: {s})")
            continue
        reviewed = s.reviewed
        base = loaded.get(base_id(s.path))
        if reviewed is None and base is not s and isinstance(base, Snippet):
            reviewed = base.reviewed  # a translation is reviewed with its advisory
        review = review_state(reviewed, months).short()
        langs = list(snippet_translations(ws, s))
        also = f"  (translated: {', '.join(langs)})" if langs else ""
        builtin = "[built-in]  " if marked and ws.is_builtin_snippet(s.path) else ""
        typer.echo(f"{snippet_id:32}  {s.date.isoformat()}  {review:24}  {builtin}"
                   f"{s.title}{also}")
    if marked:
        typer.echo(f"[built-in]: shipped with mailer, not in {own}; mailer uses it because "
                   "this workspace has no file of that name.")


@app.command("render")
def render_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default build/SNIPPET/).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="html, text, block, docx (a Word letter to adapt "
                          "and print) or all.")
    ] = "all",
    stdout: Annotated[
        bool, typer.Option("--stdout", help="Print one format instead of writing files.")
    ] = False,
    schools: Annotated[
        Path | None, typer.Option("--schools", metavar="FILE", help="CSV or YAML of schools: "
                                  "write a ready pack for each (email, block, Word letter, "
                                  "workspace, zip) and an index.html.")
    ] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Render its translation into this language (pl, ar, pt-BR).")] = None,
) -> None:
    """Render an advisory to email.html, email.txt and block.html (the newsletter block);
    --format docx writes a Word letter; --schools a pack for every school."""
    ws = _ws(ctx)
    _say_if_builtin(ws, snippet)
    if schools is not None:
        _render_schools(ws, snippet, schools, out, fmt, stdout)
        return
    if fmt == "docx":
        if stdout:
            raise MailerError("a Word letter cannot be printed: leave out --stdout.")
        from mailer.packs import write_docx

        out_dir = out if out is not None else ws.build_dir(Path(snippet).stem)
        written, warnings = write_docx(ws, snippet, out_dir, language=lang or "")
        for warning in warnings:
            typer.echo(f"Warning: {warning}.", err=True)
        typer.echo(f"Wrote {written}")
        return
    formats = list(RENDER_FILES) if fmt == "all" else [fmt]
    if any(f not in RENDER_FILES for f in formats):
        raise MailerError(f"--format must be html, text, block, docx or all, not '{fmt}'.")
    rendered = render_snippet(ws, snippet) if lang is None else render_translation(
        ws, snippet, lang)
    if stdout:
        if len(formats) != 1:
            raise MailerError("--stdout prints one format: add --format html, text or block.")
        html, text = rendered.personalise(rendered.preview_fields())
        sys.stdout.write({"html": html, "text": text, "block": rendered.block}[formats[0]])
        return
    out_dir = out if out is not None else ws.build_dir(rendered.snippet.id)
    if out is None and lang is not None:
        out_dir = out_dir / rendered.language
    for path in write_render(rendered, out_dir, formats):
        typer.echo(f"Wrote {path}")


def _render_schools(ws: Workspace, snippet: str, schools: Path, out: Path | None, fmt: str,
                    stdout: bool) -> None:
    from mailer.packs import PackProgress, render_packs

    if stdout:
        raise MailerError("--schools writes a folder per school: leave out --stdout.")
    if fmt not in ("all", "docx"):
        raise MailerError("--schools writes every format for each school: leave out "
                          f"--format {fmt}.")
    result = render_packs(ws, snippet, schools, out, progress=PackProgress)
    typer.echo(result.summary_text())
    if result.skipped:
        raise typer.Exit(1)


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    links: Annotated[bool, typer.Option(
        "--links", help="Also check every web address in the snippet and its translations "
        "(asks each site; results are kept for a day).")] = False,
    fix: Annotated[bool, typer.Option(
        "--fix", help="With --links: write the new address of every link that moved "
        "permanently into the snippet (the rest of the file is kept as it is).")] = False,
    recheck: Annotated[bool, typer.Option(
        "--recheck", help="With --links: ask the sites again, even if checked today.")
    ] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", metavar="SECONDS", help="With --links: how long to wait for a site.")
    ] = 10.0,
) -> None:
    """Check an advisory before sending: the email checklist, its review date and the
    services it names; with --links, its links too. Exit 1 on errors."""
    from mailer.checks import CheckReport
    from mailer.linkcheck import check_workspace_links, fix_moved

    if (fix or recheck) and not links:
        raise MailerError(f"{'--fix' if fix else '--recheck'} goes with --links: "
                          f"mailer check {snippet} --links{' --fix' if fix else ''}")
    if not timeout > 0:
        raise MailerError("--timeout must be a number of seconds above 0.")
    ws = _ws(ctx)
    _say_if_builtin(ws, snippet)
    from mailer.checks import check_snippet  # lxml and cssutils: only for this command

    report = check_snippet(ws, snippet)
    extra: dict[str, object] = {}
    if links:
        with _link_progress() as (on_start, on_result):
            link_report = check_workspace_links(ws, snippet, recheck=recheck, timeout=timeout,
                                                on_start=on_start, on_result=on_result)
        fixed = fix_moved(link_report) if fix else []
        done = {old for _, old, _ in fixed}
        findings = [f for f in link_report.findings()
                    if not (f.id == "L2" and f.element.split(" ")[0] in done)]
        report = CheckReport(report.snippet, report.findings + findings)
        extra = {"links": link_report.as_dict(),
                 "fixed": [{"file": str(p), "old": o, "new": n} for p, o, n in fixed]}
        if not as_json:
            typer.echo(link_report.summary())
            for path, old, new in fixed:
                typer.echo(f"Fixed {path.name}: {old} -> {new}")
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), **extra}, indent=2))
    else:
        typer.echo(report.as_text())
    if report.errors:
        raise typer.Exit(1)


@contextmanager
def _link_progress() -> Iterator[tuple[Callable[[int], None], Callable[[object], None]]]:
    """A progress bar on standard error while links are checked (a line without a
    terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    progress = Progress(TextColumn("Checking links"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), console=console, transient=True,
                        disable=not console.is_terminal)
    task = progress.add_task("", total=0)

    def start(n: int) -> None:
        progress.update(task, total=n)
        if n and not console.is_terminal:
            typer.echo(f"Checking {n} link{'s' if n != 1 else ''} "
                       "(a few at a time)...", err=True)

    def one(result: object) -> None:
        progress.update(task, advance=1, description=str(getattr(result, "url", ""))[:50])

    with progress:
        yield start, one


WhereOption = Annotated[
    list[str] | None,
    typer.Option("--where", metavar="COLUMN=VALUE",
                 help="Keep only rows where COLUMN has VALUE (ignoring case), e.g. year=7. "
                 "Repeat to require several."),
]


@lists_app.command("check")
def lists_check_cmd(
    ctx: typer.Context,
    list_name: Annotated[str, typer.Argument(metavar="LIST", help="CSV or YAML list.")],
    where: WhereOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    problems: Annotated[Path | None, typer.Option(
        "--problems", metavar="FILE.csv",
        help="Also write every row that will not get the email (line, pupil, parent/carer, "
        "address, problem, what to do) to FILE.csv, to correct the school's records; it "
        "opens in Excel.")] = None,
) -> None:
    """Read a list and report what happens to every row. Exit status 2 when no row gives
    a recipient: sending that list would reach nobody."""
    report = read_workspace_list(_ws(ctx), list_name, where or [])
    if problems is not None:
        n = write_problems_csv(problems, list_problem_rows(report))
        typer.echo(f"Wrote {problems}: {n} row(s) that will not get the email." if n else
                   f"Wrote {problems}: every row gets the email (the file has only the "
                   "headings).", err=True)
    if as_json:
        typer.echo(json.dumps(summary_json(report), indent=2, ensure_ascii=False))
    else:
        typer.echo(summary_text(report, empty=False))
    nobody = empty_error(report)
    if nobody:
        # A list that reaches nobody is a mistake in the input (README: exit status 2), not
        # a list to send: said after the row-by-row report.
        raise ListError(nobody, path=report.path)


@app.command("send")
def send_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    list_name: Annotated[str, typer.Option("--list", help="CSV or YAML list of parents/carers.")],
    where: WhereOption = None,
    campaign: Annotated[str | None, typer.Option(
        "--campaign", help="Campaign name (default SNIPPET--LISTNAME); a new name starts "
        "afresh.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show the summary and the first message; send nothing.")] = False,
    test_to: Annotated[str | None, typer.Option(
        "--test-to", metavar="ADDR", help="Send one '[TEST]' proof to ADDR only.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before sending.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Also send to recipients that failed before.")] = False,
    resend_uncertain: Annotated[bool, typer.Option(
        "--resend-uncertain", help="Also send to recipients whose message may have arrived "
        "(they may get it twice).")] = False,
    list_changed: Annotated[bool, typer.Option(
        "--list-changed", help="Go on with a list that changed since the campaign began.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Send the advisory: one message per parent/carer address, nobody else in To/Cc/Bcc.
    Running the same command again carries on where it stopped; nobody is sent twice."""
    request = SendRequest(snippet, list_name, campaign, retry_failed, resend_uncertain,
                          list_changed, dry_run, tuple(where or ()))
    result = send(_ws(ctx), request, _SendScreen(), resume_command=_resume_command(),
                  yes=yes, test_to=test_to)
    _print_send(result, as_json, test_to)
    raise typer.Exit(_send_exit_status(result))


class _SendScreen:
    """The terminal for :func:`mailer.sending.send`: words and the progress display on
    standard error, the question asked there."""

    def show(self, text: str) -> None:
        typer.echo(text, err=True)

    def confirm(self, question: str) -> bool:
        if not sys.stdin.isatty():
            raise ConfirmationError(sendwords.NO_TERMINAL_WORDS)
        try:
            return typer.confirm(question, default=False, err=True)
        except typer.Abort:  # Ctrl-C (or Ctrl-D) at the question
            typer.echo("", err=True)
            raise KeyboardInterrupt from None

    def progress(self, total: int) -> LineProgress | BarProgress:
        return make_progress(total)


def _print_send(result: SendOutcome, as_json: bool, test_to: str | None) -> None:
    """Print what :func:`mailer.sending.send` did: ``--json`` on standard output, words
    for the person on standard error."""
    if result.ending is Ending.PROOF:
        assert result.proof is not None and test_to is not None
        typer.echo(sendwords.proof_words(test_to, result.proof_where, result.proof))
    elif result.ending is Ending.DRY_RUN:
        assert result.prepared is not None
        typer.echo(json.dumps(result.prepared.dry_run_dict(), indent=2) if as_json
                   else result.prepared.dry_run_words())
    elif result.ending in (Ending.DECLINED, Ending.ABORTED):
        typer.echo(sendwords.NOTHING_SENT, err=True)
    elif result.ending is Ending.STOPPED_AT_ONCE:
        typer.echo(sendwords.stopped_at_once_words(result.campaign, result.resume_command,
                                                   result.uncertain), err=True)
    else:
        summary = result.summary
        assert summary is not None
        typer.echo(json.dumps(summary.as_dict(), indent=2) if as_json
                   else "\n".join(sendwords.summary_lines(summary)))
        words = sendwords.stop_words(summary)
        if words:
            typer.echo(words, err=True)


#: Stops for a setting the person must change (the README's status 2 when nothing went).
_SETTINGS_STOPS = (StopReason.SENDER_REFUSED, StopReason.LOGIN_REQUIRED, StopReason.REFUSED)


def _send_exit_status(result: SendOutcome) -> int:
    """The README's exit-status table: 0 done (or answered no, or a dry run); 1 finished
    or stopped with parents not sent (failed, deferred, uncertain, still to send); 2 a
    setting to fix and nothing sent (errors raised as :class:`MailerError` are 2 too);
    130 Ctrl-C, at the question or while sending."""
    if result.ending in (Ending.ABORTED, Ending.STOPPED_AT_ONCE):
        return 130
    if result.ending is Ending.PROOF:
        assert result.proof is not None
        return 0 if result.proof.state.done else 1
    summary = result.summary
    if summary is None:  # a dry run, or the person answered no
        return 0
    if summary.stopped is StopReason.INTERRUPTED:
        return 130
    if summary.stopped in _SETTINGS_STOPS and not (summary.sent or summary.written):
        return 2
    return 0 if summary.complete else 1


@app.command("login")
def login_cmd(
    ctx: typer.Context,
    browser: Annotated[bool, typer.Option(
        "--browser", help="Microsoft 365: sign in in a browser on this computer instead of "
        "typing a code at microsoft.com/devicelogin.")] = False,
) -> None:
    """Sign in to Microsoft 365 or Google once (smtp.auth: oauth2). The sign-in is kept in
    this computer's keyring, and 'mailer send' uses it by itself from then on."""
    from mailer.oauth import sign_in_for
    from mailer.oauth.words import provider_name

    smtp = _ws(ctx).config.smtp
    account = sign_in_for(smtp).login(typer.echo, device_code=not browser)
    typer.echo(f"Signed in to {provider_name(smtp)} as {account}. The sign-in is kept in this "
               "computer's keyring; 'mailer send' now signs in by itself.")


@app.command("logout")
def logout_cmd(ctx: typer.Context) -> None:
    """Remove the Microsoft 365 or Google sign-in from this computer's keyring."""
    from mailer.oauth import sign_in_for
    from mailer.oauth.words import provider_name

    smtp = _ws(ctx).config.smtp
    if sign_in_for(smtp).logout():
        typer.echo(f"Signed out: the sign-in to {provider_name(smtp)} as {smtp.username} is "
                   "removed from this computer's keyring.")
    else:
        typer.echo(f"mailer was not signed in to {provider_name(smtp)} as {smtp.username} on "
                   "this computer; nothing to remove.")


@app.command("letters")
def letters_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    list_name: Annotated[str, typer.Option("--list", help="CSV or YAML list of parents/carers "
                                           "with their postal addresses.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="The Word file to write (default build/SNIPPET/letters.docx).")] = None,
    where: WhereOption = None,
    problems: Annotated[Path | None, typer.Option(
        "--problems", metavar="FILE.csv", help="Also write the rows to fix (reached neither "
        "by email nor by post, or an invalid email address) as a CSV for Excel.")] = None,
) -> None:
    """Write paper copies: one addressed letter per household that will not get the email
    (no email address, an invalid one, or prefers post), a page break between letters.
    Never for a contact with a no-contact or court-order flag."""
    from mailer.jobs import load_language, read_workspace_letters
    from mailer.languages import english_name
    from mailer.letters import (
        check_outputs,
        language_counts,
        letter_problem_rows,
        write_letters,
    )
    from mailer.letters import summary_text as letters_summary
    from mailer.packs import letter_logo

    ws = _ws(ctx)
    plan, snippet_obj = read_workspace_letters(ws, snippet, list_name, where or [])
    target = out if out is not None else ws.build_dir(snippet_obj.id) / "letters.docx"
    check_outputs(plan.path, target, problems)
    logo, trouble = letter_logo(ws.config.organisation.logo_url, ws.root) if \
        plan.households else (None, "")
    if trouble:
        typer.echo(f"Warning: {trouble}.", err=True)
    # Each household's letter in its language: a translation is read once.
    translate = functools.lru_cache(maxsize=None)(
        lambda tag: load_language(ws, snippet_obj, tag))
    written = write_letters(plan, snippet_obj, ws.config, target, translate=translate,
                            template_dirs=ws.template_dirs, logo=logo)
    typer.echo(letters_summary(plan, written))
    by_language = language_counts(plan, translate, snippet_obj)
    if written is not None and set(by_language) != {snippet_obj.language}:
        typer.echo("Letters by language: " + ", ".join(
            f"{english_name(tag)} {n}" for tag, n in sorted(by_language.items())) + ".")
    if problems is not None:
        count = write_problems_csv(problems, letter_problem_rows(plan))
        typer.echo(f"Wrote {count} row{'s' * (count != 1)} to fix to {problems}.")


@translate_app.command("export")
def translate_export_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    lang: Annotated[str, typer.Option("--lang", help="Language to translate into: a code "
                                      "(pl, ar, pt-BR) or its English name (Polish).")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="PO file to write (default translations/SNIPPET.LANG.po).")] = None,
) -> None:
    """Write a PO file holding every string of the advisory, for a translator or a
    translation service (Poedit, Weblate, a council's service)."""
    from mailer.jobs import export_translation

    path, count = export_translation(_ws(ctx), snippet, lang, out)
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    typer.echo(f"Wrote {path} ({count} strings to translate). Send it to the translator; "
               f"when it comes back, run: mailer translate import {shlex.quote(str(shown))}")


@translate_app.command("import")
def translate_import_cmd(
    ctx: typer.Context,
    po_file: Annotated[Path, typer.Argument(metavar="FILE.po", help="The translated PO file.")],
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Its language, when the file's Language header is empty.")] = None,
    snippet: Annotated[str | None, typer.Option(
        "--snippet", help="The advisory it translates, when the file does not say.")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace an existing translation even when this file has fewer "
        "translated strings (without it, such an import is refused).")] = False,
) -> None:
    """Turn a translated PO file into snippets/SNIPPET.LANG.yaml. A PO file with a mistake
    is refused, naming its line; an existing translation is never replaced by one with
    fewer translated strings unless you add --replace."""
    from mailer.jobs import import_translation
    from mailer.languages import english_name

    result = import_translation(_ws(ctx), po_file, lang, snippet, replace=replace)
    total = result.translated + len(result.untranslated)
    typer.echo(f"Wrote {result.path} ({english_name(result.language)}): {result.translated} "
               f"of {total} strings translated.")
    if result.untranslated:
        typer.echo(f"Left in English ({len(result.untranslated)}): "
                   + ", ".join(result.untranslated[:12])
                   + (" ..." if len(result.untranslated) > 12 else "") + ".")
    if result.unknown:
        typer.echo(f"Ignored {len(result.unknown)} string(s) the English no longer has: "
                   + ", ".join(result.unknown[:6]) + ".")
    if result.english_changed:
        typer.echo("Warning: the English advisory has changed since this file was exported; "
                   "export it again for the translator to update.", err=True)
    typer.echo("Next: mailer check " + result.path.stem.rpartition(".")[0])


@app.command("init")
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
) -> None:
    """Create a new workspace: a starter mailer.yaml, the advisories and a lists/ folder."""
    from mailer.scaffold import init_workspace

    for path in init_workspace(directory):
        typer.echo(f"Created {path}")
    typer.echo(f"Next: edit {directory / 'mailer.yaml'} with your school's details, put your "
               f"parent list in {directory / 'lists'}, then from that folder run "
               "'mailer preview online-safety-webcams'.")


@app.command("preview")
def preview_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    list_name: Annotated[
        str | None, typer.Option("--list", help="List to pick a recipient from (first 50).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port (0 = any free port; default 8321).")
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the web browser.")
    ] = False,
    host: Annotated[
        str, typer.Option("--host", help="Only 127.0.0.1 (this computer) is allowed.")
    ] = "127.0.0.1",
) -> None:
    """Show the advisory in your web browser as parents will see it; copy it for a newsletter;
    change it with the page's Edit button. The page updates by itself when you save the
    snippet, a template or mailer.yaml."""
    _serve_editor(ctx, snippet, list_name, port, no_browser, host, open_panel=False)


def _serve_editor(ctx: typer.Context, snippet: str | None, list_name: str | None,
                  port: int | None, no_browser: bool, host: str, open_panel: bool) -> None:
    """Serve the preview page with its Edit panel (``snippet`` None: a new advisory)."""
    from mailer import preview
    from mailer.preview.editor import EditorServer

    ws = _ws(ctx)
    if snippet is not None:
        preview.check_start(ws, snippet, list_name)
        _say_if_builtin(ws, snippet)
    elif list_name is not None:
        ws.list_path(list_name)
    session = preview.PreviewSession(ws, snippet or "new-advisory", list_name)
    server = EditorServer(session, host, port, new=snippet is None, open_panel=open_panel)
    what = f"'{snippet}'" if snippet is not None else "a new advisory"
    typer.echo(f"{'Editor' if open_panel else 'Preview'} of {what} at {server.url}")
    if no_browser or not preview.open_browser(server.url):
        typer.echo("Open that address in your web browser.")
    typer.echo("Nothing is saved until you press Save on the page. "
               "Press Ctrl+C here to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo(f"{'Editor' if open_panel else 'Preview'} stopped.")


_PORT_OPTION = typer.Option("--port", help="Port (0 = any free port; default 8321).")
_NO_BROWSER = typer.Option("--no-browser", help="Do not open the web browser.")
_HOST = typer.Option("--host", help="Only 127.0.0.1 (this computer) is allowed.")
_LIST = typer.Option("--list", help="List to pick a recipient from (first 50).")


@app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    list_name: Annotated[str | None, _LIST] = None,
    port: Annotated[int | None, _PORT_OPTION] = None,
    no_browser: Annotated[bool, _NO_BROWSER] = False,
    host: Annotated[str, _HOST] = "127.0.0.1",
) -> None:
    """Change an advisory in your web browser: a form beside the preview, no YAML.
    Nothing is written until you press Save."""
    _serve_editor(ctx, snippet, list_name, port, no_browser, host, open_panel=True)


@app.command("new")
def new_cmd(
    ctx: typer.Context,
    list_name: Annotated[str | None, _LIST] = None,
    port: Annotated[int | None, _PORT_OPTION] = None,
    no_browser: Annotated[bool, _NO_BROWSER] = False,
    host: Annotated[str, _HOST] = "127.0.0.1",
) -> None:
    """Write a new advisory in your web browser, starting from an empty form. Save puts it
    in snippets/."""
    _serve_editor(ctx, None, list_name, port, no_browser, host, open_panel=True)


def _confirm_purge(campaign: str, data: dict[str, object]) -> bool:
    if not sys.stdin.isatty():
        raise ConfirmationError(sendwords.purge_no_terminal_words(campaign))
    return typer.confirm(sendwords.purge_question_words(campaign, data), default=False,
                         err=True)


def _resume_command() -> str:
    """The command that carries on: this one, without --resend-uncertain."""
    args = [a for a in sys.argv[1:] if a != "--resend-uncertain"]
    return shlex.join(["mailer", *args])


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Argument(help="Campaign name (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    purge: Annotated[bool, typer.Option(
        "--purge", help="Delete the campaign's records (its recipients' addresses).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --purge.")
                   ] = False,
    problems: Annotated[Path | None, typer.Option(
        "--problems", metavar="FILE.csv", help="Write the parents not sent (pupil, list line, "
        "address, what happened, what to do) to a CSV file that opens in Excel.")] = None,
) -> None:
    """Show what was sent: counts per campaign, and who failed, was deferred or is
    uncertain, with the server's reply."""
    ws = _ws(ctx)
    path = journal_path(ws.state_dir)
    if purge:
        if campaign is None:
            raise MailerError(sendwords.NEEDS_CAMPAIGN_TO_PURGE)
        with SendLock(ws.state_dir), Journal(path, create=False) as journal:
            data = campaign_status(journal, campaign)  # raises for an unknown name
            if not yes and not _confirm_purge(campaign, data):
                typer.echo(sendwords.NOTHING_DELETED, err=True)
                return
            n = journal.purge(campaign)
        typer.echo(sendwords.purged_words(campaign, n))
        return
    if problems is not None:
        if campaign is None:
            raise MailerError(sendwords.NEEDS_CAMPAIGN_FOR_PROBLEMS)
        with Journal(path, create=False) as journal:
            info = journal.campaign(campaign)
            on_list = _pupils_on_list(ws, info.list_path) if info is not None else {}
            n = write_problems(journal, campaign, problems, on_list)
        typer.echo(sendwords.problems_written_words(n, problems))
        return
    journal = Journal(path, create=False) if path.exists() else None
    try:
        if campaign is not None:
            if journal is None:
                raise MailerError(sendwords.NOTHING_SENT_YET)
            data = campaign_status(journal, campaign)
            text = sendwords.campaign_status_words(data)
        else:
            data = all_status(journal)
            text = sendwords.all_status_words(data)
            signed_in = _sign_in_status(ws)
            if signed_in is not None:
                data["sign_in"] = signed_in
                text = f"{signed_in['words']}\n{text}"
    finally:
        if journal is not None:
            journal.close()
    typer.echo(json.dumps(data, indent=2) if as_json else text)


def _sign_in_status(ws: Workspace) -> dict[str, object] | None:
    """Who 'mailer send' signs in as (``smtp.auth: oauth2``); ``None`` otherwise, or when
    mailer.yaml cannot be read (status still shows the journal)."""
    from mailer.oauth import sign_in_status

    try:
        return sign_in_status(ws.config.smtp)
    except MailerError:
        return None


def _pupils_on_list(ws: Workspace, list_path: str) -> dict[str, tuple[str, str]]:
    """Address (lower case) -> (pupils, list lines) from the campaign's list as it is now;
    empty when the list cannot be read any more (moved or deleted)."""
    try:
        report = read_workspace_list(ws, list_path)
    except MailerError:
        return {}
    out = {}
    for rec in report.recipients:
        pupils = "; ".join(" ".join(p for p in (c.forename, c.surname) if p)
                           + c.details[len(c.forename):] for c in rec.children)
        out[rec.email.lower()] = (pupils, ", ".join(str(n) for n in rec.lines))
    return out


def main() -> None:
    """Console entry point: run the app, turning :class:`MailerError` into exit status 2.

    Typer runs in standalone mode, so a usage mistake (a missing argument, an unknown
    option) prints a short usage message and exits 2, and ``typer.Exit(code)`` exits with
    its code.
    """
    try:
        app()
    except MailerError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)
        sys.exit(130)
