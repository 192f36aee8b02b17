"""Is the advice still true? Review dates (R1) and closed or changed services (R2) in
``mailer check``, ``mailer snippets`` and ``mailer send``, for a snippet and for its
translations (``snippets/ID.LANG.yaml``)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from mailer.advice import (
    add_months,
    load_services,
    review_state,
    services_named,
    snippet_family,
)
from mailer.checks import check_snippet
from mailer.workspace import Workspace
from tests.conftest import REPO, run_mailer, set_smtp
from tests.sendkit import SNIPPET, run_cli, write_list
from tests.smtp_server import SmtpServer

TODAY = dt.date.today()
DEMO = "online-safety-webcams"


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def set_reviewed(path: Path, value: str | None) -> None:
    text = re.sub(r"(?m)^reviewed:.*\n?", "", path.read_text())
    path.write_text(text + (f"reviewed: {value}\n" if value else ""))


def advice_findings(ws: Path, name: str = DEMO) -> list[tuple[str, str, str]]:
    return [(f.id, f.element, f.message) for f in check_snippet(Workspace(ws), name).findings
            if f.id in ("R1", "R2")]


def translation(ws: Path, lang: str, body: str, reviewed: str | None = None) -> Path:
    path = ws / "snippets" / f"{DEMO}.{lang}.yaml"
    path.write_text(
        f"title: T\nsubject: S\npreheader: P\ndate: 2026-01-10\nlanguage: {lang}\n"
        f"body: |\n  {body}\n" + (f"reviewed: {reviewed}\n" if reviewed else ""),
        encoding="utf-8")
    return path


# --- review dates -------------------------------------------------------------------------

def test_months_are_calendar_months() -> None:
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 11, 15), 12) == dt.date(2026, 11, 15)
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)


def test_review_state_boundaries() -> None:
    reviewed = dt.date(2025, 3, 10)
    due = dt.date(2026, 3, 10)
    assert review_state(reviewed, 12, due).status == "due_soon"  # due today: not yet late
    assert review_state(reviewed, 12, due + dt.timedelta(days=1)).status == "overdue"
    assert review_state(reviewed, 12, dt.date(2025, 6, 1)).status == "ok"
    assert review_state(None, 12, due).status == "missing"
    assert review_state(reviewed, 6, dt.date(2025, 9, 11)).status == "overdue"
    state = review_state(reviewed, 12, due + dt.timedelta(days=1))
    assert state.short() == "OVERDUE since 2026-03-10"
    assert "was last reviewed on 2025-03-10" in state.sentence("x.yaml")
    assert "due on 2026-03-10" in state.sentence("x.yaml")


def english_only(ws: Path) -> None:
    """Remove the demo's translations: these tests are about the English file
    (translations are covered by test_translations_are_reviewed_too and
    test_services_in_every_language)."""
    for path in (ws / "snippets").glob(f"{DEMO}.*.yaml"):
        path.unlink()


def test_check_warns_on_missing_and_overdue_review(workspace: Path) -> None:
    english_only(workspace)
    path = workspace / "snippets" / f"{DEMO}.yaml"
    set_reviewed(path, None)
    (r1,) = [f for f in advice_findings(workspace) if f[0] == "R1"]
    assert r1[1] == f"reviewed: (none) ({DEMO}.yaml)" and "has no review date" in r1[2]
    set_reviewed(path, days_ago(400))
    (r1,) = [f for f in advice_findings(workspace) if f[0] == "R1"]
    assert f"last reviewed on {days_ago(400)}" in r1[2]
    set_reviewed(path, days_ago(30))
    assert [f for f in advice_findings(workspace) if f[0] == "R1"] == []
    result = run_mailer("check", DEMO, "--json", cwd=workspace)
    assert result.returncode == 0  # warnings: the email can still be sent


def test_review_interval_comes_from_mailer_yaml(workspace: Path) -> None:
    english_only(workspace)
    set_reviewed(workspace / "snippets" / f"{DEMO}.yaml", days_ago(200))
    assert [f for f in advice_findings(workspace) if f[0] == "R1"] == []
    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text())
    cfg["review"] = {"every_months": 6}
    (workspace / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (r1,) = [f for f in advice_findings(workspace) if f[0] == "R1"]
    assert "every 6 months" in r1[2]
    cfg["review"] = {"every_months": "six"}
    (workspace / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    result = run_mailer("check", DEMO, cwd=workspace)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "every_months" in result.stderr and "six" in result.stderr
    assert re.search(r"mailer\.yaml, line \d+", result.stderr)


def test_translations_are_reviewed_too(workspace: Path) -> None:
    set_reviewed(workspace / "snippets" / f"{DEMO}.yaml", days_ago(10))
    # No date of its own: reviewed with the English.
    translation(workspace, "pl", "Rozmawiaj z dzieckiem.")
    assert [f for f in advice_findings(workspace) if f[0] == "R1"] == []
    # Its own date, overdue: reported, naming the file.
    translation(workspace, "pl", "Rozmawiaj z dzieckiem.", reviewed=days_ago(500))
    (r1,) = [f for f in advice_findings(workspace) if f[0] == "R1"]
    assert r1[1] == f"reviewed: {days_ago(500)} ({DEMO}.pl.yaml)"
    # Checking the translation itself reports it too.
    (r1,) = [f for f in advice_findings(workspace, str(
        workspace / "snippets" / f"{DEMO}.pl.yaml")) if f[0] == "R1"]
    assert f"{DEMO}.pl.yaml" in r1[1]


# --- closed and changed services ----------------------------------------------------------

def test_the_seed_names_closed_services(workspace: Path) -> None:
    english_only(workspace)
    r2 = [(e, m) for i, e, m in advice_findings(workspace) if i == "R2"]
    assert [e for e, _ in r2] == [f"ooVoo ({DEMO}.yaml, line 28)", f"Skype ({DEMO}.yaml, line 28)",
                                  f"Net Aware ({DEMO}.yaml, line 88)"]
    assert r2[0][1].startswith("ooVoo closed in 2017: consider removing it")
    assert "Microsoft retired Skype on 5 May 2025" in r2[1][1]
    assert "net-aware.org.uk/news/" in r2[2][1]  # each names its source


def test_services_in_every_language(workspace: Path) -> None:
    translation(workspace, "pl", "Strony takie jak Omegle łączą dzieci z obcymi.")
    translation(workspace, "ar", "تطبيقات مثل Houseparty و Musical.ly")
    found = {(i, e) for i, e, _ in advice_findings(workspace) if i == "R2"}
    assert (("R2", f"Omegle ({DEMO}.pl.yaml, line 7)") in found)
    assert (("R2", f"Houseparty ({DEMO}.ar.yaml, line 7)") in found)
    assert (("R2", f"Musical.ly ({DEMO}.ar.yaml, line 7)") in found)


def test_names_and_addresses_match_but_not_other_words() -> None:
    services = load_services()
    text = """\
