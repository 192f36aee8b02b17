"""Options that must not go together or need a yes: --dry-run with --test-to is refused, and
``status --purge`` asks first (and needs --yes without a terminal)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, journal_states
from tests.smtp_server import SmtpServer


def test_dry_run_with_test_to_is_refused_and_sends_nothing(mailer, workspace: Path) -> None:
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", "lists/example-parents.csv", "--dry-run",
                        "--test-to", "dsl@hollybank.example.sch.uk")
        received = list(server.received)
    assert result.returncode == 2
    assert "choose one" in result.stderr and "Traceback" not in result.stderr
    assert received == []


def test_purge_asks_first_and_needs_yes_without_a_terminal(mailer, workspace: Path) -> None:
    assert mailer("send", SNIPPET, "--list", "lists/example-parents.csv").returncode == 0
    name = f"{SNIPPET}--example-parents"
    refused = mailer("status", name, "--purge")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert len(journal_states(workspace, name)) == 15  # nothing was deleted

    # On a terminal the question comes first; answering n keeps the records.
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "status", name, "--purge"],
                            cwd=workspace, env=env, stdin=slave, stderr=slave,
                            stdout=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while b"[y/N]" not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, seen
            seen += os.read(master, 4096)
        os.write(master, b"n\n")
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = " ".join(seen.decode().split())
    assert (f"Delete the records of campaign {name} (15 parents, 15 written to the outbox "
            "folder, not emailed)? Sending it again would send to everyone again. [y/N]") in text
    assert proc.returncode == 0
    assert len(journal_states(workspace, name)) == 15

    deleted = mailer("status", name, "--purge", "--yes")
    assert deleted.returncode == 0 and "15 recipient records" in deleted.stdout
