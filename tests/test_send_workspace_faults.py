"""The workspace's own files going wrong, through real processes: a damaged journal, a
folder where the send lock should be, a read-only records folder, and private modes
under umask 0."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_mailer
from tests.sendkit import SNIPPET

SEND = ("send", SNIPPET, "--list", "lists/example-parents.csv")


def outbox_files(ws: Path) -> list[Path]:
    new = ws / "outbox" / "new"
    return sorted(new.iterdir()) if new.exists() else []


def test_a_damaged_journal_gives_a_plain_message_and_sends_nothing(workspace: Path) -> None:
    assert run_mailer(*SEND, cwd=workspace).returncode == 0
    journal = workspace / ".mailer" / "journal.sqlite3"
    size = journal.stat().st_size
    assert size > 8192
    with journal.open("r+b") as fh:  # random bytes over the middle of the file
        fh.seek(size // 2 - 2048)
        fh.write(os.urandom(4096))
    before = outbox_files(workspace)
    for args in (("status",), ("status", f"{SNIPPET}--example-parents"), SEND):
        result = run_mailer(*args, cwd=workspace)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert str(Path(".mailer") / "journal.sqlite3") in result.stderr
        assert "the send journal is damaged" in result.stderr
        assert "it sends nothing while its journal is damaged" in result.stderr
        assert "nothing was sent" not in result.stderr  # status would read as "no parent got it"
        assert "mv " in result.stderr and ".damaged" in result.stderr
        assert "record of who was already sent" in result.stderr
    assert outbox_files(workspace) == before
    # Moved aside as told: mailer starts a new journal.
    journal.rename(journal.with_name("journal.sqlite3.damaged"))
    for extra in journal.parent.glob("journal.sqlite3-*"):
        extra.unlink()
    again = run_mailer(*SEND, cwd=workspace)
    assert again.returncode == 0, again.stderr


def test_a_folder_where_the_send_lock_goes_gives_a_plain_message(workspace: Path) -> None:
    (workspace / ".mailer" / "send.lock").mkdir(parents=True)
    result = run_mailer(*SEND, cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "OSError" not in result.stderr
    assert "send.lock: this is a folder" in result.stderr
    assert "Nothing was sent." in result.stderr
    assert outbox_files(workspace) == []


def test_a_file_where_the_records_folder_goes_gives_a_plain_message(workspace: Path) -> None:
    (workspace / ".mailer").write_text("not a folder")
    result = run_mailer(*SEND, cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert ".mailer: this is a file" in result.stderr
    assert outbox_files(workspace) == []


@pytest.fixture
def read_only_records(workspace: Path):  # type: ignore[no-untyped-def]
    """``.mailer`` on a real read-only tmpfs (root can write through chmod 0500, not
    through a read-only mount)."""
    records = workspace / ".mailer"
    records.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs",
                           str(records)], capture_output=True, text=True)
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr}"
    subprocess.run(["mount", "-o", "remount,ro", str(records)], check=True)
    try:
        yield records
    finally:
        subprocess.run(["umount", "-l", str(records)], check=False)


def test_a_read_only_records_folder_gives_a_plain_message(
        workspace: Path, read_only_records: Path) -> None:
    result = run_mailer(*SEND, cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "OSError" not in result.stderr
    assert "Read-only file system" in result.stderr and "nothing was sent" in result.stderr
    assert outbox_files(workspace) == []


def test_outbox_and_records_are_private_even_under_umask_0(workspace: Path) -> None:
    (workspace / ".mailer").mkdir(mode=0o777)
    os.chmod(workspace / ".mailer", 0o777)  # an existing folder, too wide
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    result = subprocess.run([sys.executable, "-m", "mailer", *SEND], cwd=workspace, env=env,
                            capture_output=True, text=True, preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, result.stderr

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    files = outbox_files(workspace)
    assert len(files) == 15
    assert {mode(f) for f in files} == {0o600}
    for folder in ("outbox", "outbox/new", "outbox/cur", "outbox/tmp", ".mailer"):
        assert mode(workspace / folder) == 0o700, folder
    assert mode(workspace / ".mailer" / "journal.sqlite3") == 0o600
    assert mode(workspace / ".mailer" / "send.lock") == 0o600
