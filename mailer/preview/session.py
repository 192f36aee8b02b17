"""The preview's model: watch the files an advisory is built from, re-render on a change.

A :class:`PreviewSession` knows nothing about HTTP. It holds the newest :class:`Snapshot`
(the render, or the mistake that stopped it, plus the first recipients of a list and the
checklist findings) and replaces it whenever a watched file changes: the snippet folders,
the template folders, ``mailer.yaml``, the list and the suppression list. Watching is by
polling file modification times (``os.stat``; the standard library has no portable file
notification), every :data:`POLL_INTERVAL_S` seconds.

The re-render path is measurable on its own: :meth:`PreviewSession.reload_if_changed`
returns a :class:`Reload` whose ``latency_s`` is the time from the newest changed file's
modification time (the save) to the new snapshot being published (the render ready).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mailer.config import Config
from mailer.errors import MailerError
from mailer.jobs import (
    read_workspace_list,
    render_snippet,
    render_snippet_text,
    snippet_translations,
)
from mailer.languages import best_match
from mailer.lists import Recipient
from mailer.render import Rendered, render
from mailer.snippets import Snippet, find_snippet, load_snippet
from mailer.workspace import Workspace

#: Seconds between two looks at the watched files' modification times. Checking about
#: twenty files costs microseconds, so a short interval keeps the page within a second of
#: the editor without loading the machine.
POLL_INTERVAL_S = 0.05

#: How many recipients of a list the preview offers in its picker.
MAX_RECIPIENTS = 50

#: Address used for the neutral ("Dear Parent/Carer") sample message.
SAMPLE_ADDRESS = "parent@example.com"

#: Lines shown either side of the line a mistake is on.
EXCERPT_CONTEXT = 2

_IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~")

Fingerprint = dict[Path, tuple[int, int]]


@dataclass(frozen=True)
class Problem:
    """A mistake that stopped the render, shaped for the page.

    Attributes:
        message: what is wrong, in plain words (without the file and line).
        file: the file it is in, relative to the workspace when inside it, else absolute;
            ``None`` when unknown.
        line: 1-based line in ``file``, or ``None``.
        unexpected: ``True`` for a program fault rather than a mistake in a file.
        excerpt: up to :data:`EXCERPT_CONTEXT` lines either side of ``line``, as
            ``(line number, text)`` pairs, so the page can show the spot.
    """

    message: str
    file: str | None = None
    line: int | None = None
    unexpected: bool = False
    excerpt: tuple[tuple[int, str], ...] = ()

    @property
    def where(self) -> str:
        """``snippets/x.yaml, line 4``, ``snippets/x.yaml`` or ``""``."""
        if self.file is None:
            return ""
        return f"{self.file}, line {self.line}" if self.line is not None else self.file

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``message``, ``file``, ``line``, ``where``, ``unexpected``."""
        return {"message": self.message, "file": self.file, "line": self.line,
                "where": self.where, "unexpected": self.unexpected,
                "excerpt": [{"line": n, "text": t} for n, t in self.excerpt]}


@dataclass(frozen=True)
class Checks:
    """Checklist findings for the side panel.

    Attributes:
        status: ``"ok"`` (``findings`` holds them, maybe none), ``"pending"`` (not run yet
            for this render), ``"unavailable"`` (this installation has no ``mailer.checks``)
            or ``"failed"`` (the checks raised; ``message`` says why).
        findings: dicts with ``id``, ``severity`` (``"error"`` or ``"warning"``), ``element``
            and ``message``; errors first.
        message: a sentence for ``unavailable`` and ``failed``.
    """

    status: str
    findings: tuple[dict[str, str], ...] = ()
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"status": self.status, "findings": list(self.findings), "message": self.message}


