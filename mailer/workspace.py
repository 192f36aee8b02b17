"""A workspace: the folder holding ``mailer.yaml``, ``snippets/``, ``templates/``, ``lists/``.

Snippets and templates are looked up in the workspace first, then in the defaults that
ship inside the package (so ``mailer`` works outside a checkout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from mailer.config import CONFIG_NAME, Config, load_config
from mailer.errors import ConfigError, ListError


def defaults_dir() -> Path:
    """The folder holding the packaged ``templates/`` and ``snippets/``.

    In an installed wheel they live in ``mailer/defaults``; in a source checkout (editable
    install) they are the repository's own ``templates/`` and ``snippets/``.
    """
    packaged = Path(__file__).resolve().parent / "defaults"
    if (packaged / "templates").is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


#: File endings offered as lists when a list name is not found (the suppression list is
#: not a mailing list, so it is never offered).
LIST_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".yaml", ".yml"})


@dataclass
class Workspace:
    """A workspace folder. ``root`` is absolute.

    Given the workspace's ``mailer.yaml`` itself instead of its folder (``--workspace
    school/mailer.yaml``, what a person who was told "the workspace is configured by
    mailer.yaml" types), the file's folder is the workspace.

    Raises:
        ConfigError: when ``root`` is some other file (a list, an advisory): the message
            asks for the folder.
    """

    root: Path
    _config: Config | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        root = self.root.expanduser()
        if root.name == CONFIG_NAME and not root.is_dir():
            root = root.parent
        elif root.exists() and not root.is_dir():
            holder = next((d for d in root.resolve().parents if (d / CONFIG_NAME).is_file()),
                          None)
            hint = (f"Did you mean --workspace {holder}?" if holder is not None else
                    f"Give the folder that holds {CONFIG_NAME}.")
            raise ConfigError(
                f"--workspace takes a folder (the one holding {CONFIG_NAME}), but "
                f"'{self.root}' is a file. {hint}"
            )
        self.root = root.resolve()

    @property
    def config_path(self) -> Path:
        """``ROOT/mailer.yaml``."""
        return self.root / CONFIG_NAME

    @property
    def config(self) -> Config:
        """The validated configuration, read on first use. Raises :class:`ConfigError`."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def reload(self) -> None:
        """Forget the cached configuration (the preview re-reads it after an edit)."""
        self._config = None

    @cached_property
    def snippet_dirs(self) -> list[Path]:
        """Folders searched for snippets, workspace first."""
        return _unique([self.root / "snippets", defaults_dir() / "snippets"])

    def builtin_snippet_notice(self, path: Path) -> str | None:
        """One line saying the snippet file ``path`` is the built-in (packaged) advisory,
        not the workspace's own copy; ``None`` when it is the workspace's, or when there
        is no workspace (no ``mailer.yaml``: then built-in advisories are all there is).

        A school's edited copy that was moved or deleted would otherwise be replaced,
        without a word, by the packaged original of the same name.
        """
        if not self.config_path.is_file() or not self.is_builtin_snippet(path):
            return None
        own = (self.root / "snippets").resolve()
        snippet_id = path.name.rsplit(".", 1)[0]
        missing = "" if own.is_dir() else " (it has no snippets/ folder at all)"
        return (f"Using the built-in advisory '{snippet_id}': this workspace has no "
                f"snippets/{snippet_id}.yaml{missing}. If your school has its own edited "
                f"copy, put it in {own} first.")

    def is_builtin_snippet(self, path: Path) -> bool:
        """True when ``path`` is in the packaged ``snippets/`` rather than the workspace's
        own (see :meth:`builtin_snippet_notice`)."""
        own = (self.root / "snippets").resolve()
        builtin = (defaults_dir() / "snippets").resolve()
        return own != builtin and path.resolve().parent == builtin

    @cached_property
    def template_dirs(self) -> list[Path]:
        """Folders searched for templates, workspace first."""
        return _unique([self.root / "templates", defaults_dir() / "templates"])

    @property
    def outbox_dir(self) -> Path:
        """The Maildir used when no SMTP host is configured."""
        return self.root / "outbox"

    @property
    def state_dir(self) -> Path:
        """``.mailer/``: the send journal lives here."""
        return self.root / ".mailer"

    def build_dir(self, snippet_id: str) -> Path:
        """Default output folder of ``mailer render``."""
        return self.root / "build" / snippet_id

    def list_path(self, name: str) -> Path:
        """Resolve a list argument: a path (relative to the current folder or the workspace),
        or a bare name in ``lists/``.

        Raises:
            ListError: naming the places it looked when the file does not exist.
        """
        given = Path(name).expanduser()
        candidates = [given] if given.is_absolute() else [
            Path.cwd() / given,
            self.root / given,
            self.root / "lists" / given,
            self.root / "lists" / f"{name}.csv",
        ]
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
        for candidate in candidates:
            if candidate.exists() and not candidate.is_dir():
                raise ListError(f"'{name}' is not an ordinary file (it is a device or a pipe), "
                                "so it cannot be read as a list. Give the CSV or YAML list "
                                "file.")
            if candidate.is_dir():
                raise ListError(
                    f"'{name}' is a folder, not a list file. Give the CSV file inside it, "
                    f"for example {Path(name) / 'parents.csv'}."
                )
        available = sorted(p.name for p in (self.root / "lists").glob("*") if p.is_file()
                           and p.suffix.lower() in LIST_SUFFIXES
                           and not p.name.lower().startswith("suppress"))
        hint = (f" Lists in {self.root / 'lists'}: {', '.join(available)}." if available
                else f" There is no list in {self.root / 'lists'} yet: save the parents' list "
                "there as CSV.")
        raise ListError(f"the list file '{name}' does not exist.{hint}")


def _unique(paths: list[Path]) -> list[Path]:
    seen: list[Path] = []
    for p in paths:
        rp = p.resolve()
        if rp not in seen:
            seen.append(rp)
    return seen
