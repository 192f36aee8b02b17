"""Run every rule on a rendered snippet: :func:`run_checks`, plus the helpers the CLI
uses to check a snippet of a workspace as it would be sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailer.checks import (
    advice_rules,
    block_rules,
    client_rules,
    config_rules,
    email_rules,
    header_rules,
    text_rules,
)
from mailer.checks.model import Finding, Inputs, RuleFn, error
from mailer.checks.translation_rules import catalog_findings, compare
from mailer.compose import Composer
from mailer.config import Config
from mailer.errors import MailerError
from mailer.i18n import load_catalog
from mailer.jobs import render_snippet, snippet_translations
from mailer.languages import english_name
from mailer.render import Rendered, render
from mailer.snippets import Snippet, load_snippet
from mailer.workspace import Workspace

#: Every rule, in report order: mailer.yaml's brand colour first (a root cause of other
#: findings), the email (E1-E22, then E23-E27 on what mail clients do to it), the headers
#: (H1-H11), the block (S1-S7), the plain-text part (T1-T7), then whether the advice is still
#: true (R1-R2: review date, closed services).
RULES: list[RuleFn] = [
    *config_rules.RULES, *email_rules.RULES, *client_rules.RULES, *header_rules.RULES,
    *block_rules.RULES,
    *text_rules.RULES, *advice_rules.RULES,
]

#: The rules run on a translation: all but R1/R2 (review dates, closed services), which the
#: English's checks already cover for every translation.
TRANSLATION_RULES: list[RuleFn] = [r for r in RULES if r not in advice_rules.RULES]

#: The neutral recipient of the sample message that ``mailer check`` composes.
SAMPLE_RECIPIENT = "parent@example.com"


def compose_sample(rendered: Rendered, config: Config) -> bytes:
    """One message as :class:`~mailer.compose.Composer` would send it, to a neutral
    reader (``parent@example.com``, "Dear Parent/Carer"), as bytes with CRLF."""
    composer = Composer(rendered, config.sender)
    return composer.compose(SAMPLE_RECIPIENT, "Parent/Carer", rendered.preview_fields()).data


def tidy(findings: Iterable[Finding]) -> list[Finding]:
    """Drop a finding reported twice for the same element (once for the email, once for
    the block) and fold findings with the same id and message into one, whose element
    says how many more there are. Order is kept."""
    seen: set[tuple[str, str]] = set()
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        if (f.element, f.message) in seen:
            continue
        seen.add((f.element, f.message))
        groups.setdefault((f.id, f.severity, f.message), []).append(f)
    out = []
    for (rule_id, severity, message), items in groups.items():
        element = items[0].element
        if len(items) > 1:
            element += f" (and {len(items) - 1} more like it)"
        out.append(Finding(rule_id, severity, element, message))
    return out


def run_checks(rendered: Rendered, composed_sample: bytes | None, config: Config,
               rules: list[RuleFn] | None = None) -> list[Finding]:
    """Check a rendered snippet against every line of ``email-checklist.md`` a program can
    test without a browser.

    Args:
        rendered: the snippet rendered once (full email, block, text part).
        composed_sample: one whole message as sent (see :func:`compose_sample`), for the
            MIME structure, line lengths and headers; ``None`` skips those rules.
        config: the workspace's ``mailer.yaml`` (sender, brand colour, contact).
        rules: the rules to run (default :data:`RULES`, all of them).

    Returns:
        The findings, errors and warnings in checklist order; empty when all is well.
    """
    html, text = rendered.personalise(rendered.preview_fields())
    inputs = Inputs(html=html, block=rendered.block, text=text, message=composed_sample,
                    snippet=rendered.snippet, config=config)
    found: list[Finding] = []
    for rule in RULES if rules is None else rules:
        found.extend(rule(inputs))
    return tidy(found)


@dataclass(frozen=True)
class TranslationCheck:
    """The checks of one translation: ``language`` (tag), ``path`` (its file) and
    ``findings``: the email checklist on its rendering, and L1-L7 (see
    :mod:`mailer.checks.translation_rules`)."""

    language: str
    path: str
    findings: list[Finding]

    def as_dict(self) -> dict[str, object]:
        """``{"language", "name", "file", "ok", "findings"}`` for ``--json``."""
        return {
            "language": self.language,
            "name": english_name(self.language),
            "file": self.path,
            "ok": not any(f.severity == "error" for f in self.findings),
            "findings": [_finding_dict(f) for f in self.findings],
        }


def _finding_dict(f: Finding) -> dict[str, str]:
    return {"id": f.id, "severity": f.severity, "element": f.element, "message": f.message}


@dataclass(frozen=True)
class CheckReport:
    """The result of ``mailer check SNIPPET``.

    Attributes:
        snippet: the snippet id.
        findings: what :func:`run_checks` found in the English.
        translations: the same checks, and the comparison with the English, for each
            translation (``snippets/SNIPPET.LANG.yaml``).
    """

    snippet: str
    findings: list[Finding]
    translations: tuple[TranslationCheck, ...] = ()

    def _all(self) -> list[Finding]:
        return [*self.findings, *(f for t in self.translations for f in t.findings)]

    @property
    def errors(self) -> int:
        """How many findings are errors (translations included)."""
        return sum(1 for f in self._all() if f.severity == "error")

    @property
    def warnings(self) -> int:
        """How many findings are warnings (translations included)."""
        return sum(1 for f in self._all() if f.severity == "warning")

    def as_dict(self) -> dict[str, object]:
        """``{"snippet", "ok", "errors", "warnings", "rules", "findings": [{id, severity,
        element, message}]}`` for ``--json``."""
        return {
            "snippet": self.snippet,
            "ok": self.errors == 0,
            "errors": self.errors,
            "warnings": self.warnings,
            "rules": len(RULES),
            "findings": [_finding_dict(f) for f in self.findings],
            "translations": [t.as_dict() for t in self.translations],
        }

    def as_text(self) -> str:
        """The report in plain words, one finding per paragraph, then a section per
        translation."""
        if not self._all():
            done = (f"{self.snippet}: no problems found ({len(RULES)} checks of the email, "
                    "the newsletter block, the plain text and the headers")
            if self.translations:
                done += ", in English and in " + ", ".join(
                    english_name(t.language) for t in self.translations)
            return done + ")."
        lines = [f"{self.snippet}: {self.errors} error(s), {self.warnings} warning(s)"]
        for f in self.findings:
            lines.append(f"  {f.severity.upper():7} {f.id:4} {f.element}")
            lines.append(f"               {f.message}")
        for t in self.translations:
            if not t.findings:
                lines.append(f"{english_name(t.language)} ({t.path}): no problems found.")
                continue
            lines.append(f"{english_name(t.language)} ({t.path}):")
            for f in t.findings:
                lines.append(f"  {f.severity.upper():7} {f.id:4} {f.element}")
                lines.append(f"               {f.message}")
        if self.errors:
            lines.append("Fix the errors before sending: some parents would not be able to "
                         "read the email.")
        return "\n".join(lines)


def check_snippet(ws: Workspace, name: str) -> CheckReport:
    """Render snippet ``name`` of workspace ``ws`` as it would be sent, compose a sample
    message and run every check on them.

    Raises:
        MailerError: for a missing snippet, a snippet/config mistake or a template error.
    """
    rendered = render_snippet(ws, name)
    config = ws.config
    findings = run_checks(rendered, compose_sample(rendered, config), config)
    english = rendered.snippet
    checks = []
    for language, path in snippet_translations(ws, english).items():
        checks.append(TranslationCheck(language, str(path), check_translation(
            ws, english, language, path)))
    return CheckReport(snippet=english.id, findings=findings, translations=tuple(checks))


def check_translation(ws: Workspace, english: Snippet, language: str,
                      path: Path) -> list[Finding]:
    """Every check of the translation of ``english`` into ``language`` at ``path``: the
    checklist on its rendering, the comparison with the English (L1-L6) and its catalog
    (L7). A translation that cannot be loaded or rendered is one error (L0)."""
    try:
        translated = load_snippet(path)
        rendered = render(translated, ws.config, ws.template_dirs)
    except MailerError as exc:
        return [error("L0", path.name, f"this translation cannot be used: {exc}")]
    return translation_findings(ws, english, translated, rendered, path)


def translation_findings(ws: Workspace, english: Snippet, translated: Snippet,
                         rendered: Rendered, path: Path) -> list[Finding]:
    """The checks of a loaded and rendered translation (also an unsaved one in the
    browser editor, as if saved at ``path``): see :func:`check_translation`."""
    language = translated.language
    # R1/R2 (review dates, closed services) already cover every translation from the
    # English's checks: not repeated here.
    found = run_checks(rendered, compose_sample(rendered, ws.config), ws.config,
                       TRANSLATION_RULES)
    found += compare(english, translated, path, english.path)
    found += catalog_findings(load_catalog(language, ws.template_dirs), language)
    return tidy(found)