@dataclass(frozen=True)
class Snapshot:
    """Everything the page shows at one moment. Immutable: the session swaps whole snapshots.

    Attributes:
        version: increases by one with every published snapshot (the page long-polls on it).
        rendered: the newest successful render, or ``None`` while ``problem`` is set.
        problem: the mistake that stopped the newest render, or ``None``.
        config: the configuration the render used (for the sender's headers).
        recipients: at most :data:`MAX_RECIPIENTS` recipients of ``--list``, in list order.
        recipients_total: how many recipients the list has in all (0 without a list).
        checks: the checklist findings for ``rendered``.
        render_s: seconds the newest render took (Jinja2, CSS inlining, list reading).
        ready_at: wall-clock time (``time.time()``) the snapshot was published.
    """

    version: int
    rendered: Rendered | None = None
    problem: Problem | None = None
    config: Config | None = None
    recipients: tuple[Recipient, ...] = ()
    recipients_total: int = 0
    checks: Checks = field(default_factory=lambda: Checks("pending"))
    render_s: float = 0.0
    ready_at: float = 0.0
    translations: dict[str, Snippet] = field(default_factory=dict)
    template_dirs: tuple[Path, ...] = ()
    _rendered: dict[str, Rendered] = field(default_factory=dict, compare=False, repr=False)

    @property
    def render_key(self) -> str:
        """Changes whenever what the page shows changes: the render digest (and every
        translation's text), or the problem."""
        if self.rendered is None:
            return "problem"
        if not self.translations:
            return self.rendered.digest[:16]
        digest = hashlib.sha256("\x00".join(
            [self.rendered.digest, *(s.source_text for s in self.translations.values())]
        ).encode("utf-8"))
        return digest.hexdigest()[:16]

    def translated(self, tag: str) -> Rendered:
        """The translation into ``tag``, rendered the first time it is asked for (the page
        shows one language at a time, so a save re-renders only the English at once).

        Raises:
            KeyError: for a tag with no translation.
            MailerError: when the translation cannot be rendered.
        """
        if tag not in self._rendered:
            if self.config is None:
                raise KeyError(tag)
            self._rendered[tag] = render(self.translations[tag], self.config,
                                         list(self.template_dirs))
        return self._rendered[tag]

    def in_language(self, language: str, recipient: Recipient | None) -> Rendered | None:
        """The rendering the page shows for the language switch's value ``language``:
        ``""`` means as sent (the recipient's language where a translation suits it, else
        English), ``en`` the English, a tag that translation.

        Raises:
            LookupError: for a tag with no translation.
        """
        if self.rendered is None:
            return None
        if language == "":
            wanted = recipient.language if recipient is not None else ""
            match = best_match(wanted, tuple(self.translations)) if wanted else None
            return self.translated(match) if match else self.rendered
        if language == "en":
            return self.rendered
        return self.translated(language)

    def recipient(self, index: int) -> Recipient | None:
        """Recipient number ``index`` (0-based) of the picker, or ``None`` for -1 (the
        neutral sample reader).

        Raises:
            IndexError: for any other index outside the picker.
        """
        if index == -1:
            return None
        if not 0 <= index < len(self.recipients):
            raise IndexError(index)
        return self.recipients[index]


@dataclass(frozen=True)
class Reload:
    """Timing of one re-render caused by a file change (all in seconds).

    Attributes:
        changed: the files whose modification time or size changed (or that appeared or
            disappeared).
        saved_at: ``time.time()`` scale: the newest modification time among ``changed``
            (the moment of the save); the detection time for a deleted file.
        detected_at: when the session noticed the change.
        ready_at: when the new snapshot was published.
        render_s: time spent rendering (part of ``ready_at - detected_at``).
        ok: ``True`` when the render succeeded, ``False`` when it shows a problem.
    """

    changed: tuple[Path, ...]
    saved_at: float
    detected_at: float
    ready_at: float
    render_s: float
    ok: bool

    @property
    def latency_s(self) -> float:
        """Seconds from the file save to the new render being ready for the page."""
        return self.ready_at - self.saved_at


def _display_path(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def problem_from(exc: BaseException, root: Path) -> Problem:
    """Turn an exception raised while rendering into a :class:`Problem`.

    A :class:`MailerError` keeps its file and line; anything else is an unexpected fault,
    reported with its type so it can be passed on to whoever maintains the tool.
    """
    if isinstance(exc, MailerError):
        excerpt = _excerpt(exc.path, exc.line) if exc.path is not None else ()
        return Problem(exc.message, _display_path(exc.path, root), exc.line, excerpt=excerpt)
    return Problem(f"unexpected problem ({type(exc).__name__}: {exc}).", unexpected=True)


def _excerpt(path: Path, line: int | None) -> tuple[tuple[int, str], ...]:
    """Lines ``line - EXCERPT_CONTEXT`` to ``line + EXCERPT_CONTEXT`` of ``path`` (each cut
    at 200 characters), or ``()`` when there is no line or the file cannot be read."""
    if line is None:
        return ()
    try:
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return ()
    first = max(1, line - EXCERPT_CONTEXT)
    last = min(len(lines), line + EXCERPT_CONTEXT)
    return tuple((n, lines[n - 1][:200]) for n in range(first, last + 1))


def _skip(name: str) -> bool:
    return name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES)


