"""``mailer preview``: a local web page that shows the advisory as parents will get it,
keeps itself up to date while the files are edited, and copies the newsletter block.

:mod:`mailer.preview.session` watches and renders; :mod:`mailer.preview.server` serves it on
127.0.0.1; ``static/`` holds the page (plain HTML, CSS and JavaScript, no CDN).
"""

from __future__ import annotations

from mailer.preview.server import (
    DEFAULT_PORT,
    PreviewError,
    PreviewServer,
    has_display,
    loopback_host,
    open_browser,
)
from mailer.preview.session import PreviewSession, Reload, Snapshot, check_start

__all__ = [
    "DEFAULT_PORT", "PreviewError", "PreviewServer", "PreviewSession", "Reload", "Snapshot",
    "check_start", "has_display", "loopback_host", "open_browser",
]
