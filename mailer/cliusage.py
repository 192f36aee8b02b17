"""How the command line explains itself: help without type jargon, and usage mistakes in
plain words.

- ``--help`` shows no ``<bool>``/``<str>``/``<path>`` after options: a flag shows nothing,
  an option with a value shows a word (``--list LIST``), and a paragraph of help is never
  broken in the middle of a sentence.
- A flag given a value (``--dry-run true``, ``--dry-run=yes``) is refused with
  "--dry-run takes no value", not "unexpected extra argument".
- A path with a space that the shell split (``lists/Parents export.csv`` unquoted) gets a
  hint to put it in quotes, naming the file that exists.

Use :class:`MailerTyper` instead of ``typer.Typer``: every command it makes gets this
behaviour.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

try:  # Typer >= 0.20 carries its own copy of Click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older Typer uses Click itself
    from click.exceptions import UsageError  # type: ignore[no-redef]

#: Words people write after a flag meaning "on" or "off".
_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "y", "n", "1", "0", "on", "off"})
_WORD = re.compile(r"\w+")


def _tidy(params: list[Any]) -> list[Any]:
    """Give every parameter a help label a person can read (in place); returns them."""
    for p in params:
        if isinstance(p, TyperArgument):
            if p.metavar is None:
                p.metavar = p.name.upper()
            p.display_type_rich = lambda ctx: None  # the name says it all
            p.type = _without_type_name(p.type)
            p.get_usage_pieces = (
                lambda ctx, p=p: [p.metavar if p.required else f"[{p.metavar}]"])
        elif getattr(p, "is_flag", False):
            p.metavar = ""
        elif p.metavar is None:
            long = next((o for o in p.opts if o.startswith("--")), p.name)
            p.metavar = long.lstrip("-").replace("-", "_").upper()
    return params


def _without_type_name(kind: Any) -> Any:
    """A copy of parameter type ``kind`` whose help label is ``""`` where it would be a
    type name (Typer before 0.29 shows an argument as ``SNIPPET <str>``); choices still
    show."""
    quiet = copy.copy(kind)
    quiet.get_metavar = lambda *args, **kwargs: kind.get_metavar(*args, **kwargs) or ""
    return quiet


def _help_paragraphs(text: str | None) -> str | None:
    """``text`` with single line breaks (from wrapping the docstring in the source)
    joined, so the terminal wraps whole sentences; blank lines stay paragraph breaks."""
    if not text:
        return text
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _flags(cmd: Any, ctx: Any) -> dict[str, str]:
    """Every way of writing a flag of ``cmd`` (``--dry-run``, ``-y``) -> its long name."""
    out: dict[str, str] = {}
    for p in cmd.get_params(ctx):
        if getattr(p, "is_flag", False):
            names = [*p.opts, *p.secondary_opts]
            long = next((n for n in names if n.startswith("--")), names[0])
            for n in names:
                out[n] = long
    return out


def _check_flag_values(cmd: Any, ctx: Any, args: list[str]) -> None:
    flags = _flags(cmd, ctx)
    for i, arg in enumerate(args):
        if arg == "--":
            return
        name, eq, value = arg.partition("=")
        if name in flags and eq:
            raise UsageError(f"{flags[name]} takes no value: write just {flags[name]} "
                             f"(without '={value}').", ctx)
        if arg in flags and i + 1 < len(args) and args[i + 1].casefold() in _FLAG_WORDS:
            word = args[i + 1]
            off = word.casefold() in {"false", "no", "n", "0", "off"}
            then = (f"leave {flags[arg]} out to turn it off" if off
                    else f"write just {flags[arg]}")
            raise UsageError(f"{flags[arg]} takes no value: {then} (without '{word}').",
                             ctx)


def split_path_hint(args: list[str], folders: list[Path]) -> str:
    """A hint when consecutive arguments, joined by spaces, name a file that exists in one
    of ``folders`` (the shell split an unquoted path with a space); ``""`` otherwise."""
    words = [a for a in args if a]
    for i in range(len(words)):
        if words[i].startswith("-"):
            continue
        for j in range(len(words), i + 1, -1):
            run = words[i:j]
            if any(w.startswith("-") for w in run[1:]):
                continue
            joined = " ".join(run)
            for folder in folders:
                candidate = folder / joined
                if candidate.is_file() or candidate.is_dir():
                    return (f"The file '{joined}' exists, but its name has a space, so it "
                            f"was read as {len(run)} separate words: put the path in "
                            f'quotes, e.g. "{joined}".')
    return ""


def _search_folders(ctx: Any) -> list[Path]:
    folders = [Path(".")]
    root = ctx.find_root()
    ws = getattr(root, "obj", None)
    ws_root = getattr(ws, "root", None)
    if isinstance(ws_root, Path):
        folders += [ws_root, ws_root / "lists"]
    folders.append(Path("lists"))
    return folders


class MailerCommand(TyperCommand):
    """A Typer command whose help and usage errors read plainly (see module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _help_paragraphs(self.help)
        self.short_help = _help_paragraphs(self.short_help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _check_flag_values(self, ctx, args)
        given = list(args)  # the parser consumes the list it is given
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            hint = split_path_hint(given, _search_folders(ctx))
            if "unexpected extra argument" in exc.message:
                raise UsageError(hint or (
                    f"{exc.message}. If a name or path has spaces, put it in quotes."),
                    ctx) from None
            raise


class MailerGroup(TyperGroup):
    """A Typer group with the same plain help as :class:`MailerCommand`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _help_paragraphs(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Only the group's own options come before the command's name.
        own = []
        for a in args:
            if not a.startswith("-"):
                break
            own.append(a)
        _check_flag_values(self, ctx, own)
        return super().parse_args(ctx, args)


class MailerTyper(typer.Typer):
    """``typer.Typer`` whose commands are :class:`MailerCommand` and groups
    :class:`MailerGroup`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", MailerGroup)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", MailerCommand)
        return super().command(*args, **kwargs)
