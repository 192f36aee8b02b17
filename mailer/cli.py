"""The command line (Typer). Thin: parse arguments, call :mod:`mailer.jobs`, print.

Exit status: 0 done; 1 finished but some recipients failed or were deferred; 2 bad input
or configuration (nothing was sent).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from mailer import __version__
from mailer.campaign import SendSummary, check_fields, send_all
from mailer.checks import check_snippet
from mailer.compose import Composer
from mailer.errors import MailerError
from mailer.jobs import RENDER_FILES, read_workspace_list, render_snippet, write_render
from mailer.lists import require_recipients, summary_json, summary_text
from mailer.snippets import list_snippets, load_snippet
from mailer.transports import make_transport
from mailer.workspace import Workspace

app = typer.Typer(
    help="Turn a safeguarding advisory into email that works everywhere, and send it to "
    "parents and carers safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
lists_app = typer.Typer(help="Check mailing lists.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")


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


@app.command("snippets")
def snippets_cmd(ctx: typer.Context) -> None:
    """List the advisories (snippets) you can render or send: id, date and title."""
    ws = _ws(ctx)
    found = list_snippets(ws.snippet_dirs)
    if not found:
        typer.echo("No snippets found. Put advisory files in the snippets/ folder.")
        return
    for snippet_id, path in found.items():
        try:
            s = load_snippet(path)
            typer.echo(f"{snippet_id:32}  {s.date.isoformat()}  {s.title}")
        except MailerError as exc:
            typer.echo(f"{snippet_id:32}  (cannot be read: {exc})")


@app.command("render")
def render_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default build/SNIPPET/).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="html, text, block or all.")
    ] = "all",
    stdout: Annotated[
        bool, typer.Option("--stdout", help="Print one format instead of writing files.")
    ] = False,
) -> None:
    """Render an advisory to email.html, email.txt and block.html (the newsletter block)."""
    ws = _ws(ctx)
    formats = list(RENDER_FILES) if fmt == "all" else [fmt]
    if any(f not in RENDER_FILES for f in formats):
        raise MailerError(f"--format must be html, text, block or all, not '{fmt}'.")
    rendered = render_snippet(ws, snippet)
    if stdout:
        if len(formats) != 1:
            raise MailerError("--stdout prints one format: add --format html, text or block.")
        html, text = rendered.personalise(rendered.preview_fields())
        sys.stdout.write({"html": html, "text": text, "block": rendered.block}[formats[0]])
        return
    out_dir = out if out is not None else ws.build_dir(rendered.snippet.id)
    for path in write_render(rendered, out_dir, formats):
        typer.echo(f"Wrote {path}")


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check an advisory against the email checklist before sending. Exit 1 on errors."""
    report = check_snippet(_ws(ctx), snippet)
    typer.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.as_text())
    if report.errors:
        raise typer.Exit(1)


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
) -> None:
    """Read a list and report what happens to every row (exit 0 even with no recipients)."""
    report = read_workspace_list(_ws(ctx), list_name, where or [])
    if as_json:
        typer.echo(json.dumps(summary_json(report), indent=2, ensure_ascii=False))
    else:
        typer.echo(summary_text(report))


@app.command("send")
def send_cmd(
    ctx: typer.Context,
    snippet: Annotated[str, typer.Argument(help="Snippet id (see 'mailer snippets').")],
    list_name: Annotated[str, typer.Option("--list", help="CSV or YAML list of parents/carers.")],
    where: WhereOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Send the advisory: one message per parent/carer address, nobody else in To/Cc/Bcc."""
    ws = _ws(ctx)
    rendered = render_snippet(ws, snippet)
    report = read_workspace_list(ws, list_name, where or [])
    typer.echo(summary_text(report), err=True)
    require_recipients(report)
    check_fields(rendered, report.recipients, str(report.path))
    config = ws.config
    transport = make_transport(config, ws.outbox_dir)
    campaign = f"{rendered.snippet.id}--{report.path.stem}"
    if not as_json:
        typer.echo(f"Sending to {len(report.recipients)} recipients via {transport.describe()}",
                   err=True)
    composer = Composer(rendered, config.sender)
    summary = SendSummary(campaign=campaign, transport=transport.name)
    asyncio.run(send_all(composer, report.recipients, transport, summary))
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        typer.echo(
            f"Done: {summary.sent} sent, {summary.failed} failed, {summary.deferred} deferred, "
            f"{summary.uncertain} uncertain."
        )
        for f in summary.failures:
            typer.echo(f"  {f.email}: {f.status} ({f.code} {f.text})")
    if summary.failed or summary.deferred or summary.uncertain:
        raise typer.Exit(1)


@app.command("init")
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
) -> None:
    """Create a new workspace: a starter mailer.yaml, the advisories and a lists/ folder."""
    from mailer.scaffold import init_workspace

    for path in init_workspace(directory):
        typer.echo(f"Created {path}")
    typer.echo(f"Next: edit {directory / 'mailer.yaml'} with your school's details, put your "
               f"parent list in {directory / 'lists'}, then run 'mailer render' from there.")


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
    """Show the advisory in your web browser as parents will see it; copy it for a newsletter.
    The page updates by itself when you save the snippet, a template or mailer.yaml."""
    from mailer import preview

    ws = _ws(ctx)
    preview.check_start(ws, snippet, list_name)
    server = preview.PreviewServer(preview.PreviewSession(ws, snippet, list_name), host, port)
    typer.echo(f"Preview of '{snippet}' at {server.url}")
    if no_browser or not preview.open_browser(server.url):
        typer.echo("Open that address in your web browser.")
    typer.echo("Press Ctrl+C to stop the preview.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("Preview stopped.")


def main() -> None:
    """Console entry point: run the app, turning :class:`MailerError` into exit status 2."""
    try:
        # With standalone_mode=False, click returns a command's typer.Exit code instead of
        # exiting, so pass it on (exit 1 from 'check' and 'send').
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except MailerError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("Stopped.", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