def _scan_dir(folder: Path, out: Fingerprint, suffixes: tuple[str, ...] | None,
              recursive: bool) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if _skip(entry.name):
            continue
        try:
            if entry.is_dir():
                if recursive:
                    _scan_dir(Path(entry.path), out, suffixes, recursive)
                continue
            if suffixes is not None and not entry.name.endswith(suffixes):
                continue
            st = entry.stat()
        except OSError:
            continue
        out[Path(entry.path)] = (st.st_mtime_ns, st.st_size)


def _stat_files(paths: Iterable[Path], out: Fingerprint) -> None:
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        out[path] = (st.st_mtime_ns, st.st_size)


def _changes(old: Fingerprint, new: Fingerprint) -> tuple[Path, ...]:
    return tuple(sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p)))


class PreviewSession:
    """Renders one snippet (optionally personalised from a list) and keeps it current.

    Args:
        workspace: the workspace folder.
        snippet: a snippet id or path, as for ``mailer render``.
        list_name: optional list (path or name in ``lists/``) for the recipient picker.
        checks: run the checklist (``mailer.checks.run_checks``) after each render when
            this installation has it.

    Thread use: one thread calls :meth:`rebuild`/:meth:`reload_if_changed` (the watcher);
    any number may call :meth:`snapshot` and :meth:`wait_for_version`.
    """

    def __init__(self, workspace: Workspace, snippet: str, list_name: str | None = None,
                 *, checks: bool = True) -> None:
        self.workspace = workspace
        self.snippet = snippet
        self.list_name = list_name
        self.run_checks = checks
        self._snapshot = Snapshot(version=0, problem=Problem("the preview is starting."))
        self._cond = threading.Condition()
        self._fingerprint: Fingerprint = {}
        self._list_cache: tuple[tuple[Any, ...], tuple[Recipient, ...], int] | None = None
        self._list_files: list[Path] = []
        self._snippet_file: list[Path] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Unsaved snippet YAML from the browser editor, shown instead of the file while
        #: set (``draft_path`` is the file it will be saved as).
        self.draft_text: str | None = None
        self.draft_path: Path | None = None
        self._build_lock = threading.RLock()

    # -- reading -------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The newest published snapshot."""
        return self._snapshot

    def wait_for_version(self, since: int, timeout: float) -> Snapshot:
        """Return the newest snapshot as soon as its version differs from ``since`` (and
        the first render is done), or after ``timeout`` seconds (or when the session stops),
        whichever comes first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._snapshot.version in (since, 0) and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._snapshot

    # -- watching ------------------------------------------------------------------------

    def _find_list_files(self) -> list[Path]:
        """The list file and its suppression list (as far as they can be found now)."""
        if self.list_name is None:
            return []
        ws = self.workspace
        paths = []
        try:
            paths.append(ws.list_path(self.list_name))
        except MailerError:
            given = Path(self.list_name).expanduser()
            paths.append(given if given.is_absolute() else ws.root / given)
        with contextlib.suppress(MailerError):  # a broken mailer.yaml is reported by rebuild
            paths.append(ws.root / ws.config.lists.suppression)
        return paths

    def watched_fingerprint(self) -> Fingerprint:
        """Modification time (ns) and size of every file the preview depends on: ``*.yaml``
        and ``*.yml`` in the snippet folders (and the snippet file when given as a path),
        everything under the template folders (hidden and editor backup files excepted),
        ``mailer.yaml``, the list and its suppression list. Files that do not exist are
        absent."""
        ws = self.workspace
        out: Fingerprint = {}
        for folder in ws.snippet_dirs:
            _scan_dir(folder, out, (".yaml", ".yml"), recursive=False)
        for folder in ws.template_dirs:
            _scan_dir(folder, out, None, recursive=True)
        _stat_files([ws.config_path, *self._snippet_file, *self._list_files], out)
        return out

    # -- rendering -----------------------------------------------------------------------

    def _recipients(self) -> tuple[tuple[Recipient, ...], int]:
        if self.list_name is None:
            return (), 0
        paths = self._list_files
        key = tuple((p, self._fingerprint.get(p)) for p in paths) + (
            self.workspace.config.lists,
        )
        if self._list_cache is not None and self._list_cache[0] == key:
            return self._list_cache[1], self._list_cache[2]
        report = read_workspace_list(self.workspace, self.list_name)
        picked = tuple(report.recipients[:MAX_RECIPIENTS])
        self._list_cache = (key, picked, len(report.recipients))
        return picked, len(report.recipients)

    def _publish(self, **changes: Any) -> Snapshot:
        with self._cond:
            snap = replace(self._snapshot, version=self._snapshot.version + 1,
                           ready_at=time.time(), **changes)
            self._snapshot = snap
            self._cond.notify_all()
        return snap

    def rebuild(self) -> Snapshot:
        """Re-read the configuration, render the snippet, read the list, and publish the
        result (or the problem that stopped it) as a new snapshot. Never raises for a
        mistake in a file: that becomes ``snapshot.problem``.

        Checks are not run here (see :meth:`update_checks`), so a render is ready as soon
        as possible.
        """
        with self._build_lock:
            return self._rebuild()

    def _rebuild(self) -> Snapshot:
        started = time.perf_counter()
        ws = self.workspace
        ws.reload()
        self._list_files = self._find_list_files()
        self._snippet_file = []
        with contextlib.suppress(MailerError):  # a missing snippet is reported below
            self._snippet_file = [find_snippet(self.snippet, ws.snippet_dirs)]
        if not self._fingerprint:
            self._fingerprint = self.watched_fingerprint()
        try:
            config = ws.config
            draft, draft_path = self.draft_text, self.draft_path
            if draft is not None and draft_path is not None:
                rendered = render_snippet_text(ws, draft, draft_path)
            else:
                rendered = render_snippet(ws, self.snippet)
            translations = {  # read now (a mistake shows at once), rendered when shown
                tag: load_snippet(path)
                for tag, path in snippet_translations(ws, rendered.snippet).items()
            }
            recipients, total = self._recipients()
        except Exception as exc:  # noqa: BLE001 - the server must survive any render fault
            if not isinstance(exc, MailerError):
                traceback.print_exc(file=sys.stderr)
            problem = problem_from(exc, ws.root)
            if self.draft_text is not None:  # lines of the unsaved text, not of the file
                problem = replace(problem, file=None, line=None, excerpt=())
            return self._publish(rendered=None, problem=problem,
                                 checks=Checks("pending"), translations={},
                                 render_s=time.perf_counter() - started)
        return self._publish(rendered=rendered, problem=None, config=config,
                             translations=translations,
                             template_dirs=tuple(ws.template_dirs),
                             recipients=recipients, recipients_total=total,
                             checks=Checks("pending"), render_s=time.perf_counter() - started)

    def reload_if_changed(self) -> Reload | None:
        """Look at the watched files once; when any changed since the last look, rebuild.

        Returns:
            the timing of the rebuild, or ``None`` when nothing changed.
        """
        new = self.watched_fingerprint()
        changed = _changes(self._fingerprint, new)
        if not changed:
            return None
        detected = time.time()
        saved = max((new[p][0] / 1e9 for p in changed if p in new), default=detected)
        self._fingerprint = new
        snap = self.rebuild()
        return Reload(changed=changed, saved_at=min(saved, detected), detected_at=detected,
                      ready_at=snap.ready_at, render_s=snap.render_s,
                      ok=snap.problem is None)

    def update_checks(self) -> Snapshot:
        """Run the checklist on the newest render and publish the findings.

        ``mailer.checks`` is imported here, lazily: an installation without it shows
        "Checks not available" rather than failing.
        """
        with self._build_lock:
            return self._update_checks()

    def _update_checks(self) -> Snapshot:
        snap = self._snapshot
        if snap.rendered is None or snap.checks.status != "pending":
            return snap
        checks = compute_checks(snap.rendered, snap.config) if self.run_checks else Checks(
            "unavailable", message="Checks are turned off.")
        with self._cond:
            if self._snapshot.version != snap.version:  # a newer render came in meanwhile
                return self._snapshot
        return self._publish(checks=checks)

    # -- the watcher thread --------------------------------------------------------------

    def start(self, interval: float = POLL_INTERVAL_S) -> None:
        """Render now, then watch the files from a daemon thread until :meth:`stop`."""
        self.rebuild()
        self._thread = threading.Thread(target=self._watch, args=(interval,),
                                        name="mailer-preview-watch", daemon=True)
        self._thread.start()

    def _watch(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.reload_if_changed()
                self.update_checks()
            except Exception:  # noqa: BLE001 - keep watching whatever happens
                traceback.print_exc(file=sys.stderr)
            self._stop.wait(interval)

    def stop(self) -> None:
        """Stop the watcher thread and release every waiting long-poll."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def compute_checks(rendered: Rendered, config: Config | None) -> Checks:
    """Run ``mailer.checks.run_checks`` on ``rendered`` and a sample message composed for the
    neutral reader. Returns ``Checks("unavailable")`` when ``mailer.checks`` is not
    installed, ``Checks("failed")`` when the checks raise."""
    try:
        from mailer.checks import run_checks  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return Checks("unavailable", message="Checks not available")
    try:
        sample = sample_message(rendered, config, None) if config is not None else None
        findings = run_checks(rendered, sample, config)
        if config is not None:  # the last 'check --links' (under a day old), asking no site
            from mailer.linkcheck import cached_findings
            findings += cached_findings(rendered.snippet, config.path.parent / ".mailer")
    except Exception as exc:  # noqa: BLE001 - a checks fault must not stop the preview
        traceback.print_exc(file=sys.stderr)
        return Checks("failed", message=f"The checks could not run ({type(exc).__name__}: "
                                        f"{exc}).")
    rows = [
        {"id": str(getattr(f, "id", "")), "severity": str(getattr(f, "severity", "warning")),
         "element": str(getattr(f, "element", "") or ""),
         "message": str(getattr(f, "message", ""))}
        for f in findings
    ]
    rows.sort(key=lambda r: r["severity"] != "error")  # stable: checklist order kept
    return Checks("ok", tuple(rows))


