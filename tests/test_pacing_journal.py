"""The rate limiter and daily cap on a controlled clock; the journal's file and records;
the password chain; provider presets."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from pathlib import Path

import keyring
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keyring.backends import fail

from mailer.config import load_config
from mailer.credentials import smtp_password
from mailer.engine import RunResult
from mailer.errors import ConfigError
from mailer.journal import AWAITING_REPLY, Journal, JournalError, SendLock
from mailer.outcome import Outcome, RecipientOutcome, State
from mailer.progress import LineProgress, make_progress
from mailer.ratelimit import DAY_S, DailyCap, TokenBucket
from tests.conftest import set_smtp
from tests.sendkit import FakeClock

# -- rate limit ---------------------------------------------------------------------------


def max_in_any_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.integers(min_value=1, max_value=120),
    workers=st.integers(min_value=1, max_value=5),
    messages=st.integers(min_value=1, max_value=150),
    pauses=st.lists(st.floats(min_value=0, max_value=30), max_size=20),
)
def test_token_bucket_never_exceeds_the_rate_in_any_60s_window(
    rate: int, workers: int, messages: int, pauses: list[float]
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock)
    grants: list[float] = []
    queue = list(range(messages))

    async def worker(n: int) -> None:
        while queue:
            queue.pop()
            grants.append(await bucket.acquire())
            if pauses:  # some connections are slow now and then
                await clock.sleep(pauses[(len(grants) + n) % len(pauses)])

    async def main() -> None:
        await asyncio.gather(*(worker(n) for n in range(workers)))

    asyncio.run(main())
    assert len(grants) == messages
    assert max_in_any_window(grants) <= rate
    gaps = [b - a for a, b in zip(sorted(grants), sorted(grants)[1:], strict=False)]
    assert all(g >= 60.0 / rate - 1e-9 for g in gaps), "no burst: grants are spaced"


def test_token_bucket_is_not_slower_than_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock)

    async def main() -> list[float]:
        return [await bucket.acquire() for _ in range(31)]

    grants = asyncio.run(main())
    assert grants[-1] - grants[0] == pytest.approx(60.0)


def test_token_bucket_remembers_a_previous_run() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock, last_grant=clock.monotonic() - 0.5)
    granted = asyncio.run(bucket.acquire())
    assert granted - clock.monotonic() == 0 and granted >= 1000.0 + 1.5


def test_waiting_for_a_token_notices_a_stop_within_a_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1, clock)  # one a minute
    stopped_at = clock.monotonic() + 2.5

    async def main() -> tuple[float | None, float | None]:
        first = await bucket.acquire()
        second = await bucket.acquire(lambda: clock.monotonic() >= stopped_at)
        return first, second

    first, second = asyncio.run(main())
    assert first is not None and second is None
    assert clock.monotonic() - stopped_at < 1.0


def test_no_rate_means_no_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0, clock)

    async def main() -> None:
        for _ in range(100):
            await bucket.acquire()

    asyncio.run(main())
    assert sum(clock.slept) == 0


def test_daily_cap_is_a_rolling_24_hours() -> None:
    clock = FakeClock()
    now = clock.time()
    cap = DailyCap(3, [now - DAY_S - 1, now - 7200, now - 3600], clock)
    assert cap.remaining() == 1  # the oldest fell out of the 24 hours
    assert cap.take() and not cap.take()
    assert cap.next_free() == pytest.approx(now - 7200 + DAY_S)
    assert cap.next_free(2) == pytest.approx(now - 3600 + DAY_S)
    clock.advance(DAY_S - 7200 + 1)
    assert cap.remaining() == 1 and cap.take()
    assert DailyCap(0, [now] * 10, clock).take(), "0 means no cap"


# -- journal ------------------------------------------------------------------------------


def test_journal_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "ws" / ".mailer" / "journal.sqlite3"
    with Journal(path) as journal:
        journal.start_campaign("c", snippet="s", list_path="l", list_hash="h",
                               content_hash="x", transport="outbox")
        journal.add_recipients("c", ["A@Example.com"])
        wal = Path(str(path) + "-wal")
        assert wal.exists()
        assert stat.S_IMODE(os.stat(wal).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_journal_records_every_step(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "journal.sqlite3"
    with Journal(path, now=clock.time) as journal:
        journal.start_campaign("c", snippet="s", list_path="l", list_hash="h",
                               content_hash="x", transport="smtp h")
        journal.add_recipients("c", ["A@Example.com", "b@example.com"])
        journal.add_recipients("c", ["a@example.com", "c@example.com"])  # no duplicates
        assert journal.states("c") == {
            "a@example.com": State.PENDING, "b@example.com": State.PENDING,
            "c@example.com": State.PENDING,
        }
        journal.mark_uncertain("c", "a@example.com", "<1@x>")
        row = journal.recipients("c", [State.UNCERTAIN])[0]
        assert (row.reply, row.attempts, row.message_id) == (AWAITING_REPLY, 1, "<1@x>")
        clock.advance(5)
        journal.record("c", "a@example.com", Outcome(State.SENT, 250, "OK"), message_id="<1@x>")
        journal.record("c", "b@example.com", Outcome(State.DEFERRED, 451, "later"),
                       new_attempt=True)
        rows = {r.email: r for r in journal.recipients("c")}
        assert rows["a@example.com"].attempts == 1 and rows["a@example.com"].state is State.SENT
        assert rows["a@example.com"].last_attempt == clock.time()
        assert rows["b@example.com"].attempts == 1 and rows["b@example.com"].code == 451
        assert journal.counts("c") == {"pending": 1, "sent": 1, "written": 0, "deferred": 1,
                                       "failed": 0, "uncertain": 0}
        assert journal.submissions_since(0) == [clock.time() - 5]
        assert journal.purge("c") == 3
        assert journal.campaign("c") is None and journal.states("c") == {}
        # The daily cap still counts the submission, without the campaign's name.
        assert len(journal.submissions_since(0)) == 1
    # A kill leaves no half-written state: a new connection sees every commit.
    with Journal(path, create=False) as again:
        assert again.campaigns() == []


def test_missing_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="nothing has been sent"):
        Journal(tmp_path / "nope.sqlite3", create=False)


def test_send_lock_is_exclusive(tmp_path: Path) -> None:
    with SendLock(tmp_path), pytest.raises(JournalError, match="another 'mailer send'"):
        SendLock(tmp_path).acquire()
    with SendLock(tmp_path):  # released again
        pass


# -- password chain -----------------------------------------------------------------------


@pytest.fixture
def smtp_config(workspace: Path):
    set_smtp(workspace, host="smtp.example.org", username="office@school.example",
             password_env="MAILER_TEST_PW")
    return load_config(workspace / "mailer.yaml").smtp


def test_password_from_environment_first(smtp_config, file_keyring, monkeypatch) -> None:
    keyring.set_password("mailer", "office@school.example", "from-keyring")
    monkeypatch.setenv("MAILER_TEST_PW", "from-env")
    assert smtp_password(smtp_config, interactive=False) == "from-env"
    monkeypatch.delenv("MAILER_TEST_PW")
    assert smtp_password(smtp_config, interactive=False) == "from-keyring"
    assert json.loads(file_keyring.read_text()) == {"mailer:office@school.example":
                                                    "from-keyring"}


def test_no_keyring_backend_falls_through_to_prompt(smtp_config, monkeypatch) -> None:
    monkeypatch.delenv("MAILER_TEST_PW", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        asked: list[str] = []
        got = smtp_password(smtp_config, interactive=True,
                            prompt=lambda text: asked.append(text) or "typed")
        assert got == "typed"
        assert asked == ["Password for office@school.example at smtp.example.org: "]
        with pytest.raises(ConfigError) as err:
            smtp_password(smtp_config, interactive=False)
    finally:
        keyring.set_keyring(previous)
    assert "MAILER_TEST_PW" in str(err.value) and "keyring set mailer" in str(err.value)


def test_no_username_needs_no_password(workspace: Path) -> None:
    set_smtp(workspace, host="127.0.0.1", security="none")
    assert smtp_password(load_config(workspace / "mailer.yaml").smtp) is None


# -- provider presets ---------------------------------------------------------------------


def test_microsoft365_preset_fills_documented_limits(workspace: Path) -> None:
    set_smtp(workspace, provider="microsoft365", username="office@school.example")
    smtp = load_config(workspace / "mailer.yaml").smtp
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.office365.com", 587, "starttls")
    assert (smtp.rate_per_minute, smtp.daily_cap, smtp.connections) == (30, 10_000, 3)


def test_explicit_keys_override_the_preset(workspace: Path) -> None:
    set_smtp(workspace, provider="google", rate_per_minute=10, connections=2)
    smtp = load_config(workspace / "mailer.yaml").smtp
    assert (smtp.host, smtp.daily_cap) == ("smtp.gmail.com", 2_000)
    assert (smtp.rate_per_minute, smtp.connections) == (10, 2)


def test_ses_needs_its_regional_host(workspace: Path) -> None:
    set_smtp(workspace, provider="ses")
    with pytest.raises(ConfigError, match="email-smtp"):
        load_config(workspace / "mailer.yaml")
    set_smtp(workspace, provider="ses", host="email-smtp.eu-west-2.amazonaws.com")
    smtp = load_config(workspace / "mailer.yaml").smtp
    assert (smtp.port, smtp.rate_per_minute, smtp.daily_cap) == (587, 840, 50_000)


def test_unknown_provider_names_the_line(workspace: Path) -> None:
    set_smtp(workspace, host="smtp.example.org", provider="hotmail")
    with pytest.raises(ConfigError) as err:
        load_config(workspace / "mailer.yaml")
    assert err.value.line is not None and "microsoft365" in str(err.value)


# -- progress -----------------------------------------------------------------------------


def test_progress_off_a_terminal_is_one_line_per_100(capsys: pytest.CaptureFixture[str]) -> None:
    result = RunResult(due=250)
    with make_progress(250) as progress:
        assert isinstance(progress, LineProgress)
        for i in range(250):
            state = State.FAILED if i == 7 else State.SENT
            result.set_outcome(f"p{i}@example.com",
                               RecipientOutcome(f"p{i}@example.com", Outcome(state)))
            progress.update(result)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "  100 of 250 done: 99 sent, 1 failed, 0 deferred, 0 uncertain",
        "  200 of 250 done: 199 sent, 1 failed, 0 deferred, 0 uncertain",
        "  250 of 250 done: 249 sent, 1 failed, 0 deferred, 0 uncertain",
    ]
    assert list(result.not_sent) == ["p7@example.com"], "sent recipients are only counted"


def test_an_outcome_kept_for_later_is_committed_with_the_next_mark(tmp_path: Path) -> None:
    """record(later=True) writes nothing until the next commit: the next message's
    'uncertain' mark takes it in the same transaction (one write to disk a message), and
    flush() or close() commit it otherwise. Another connection (as after a kill) sees
    either the old state or both changes, never one without the other."""
    path = tmp_path / "journal.sqlite3"

    def seen() -> dict[str, str]:
        other = sqlite3.connect(path)
        try:
            return dict(other.execute("SELECT email, state FROM recipients"))
        finally:
            other.close()

    with Journal(path) as journal:
        journal.start_campaign("c", snippet="s", list_path="l", list_hash="h",
                               content_hash="x", transport="smtp h")
        journal.add_recipients("c", ["a@example.com", "b@example.com", "c@example.com"])
        journal.mark_uncertain("c", "a@example.com", "<1@x>")
        journal.record("c", "a@example.com", Outcome(State.SENT, 250, "OK"), later=True)
        assert seen()["a@example.com"] == "uncertain"  # a kill now: never sent twice
        journal.mark_uncertain("c", "b@example.com", "<2@x>")
        assert seen() == {"a@example.com": "sent", "b@example.com": "uncertain",
                          "c@example.com": "pending"}
        journal.record("c", "b@example.com", Outcome(State.SENT, 250, "OK"), later=True)
        journal.flush()
        assert seen()["b@example.com"] == "sent"
        journal.record("c", "c@example.com", Outcome(State.FAILED, 550, "no such user"),
                       new_attempt=True, later=True)
        assert seen()["c@example.com"] == "pending"
    assert seen()["c@example.com"] == "failed"  # closing commits it


def test_while_sending_the_log_is_checkpointed_less_often(tmp_path: Path) -> None:
    """A checkpoint waits for the disk: while sending, the write-ahead log is copied into
    the database every 4,000 pages, not every 1,000 (SQLite's default, back after)."""
    path = tmp_path / "journal.sqlite3"
    wal = tmp_path / "journal.sqlite3-wal"
    emails = [f"p{i}@example.org" for i in range(700)]

    def messages(journal: Journal) -> None:
        for email in emails:
            journal.mark_uncertain("c", email, "<1@x>")
            journal.record("c", email, Outcome(State.SENT, 250, "OK"), later=True)
        journal.flush()

    with Journal(path) as journal:
        journal.start_campaign("c", snippet="s", list_path="l", list_hash="h",
                               content_hash="x", transport="smtp h")
        journal.add_recipients("c", emails)
        journal._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with journal.fewer_checkpoints():
            messages(journal)
            pages = wal.stat().st_size // 4096
        assert 1000 < pages < Journal.CHECKPOINT_PAGES
        journal.restart("c")
        journal._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        messages(journal)
        assert wal.stat().st_size // 4096 <= 1000 + 10
