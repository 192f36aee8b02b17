"""``mailer send`` and ``mailer status`` as a person uses them, run in this process through
the real entry point: refusing without --yes, dry run, proof, JSON summary, resuming,
changes between runs, status and purge, throttling."""

from __future__ import annotations

import json
import mailbox
from email import policy
from email.parser import BytesParser
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mailer.outcome import State
from tests.conftest import set_smtp
from tests.keyring_backend import FileKeyring
from tests.sendkit import SNIPPET, assert_agree, journal_states, write_list
from tests.smtp_server import LocalCA, RecordingHandler, SmtpServer


def outbox_count(ws: Path) -> int:
    new = ws / "outbox" / "new"
    return len(list(new.iterdir())) if new.exists() else 0


def test_smtp_send_off_a_terminal_needs_yes(mailer, workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg)
        received = list(server.received)
    assert result.returncode == 2
    assert "run the same command with --yes" in result.stderr
    assert "Send 3 emails as office@hollybank.example.sch.uk via 127.0.0.1?" not in result.stderr
    assert "Campaign:" in result.stderr and "Rate:" in result.stderr  # the summary came first
    assert received == []


def test_password_from_the_system_keyring(mailer, workspace: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    list_arg, addrs = write_list(workspace, 2)
    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({"mailer:office": "kr-pw"}))
    monkeypatch.setenv("MAILER_TEST_KEYRING", str(store))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    ca = LocalCA(tmp_path)
    try:
        with SmtpServer(tls_context=ca.server_context(), users={"office": "kr-pw"}) as server:
            set_smtp(workspace, host="127.0.0.1", port=server.port, username="office",
                     ca_file=str(ca.ca_file))
            result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
            received = list(server.received)
    finally:
        keyring.set_keyring(previous)
    assert result.returncode == 0, result.stderr
    assert sorted(r.rcpt_tos[0] for r in received) == addrs


def test_no_keyring_backend_and_no_terminal_is_a_clear_error(mailer, workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    set_smtp(workspace, host="127.0.0.1", port=2, security="none", username="office")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    finally:
        keyring.set_keyring(previous)
    assert result.returncode == 2
    assert "\nError: no password for office" in result.stderr
    assert "Traceback" not in result.stderr


def test_dry_run_shows_the_first_message_and_sends_nothing(mailer, workspace: Path) -> None:
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none",
                 rate_per_minute=1)
        result = mailer("send", SNIPPET, "--list", "lists/example-parents.csv",
                            "--dry-run")
        received = list(server.received)
    assert result.returncode == 0, result.stderr
    assert received == [] and server.handler.connections_made == 0
    assert "To: Sadia Khan <sadia.khan@example.com>" in result.stdout
    assert "Dear Mrs Khan," in result.stdout
    assert "Recipients: 15 on the list; 15 to send now" in result.stderr
    assert "Time:       about 14 minutes" in result.stderr  # the first at once, then 1/min
    assert not (workspace / ".mailer" / "journal.sqlite3").exists()
    as_json = json.loads(mailer("send", SNIPPET, "--list", "lists/example-parents.csv",
                                "--dry-run", "--json").stdout)
    assert (as_json["dry_run"], as_json["to_send"], as_json["transport"]) == (True, 15, "smtp")
    assert as_json["first_message"]["headers"]["To"] == "Sadia Khan <sadia.khan@example.com>"
    assert not (workspace / ".mailer").exists()


def test_test_to_sends_one_proof_and_journals_nothing(mailer, workspace: Path) -> None:
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", "lists/example-parents.csv",
                            "--test-to", "dsl@hollybank.example.sch.uk")
        received = list(server.received)
    assert result.returncode == 0, result.stderr
    assert len(received) == 1 and received[0].rcpt_tos == ["dsl@hollybank.example.sch.uk"]
    msg = BytesParser(policy=policy.default).parsebytes(received[0].data)
    assert msg["Subject"].startswith("[TEST] ")
    assert str(msg["To"]) == "dsl@hollybank.example.sch.uk"  # no parent's name
    assert "Dear Mrs Khan," in msg.get_body(("plain",)).get_content()
    assert not (workspace / ".mailer" / "journal.sqlite3").exists()