def sample_message(rendered: Rendered, config: Config, recipient: Recipient | None) -> bytes:
    """The whole message (headers and MIME body, CRLF line ends) as ``recipient`` would get
    it, or as a neutral reader at :data:`SAMPLE_ADDRESS` would when ``recipient`` is None."""
    from mailer.compose import Composer

    composer = Composer(rendered, config.sender)
    if recipient is None:
        return composer.compose(SAMPLE_ADDRESS, "", rendered.preview_fields()).data
    return composer.compose(recipient.email, recipient.name, recipient.fields()).data


def personal_fields(rendered: Rendered, recipient: Recipient | None) -> dict[str, str]:
    """The personal fields for ``recipient``, or the neutral ones (``Dear Parent/Carer``)."""
    return rendered.preview_fields() if recipient is None else recipient.fields()


def recipient_label(recipient: Recipient) -> str:
    """``Sadia Khan <sadia.khan@example.com> (Amy and Ben)`` for the picker."""
    name = recipient.name
    label = f"{name} <{recipient.display_email}>" if name else recipient.display_email
    children = recipient.children_names
    return f"{label} (parent/carer of {children})" if children else label


_SCHEME_RE = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.IGNORECASE)
_ALWAYS = "(min-width: 0px)"
_NEVER = "(max-width: -1px)"