# Skype is named in this comment only.
body: |
  Apps such as skype and the NET AWARE guide. A Skyper is not Skype-like? Twitterati.
links:
  - title: Guide to apps
    url: https://www.net-aware.org.uk/networks/
  - title: Twitter
    url: https://x.com/
sources:
  - title: Omegle closes (news)
    url: https://omegle.com/
"""
    found = {m.service.name: (m.line, m.text) for m in services_named(text, Path("t.yaml"),
                                                                       services)}
    assert found == {"Skype": (3, "skype"), "Net Aware": (3, "NET AWARE"),
                     "Twitter": (7, "Twitter")}


def test_services_data_file_is_complete() -> None:
    services = {s.name: s for s in load_services()}
    assert {"ooVoo", "Omegle", "Skype", "Net Aware"} <= set(services)
    for s in services.values():
        assert s.status in ("closed", "renamed", "retired", "moved")
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", s.date), s
        assert s.source.startswith("https://"), s
        assert s.message().startswith(s.what)


def test_family_is_the_snippet_and_its_translations(tmp_path: Path) -> None:
    for name in ("a.yaml", "a.pl.yaml", "a.pt-BR.yaml", "ab.yaml", "a.b.c.yaml", "b.pl.yaml"):
        (tmp_path / name).write_text("x: 1\n")
    names = [p.name for p in snippet_family(tmp_path / "a.pl.yaml")]
    assert names == ["a.yaml", "a.pl.yaml", "a.pt-BR.yaml"]


# --- mailer snippets and mailer send ------------------------------------------------------

def test_snippets_table_shows_review_state(workspace: Path) -> None:
    set_reviewed(workspace / "snippets" / f"{DEMO}.yaml", days_ago(400))
    other = workspace / "snippets" / "second.yaml"
    other.write_text((REPO / "snippets" / f"{DEMO}.yaml").read_text())
    set_reviewed(other, None)
    result = run_mailer("snippets", cwd=workspace)
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    due = add_months(dt.date.fromisoformat(days_ago(400)), 12)
    assert f"OVERDUE since {due.isoformat()}" in rows[DEMO]
    assert "NOT REVIEWED" in rows["second"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_send_shows_the_warnings_before_asking_and_does_not_refuse(
        workspace: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_reviewed(workspace / "snippets" / f"{DEMO}.yaml", days_ago(400))
    monkeypatch.chdir(workspace)
    list_arg, _ = write_list(workspace, 3)
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
        asked = run_cli(capsys, "send", SNIPPET, "--list", list_arg)
        monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
        sent = run_cli(capsys, "send", SNIPPET, "--list", list_arg)
        received = len(server.received)
    err = asked.stderr
    assert asked.returncode == 0 and "Nothing was sent." in err
    review = err.index("Review:     WARNING:")
    assert err.index("Campaign:") < review < err.index("Send 3 emails as")
    assert f"last reviewed on {days_ago(400)}" in err
    assert err.index("Advice:     WARNING: it names ooVoo, Skype, Net Aware") < err.index(
        "Send 3 emails as")
    assert sent.returncode == 0 and received == 3  # a warning, not a refusal
    assert "Review:     WARNING:" in sent.stderr


def test_send_json_dry_run_is_still_one_object(workspace: Path) -> None:
    set_reviewed(workspace / "snippets" / f"{DEMO}.yaml", None)
    result = run_mailer("send", DEMO, "--list", "lists/example-parents.csv", "--dry-run",
                        "--json", cwd=workspace)
    assert result.returncode == 0
    assert json.loads(result.stdout)["dry_run"] is True
    assert "Review:     WARNING:" in result.stderr and "has no review date" in result.stderr


# --- the companion advisory ---------------------------------------------------------------

def test_companion_advisory_is_current_sourced_and_clean() -> None:
    from mailer.snippets import load_snippet

    path = REPO / "snippets" / "online-safety-2026.yaml"
    snippet = load_snippet(path)
    report = check_snippet(Workspace(REPO), "online-safety-2026")
    assert report.errors == 0 and report.findings == []
    assert snippet.reviewed is not None and snippet.reviewed_by
    assert review_state(snippet.reviewed, 12, snippet.reviewed).status == "ok"
    assert len(snippet.sources) >= 8
    for source in snippet.sources:
        assert source.url.startswith("https://") and re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                                   source.date), source
    text = " ".join(snippet.body.split())
    for topic in ("National Crime Agency", "sextortion", "nudify", "Report Remove",
                  "Internet Watch Foundation", "Childline", "Take It Down", "CEOP",
                  "not be in trouble", "never to blame"):
        assert topic in text, topic
    assert "2024" in text  # the NCA's alert to schools of April 2024
    assert snippet.call_to_action is not None and "ceop.police.uk" in snippet.call_to_action.url
    assert services_named(snippet.source_text, path) == []


def test_snippets_table_counts_a_translation_as_reviewed_with_its_advisory(
        workspace: Path) -> None:
    # README: a translation with no date of its own counts as reviewed with the advisory
    # it translates; `mailer check` did so, the table said NOT REVIEWED.
    set_reviewed(workspace / "snippets" / f"{DEMO}.yaml", days_ago(10))
    translation(workspace, "pl", "Tekst.")
    translation(workspace, "ar", "نص", reviewed=days_ago(400))
    # The table lists translations with their advisory (issue 13), under its review state.
    result = run_mailer("snippets", cwd=workspace)
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert f"reviewed {days_ago(10)}" in rows[DEMO] and "translated: ar, pl" in rows[DEMO]
    # check: Polish (no date of its own) is reviewed with the advisory; Arabic is overdue.
    due = add_months(dt.date.fromisoformat(days_ago(400)), 12)
    r1 = [f for f in advice_findings(workspace) if f[0] == "R1"]
    assert not [f for f in r1 if f"{DEMO}.pl.yaml" in f[1]]
    (arabic,) = [f for f in r1 if f"{DEMO}.ar.yaml" in f[1]]
    assert f"its review was due on {due.isoformat()}" in arabic[2]


def test_snippets_table_says_when_the_review_setting_is_wrong(workspace: Path) -> None:
    # Listing works without a valid mailer.yaml, but a wrong `review:` must not be
    # ignored in silence: the states shown would be for 12 months, not what was written.
    with (workspace / "mailer.yaml").open("a") as f:
        f.write("review:\n  every_months: 0\n")
    result = run_mailer("snippets", cwd=workspace)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert DEMO in result.stdout
    assert "mailer.yaml, line" in result.stderr and "every_months" in result.stderr
    assert "12 months" in result.stderr


def test_a_review_date_in_the_future_is_a_warning(workspace: Path) -> None:
    # 2027 typed for 2026: the advice would not be flagged for two years.
    path = workspace / "snippets" / f"{DEMO}.yaml"
    future = (TODAY + dt.timedelta(days=200)).isoformat()
    set_reviewed(path, future)
    found = [f for f in advice_findings(workspace) if f[0] == "R1"]
    # The English, and each demo translation (reviewed with it), are flagged alike.
    assert [f for f in found if f[1].endswith(f"({DEMO}.yaml)")]
    assert all(future in f[2] and "future" in f[2] for f in found)
    rows = {line.split()[0]: line for line in
            run_mailer("snippets", cwd=workspace).stdout.splitlines()}
    assert "FUTURE" in rows[DEMO]
    assert review_state(TODAY, 12, TODAY).status == "ok"  # today is not the future