def test_json_summary_and_rerun_never_writes_twice(mailer, workspace: Path) -> None:
    send = ("send", SNIPPET, "--list", "lists/example-parents.csv", "--json")
    first = mailer(*send)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["written"] == 15, "written to the outbox folder, not emailed"
    assert {k: data[k] for k in ("campaign", "recipients", "sent", "failed", "deferred",
                                 "uncertain", "skipped", "transport")} == {
        "campaign": f"{SNIPPET}--example-parents", "recipients": 15, "sent": 0, "failed": 0,
        "deferred": 0, "uncertain": 0, "skipped": 0, "transport": "outbox"}
    again = mailer(*send)
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert (data["sent"], data["skipped"], data["already_sent"]) == (0, 15, 15)
    assert "Nothing to send: 15 of 15 recipients" in again.stderr
    assert outbox_count(workspace) == 15
    journal = workspace / ".mailer" / "journal.sqlite3"
    assert oct(journal.stat().st_mode & 0o777) == "0o600"


def test_changed_content_after_a_look_in_the_outbox_writes_it_afresh(
        mailer, workspace: Path) -> None:
    send = ("send", SNIPPET, "--list", "lists/example-parents.csv")
    assert mailer(*send).returncode == 0
    snippet = workspace / "snippets" / f"{SNIPPET}.yaml"
    snippet.write_text(snippet.read_text().replace('subject: "', 'subject: "UPDATED ', 1))
    changed = mailer(*send)
    assert changed.returncode == 0, changed.stderr
    assert outbox_count(workspace) == 30


def test_changed_content_after_a_real_send_stops(mailer, workspace: Path) -> None:
    send = ("send", SNIPPET, "--list", "lists/example-parents.csv", "--yes")
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        assert mailer(*send).returncode == 0
        snippet = workspace / "snippets" / f"{SNIPPET}.yaml"
        snippet.write_text(snippet.read_text().replace('subject: "', 'subject: "UPDATED ', 1))
        changed = mailer(*send)
        assert changed.returncode == 2
        assert "changed since campaign" in changed.stderr and "--campaign" in changed.stderr
        fresh = mailer(*send, "--campaign", "webcams-updated")
        assert fresh.returncode == 0, fresh.stderr
        assert len(server.received) == 30


def test_changed_list_stops_until_accepted(mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 3)
    send = ("send", SNIPPET, "--list", list_arg, "--yes")
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        assert mailer(*send).returncode == 0
        path = workspace / list_arg
        path.write_text(path.read_text() + "Mr,New,Carer,Kid,new.carer@example.com\n")
        changed = mailer(*send)
        assert changed.returncode == 2 and "--list-changed" in changed.stderr
        accepted = mailer(*send, "--list-changed", "--json")
        received = list(server.received)
    assert accepted.returncode == 0, accepted.stderr
    data = json.loads(accepted.stdout)
    assert (data["sent"], data["skipped"]) == (1, 3)
    to = sorted(r.rcpt_tos[0] for r in received)
    assert to == sorted([*addrs, "new.carer@example.com"])