def force_colour_scheme(html: str, scheme: str) -> str:
    """Make the email's ``prefers-color-scheme`` media queries answer as a mail app in
    ``scheme`` (``"light"`` or ``"dark"``) would, whatever the computer's own setting.

    A query ``(prefers-color-scheme: dark)`` becomes always true in dark and never true in
    light (and the reverse for ``light``), so the page can switch themes inside a sandboxed
    frame it cannot script. When the email declares ``color-scheme`` with ``dark`` (a
    ``<meta name="color-scheme">`` or CSS ``color-scheme``), dark also sets
    ``color-scheme: dark`` on the root, as mail apps that honour it do.
    """
    if scheme not in ("light", "dark"):
        raise ValueError(f"scheme must be light or dark, not {scheme!r}")

    def swap(match: re.Match[str]) -> str:
        return _ALWAYS if match.group(1).lower() == scheme else _NEVER

    out = _SCHEME_RE.sub(swap, html)
    if scheme == "dark" and re.search(r"color-scheme[\"']?\s*(content\s*=\s*[\"'][^\"']*|:[^;}\"]*)"
                                      r"\bdark\b", html, re.IGNORECASE):
        out = out.replace("</head>", "<style>:root { color-scheme: dark; }</style></head>", 1)
    return out


def has_dark_styles(html: str) -> bool:
    """``True`` when the email has any ``prefers-color-scheme: dark`` rules."""
    return any(m.group(1).lower() == "dark" for m in _SCHEME_RE.finditer(html))


def local_time(epoch: float) -> str:
    """``10:32:15``: the local wall-clock time of ``epoch`` seconds."""
    return dt.datetime.fromtimestamp(epoch).strftime("%H:%M:%S")


def check_start(workspace: Workspace, snippet: str, list_name: str | None) -> None:
    """Refuse to start a preview of a snippet or list that does not exist (a typo on the
    command line), rather than serve a page that can never recover. Mistakes inside the
    files are not checked here: the page shows them, and recovers when they are fixed.

    Raises:
        SnippetError: when ``snippet`` is not a snippet id or file.
        ListError: when ``list_name`` is given and no such list exists.
    """
    find_snippet(snippet, workspace.snippet_dirs)
    if list_name is not None:
        workspace.list_path(list_name)
