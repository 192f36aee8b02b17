"""``mailer check``: hold a rendered snippet to ``email-checklist.md``.

Public interface::

    from mailer.checks import Finding, run_checks
    findings = run_checks(rendered, composed_sample, config)

Each :class:`Finding` names the checklist line (``id``), ``severity`` (``"error"`` or
``"warning"``), the ``element`` (a short excerpt) and a ``message`` saying what to do.
Ids: E1-E22 the full email; E23-E27 the email as mail clients change it
(:mod:`mailer.checks.client_rules`); S1-S7 the pasteable block; H1-H11 the headers
(:mod:`mailer.checks.header_rules`); T1-T7 the plain-text part
(:mod:`mailer.checks.text_rules`). One function per line lives in ``email_rules``,
``client_rules``, ``block_rules``, ``header_rules``, ``text_rules`` and ``config_rules``.
"""

from __future__ import annotations

from mailer.checks.model import Finding, Inputs
from mailer.checks.runner import RULES, CheckReport, check_snippet, compose_sample, run_checks

__all__ = [
    "RULES", "CheckReport", "Finding", "Inputs", "check_snippet", "compose_sample", "run_checks",
]