def test_a_changed_list_after_a_look_in_the_outbox_writes_it_afresh(
        mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 3)
    send = ("send", SNIPPET, "--list", list_arg)
    assert mailer(*send).returncode == 0
    path = workspace / list_arg
    path.write_text(path.read_text() + "Mr,New,Carer,Kid,new.carer@example.com\n")
    again = mailer(*send, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["written"] == 4
    box = mailbox.Maildir(workspace / "outbox", create=False)
    assert len(box) == 7


def test_looking_in_the_outbox_first_then_sending_by_smtp_just_works(
        mailer, workspace: Path) -> None:
    send = ("send", SNIPPET, "--list", "lists/example-parents.csv", "--yes")
    looked = mailer(*send)
    assert looked.returncode == 0, looked.stderr
    assert "15 written to the outbox folder (not emailed)" in looked.stdout
    campaign = f"{SNIPPET}--example-parents"
    status = mailer("status")
    assert f"{campaign}: 15 recipients: 0 pending, 15 written to the outbox folder, not " \
        "emailed, 0 deferred" in status.stdout
    assert " sent" not in status.stdout
    detail = mailer("status", campaign, "--json")
    data = json.loads(detail.stdout)
    assert (data["counts"]["sent"], data["counts"]["written"]) == (0, 15)
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        sent = mailer(*send, "--json")
        received = list(server.received)
        again = mailer(*send)
    assert sent.returncode == 0, sent.stderr
    assert "starting afresh: the earlier run only wrote to the outbox folder" in sent.stderr
    assert len(received) == 15, "the outbox run was a look, not a delivery"
    summary = json.loads(sent.stdout)
    assert (summary["sent"], summary["written"], summary["already_sent"]) == (15, 0, 0)
    assert again.returncode == 0 and "Nothing to send: 15 of 15" in again.stderr
    after = json.loads(mailer("status", campaign, "--json").stdout)
    assert (after["counts"]["sent"], after["counts"]["written"]) == (15, 0)
    assert after["transport"] == "smtp 127.0.0.1"


def test_a_proof_to_the_outbox_does_not_mix_with_the_campaign(mailer, workspace: Path) -> None:
    proof = mailer("send", SNIPPET, "--list", "lists/example-parents.csv", "--test-to",
                   "dsl@hollybank.example.sch.uk")
    assert proof.returncode == 0, proof.stderr
    assert f"open it from {workspace / 'outbox' / 'proofs' / 'new'}\n" in proof.stdout
    assert len(list((workspace / "outbox" / "proofs" / "new").iterdir())) == 1
    assert outbox_count(workspace) == 0
    sent = mailer("send", SNIPPET, "--list", "lists/example-parents.csv")
    assert sent.returncode == 0 and outbox_count(workspace) == 15


def test_purge_forgets_a_campaign_so_it_sends_again(mailer, workspace: Path) -> None:
    send = ("send", SNIPPET, "--list", "lists/example-parents.csv", "--yes")
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        assert mailer(*send).returncode == 0
        purge = mailer("status", f"{SNIPPET}--example-parents", "--purge", "--yes")
        assert purge.returncode == 0 and "15 recipient records" in purge.stdout
        sent = mailer(*send)
        received = list(server.received)
    assert sent.returncode == 0, sent.stderr
    assert len(received) == 30


def test_status_shows_who_was_not_sent_and_why(mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 5)
    handler = RecordingHandler(rcpt_replies={addrs[2]: "550 5.1.1 No such user here"})
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 1
    assert f"{addrs[2]}: failed (550 5.1.1 No such user here)" in result.stdout
    campaign = f"{SNIPPET}--parents"
    listing = mailer("status")
    assert f"{campaign}: 5 recipients: 0 pending, 4 sent, 0 deferred, 1 failed" in listing.stdout
    detail = mailer("status", campaign, "--json")
    data = json.loads(detail.stdout)
    assert data["counts"]["sent"] == 4 and data["transport"] == "smtp 127.0.0.1"
    assert data["not_sent"] == [{
        "email": addrs[2], "state": "failed", "code": 550, "enhanced": "5.1.1",
        "reply": "5.1.1 No such user here", "attempts": 1,
        "last_attempt": data["not_sent"][0]["last_attempt"], "earlier": False}]
    unknown = mailer("status", "nope")
    assert unknown.returncode == 2 and campaign in unknown.stderr


def test_throttling_exits_1_and_says_when_to_run_again(mailer, workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 6)
    handler = RecordingHandler(throttle_after=2)
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes", "--json")
        states = journal_states(workspace, f"{SNIPPET}--parents")
        assert_agree(handler.received_by_recipient(), states)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert (data["sent"], data["deferred"], data["pending"]) == (2, 1, 3)
    assert data["stopped"] == "throttled" and data["retry_after"]
    assert data["resume_command"] == f"mailer send {SNIPPET} --list {list_arg} --yes --json"
    assert "Run the same command again after" in result.stderr
    assert "421 4.7.0" in result.stderr and "4 recipients are still to send" in result.stderr


def test_sender_refused_stops_without_failing_everyone(mailer, workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 5)
    handler = RecordingHandler(
        throttle_after=0,
        throttle_reply="550 5.7.60 SMTP; Client does not have permissions to send as this "
                       "sender")
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        states = journal_states(workspace, f"{SNIPPET}--parents")
        assert_agree(handler.received_by_recipient(), states)
        handler.throttle_after = None  # the school fixes the mailbox's permissions
        again = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        received = handler.received_by_recipient()
    assert result.returncode == 2
    assert "will not send as office@hollybank.example.sch.uk (550 5.7.60" in result.stderr
    assert "failed" not in {s.value for s in states.values()}
    assert again.returncode == 0, again.stderr
    assert len(received) == 5 and set(received.values()) == {1}


def test_send_refuses_an_email_that_check_finds_broken(workspace: Path) -> None:
    """A brand colour with too little contrast is a `mailer check` error; send stops too."""
    from tests.conftest import run_mailer

    cfg = workspace / "mailer.yaml"
    cfg.write_text(cfg.read_text().replace('brand_colour: "#1d4f91"', 'brand_colour: "#ffff00"'))
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "mailer check online-safety-webcams" in result.stderr and "E10" in result.stderr
    assert not (workspace / "outbox" / "new").exists() or not any(
        (workspace / "outbox" / "new").iterdir())


def test_send_json_and_status_json_name_things_the_same(mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 3)
    handler = RecordingHandler(rcpt_replies={addrs[1]: "550 5.1.1 No such user here"})
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        sent = mailer("send", SNIPPET, "--list", list_arg, "--yes", "--json")
    status = mailer("status", f"{SNIPPET}--parents", "--json")
    send_data, status_data = json.loads(sent.stdout), json.loads(status.stdout)
    for key in ("sent", "written", "failed", "deferred", "uncertain", "pending"):
        assert key in send_data and key in status_data["counts"], key
    assert (send_data["sent"], status_data["counts"]["sent"]) == (2, 2)
    (one,) = send_data["not_sent"]
    (row,) = status_data["not_sent"]
    assert one == row  # one shape, one set of names, in both
    assert {k: one[k] for k in ("email", "state", "code", "enhanced", "reply", "attempts")} == {
        "email": addrs[1], "state": "failed", "code": 550, "enhanced": "5.1.1",
        "reply": "5.1.1 No such user here", "attempts": 1}


def test_a_stopped_run_counts_add_up_to_everyone(mailer, workspace: Path) -> None:
    """Stopped by a 421 after 2 of 6: the 'So far' line names every recipient, the ones
    not tried yet included, so its numbers add up to the list."""
    list_arg, _ = write_list(workspace, 6)
    handler = RecordingHandler(throttle_after=2)
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("So far:"))
    assert line.startswith("So far: 2 sent, 0 failed, 1 deferred, 0 uncertain, "
                           "3 not tried yet, 0 skipped"), line


class _DeletesTheJournal(RecordingHandler):
    """Accepts messages; after the second one, deletes the workspace's journal files (as
    a person tidying up folders mid-send might)."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__()
        self.state_dir = state_dir

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[override]
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.received) == 2:
            for f in self.state_dir.glob("journal.sqlite3*"):
                f.unlink()
        return reply


def test_journal_deleted_mid_send_is_put_back_and_nobody_is_sent_twice(
        mailer, workspace: Path) -> None:
    """Before, the send went on into the deleted file: 'mailer status' then said nothing
    was sent and the same command emailed everyone again."""
    list_arg, addrs = write_list(workspace, 5)
    handler = _DeletesTheJournal(workspace / ".mailer")
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        first = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert first.returncode == 1, first.stderr
        assert "deleted or replaced while sending" in first.stderr
        assert "Make room on the disk" not in first.stderr
        states = journal_states(workspace, f"{SNIPPET}--parents")
        assert list(states.values()).count(State.SENT) == 2
        again = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        received = handler.received_by_recipient()
        states = journal_states(workspace, f"{SNIPPET}--parents")
    assert again.returncode == 0, again.stderr
    assert received == {a: 1 for a in addrs}
    assert_agree(received, states)
