"""`mailer lists check` (text and --json), `--where`, and `mailer send` printing the same
row summary before it sends to the valid rows only."""

from __future__ import annotations

import json
import mailbox
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

from tests.conftest import run_mailer

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


def outbox(ws: Path) -> dict[str, str]:
    """To address -> plain-text part, for every message in the outbox."""
    box = mailbox.Maildir(ws / "outbox", create=False)
    out = {}
    for key in box.keys():  # noqa: SIM118 - a Maildir iterates messages, not keys
        msg = BytesParser(policy=policy.default).parsebytes(box.get_bytes(key))
        out[msg["To"].addresses[0].addr_spec] = msg.get_body(("plain",)).get_content()
    return out


def test_lists_check_text_reports_every_row(workspace: Path) -> None:
    result = run_mailer("lists", "check", "lists/example-parents.csv", cwd=workspace)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "example-parents.csv: 20 data rows -> 15 recipients (one message per unique address)",
        "  15 became a recipient",
        "   3 merged into another row's recipient (same address)",
        "   1 invalid address or unreadable row",
        "   1 excluded by a contact flag",
        "  20 rows in all",
    ]
    assert "  line 18: excluded patrick.murphy@example.com: no-contact flag 'No Contact' says "\
           "'Yes'" in lines
    assert "  line 20: invalid emre.demir@example: The part after the @-sign is not valid. It "\
           "should have a period." in lines


def test_lists_check_json_with_where(workspace: Path) -> None:
    result = run_mailer("lists", "check", "lists/example-parents.csv", "--where", "year=6",
                        "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"] == 20
    assert data["recipients"] == 3
    assert data["counts"] == {"recipient": 3, "merged": 0, "duplicate": 0, "invalid": 0,
                              "suppressed": 0, "excluded": 0, "filtered": 17}
    assert sum(data["counts"].values()) == data["rows"]
    assert data["where"] == ["year=6"]
    assert data["columns"]["email"] == ["Email"]
    not_accepted = data["rows_not_accepted"]
    assert len(not_accepted) == 17
    assert not_accepted[0] == {"line": 2, "fate": "filtered", "address": "sadia.khan@example.com",
                               "reason": "does not match --where year=6"}
    # Emre Demir (invalid address) is in Year 3, so the filter decides his row's fate.
    assert {r["line"] for r in not_accepted} == set(range(2, 22)) - {9, 10, 14}


def test_where_is_repeatable_and_case_insensitive(workspace: Path) -> None:
    result = run_mailer("lists", "check", "lists/example-parents.csv", "--where",
                        "YEAR=year 6", "--where", "relationship=MOTHER", "--json",
                        cwd=workspace)
    data = json.loads(result.stdout)
    assert data["recipients"] == 2  # Ngozi Okafor and Fatima Ahmed (Emeka is the father)
    assert data["counts"]["filtered"] == 18


def test_send_with_where_prints_the_summary_and_sends_to_the_valid_rows(workspace: Path) -> None:
    shutil.copy(FIXTURES / "sims.csv", workspace / "lists" / "sims.csv")
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/sims.csv",
                        "--where", "reg group=6r", cwd=workspace)
    assert result.returncode == 0, result.stderr
    check = run_mailer("lists", "check", "lists/sims.csv", "--where", "reg group=6r",
                       cwd=workspace)
    # The same summary as `lists check`, printed before the send summary.
    assert result.stderr.startswith(check.stdout)
    assert result.stderr.index("Recipients: 2 on the list") > len(check.stdout) - 1
    sent = outbox(workspace)
    assert sorted(sent) == ["EMEKA.OKAFOR@example.com", "ngozi.okafor@example.com"]
    assert "Dear Dr Okafor," in sent["ngozi.okafor@example.com"]


def test_send_leaves_out_invalid_rows_after_saying_so(workspace: Path) -> None:
    shutil.copy(FIXTURES / "sims.csv", workspace / "lists" / "sims.csv")
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/sims.csv", "--json",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "line 4: excluded imran.khan@example.com: court-order flag" in result.stderr
    assert "line 7: invalid: no address in 'Email Address'" in result.stderr
    assert json.loads(result.stdout)["written"] == 3  # to the outbox folder
    sent = outbox(workspace)
    assert sorted(a.lower() for a in sent) == [
        "emeka.okafor@example.com", "ngozi.okafor@example.com", "sadia.khan@example.com"]
    assert "Dear Mrs Khan," in sent["sadia.khan@example.com"]


def test_workspace_column_mapping_and_default_suppression_file(workspace: Path) -> None:
    shutil.copy(FIXTURES / "no-address-column.csv", workspace / "lists" / "contacts.csv")
    (workspace / "lists" / "suppressed.txt").write_text("# opted out\nGARETH.EVANS@example.com\n")
    config = workspace / "mailer.yaml"
    config.write_text(config.read_text() + "lists:\n  columns:\n    email: [\"Contact\"]\n"
                      "    parent_name: [Parent]\n")
    result = run_mailer("lists", "check", "lists/contacts.csv", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["columns"] == {"email": ["Contact"], "name": ["Parent"], "pupil_name": ["Pupil"]}
    assert data["counts"]["recipient"] == 1 and data["counts"]["suppressed"] == 1
    assert data["suppression"].endswith("lists/suppressed.txt")
    assert data["rows_not_accepted"] == [{
        "line": 3, "fate": "suppressed", "address": "gareth.evans@example.com",
        "reason": "on the suppression list (suppressed.txt)"}]


def test_missing_template_field_is_found_before_sending(workspace: Path) -> None:
    """The pre-flight in mailer.campaign.check_fields: a template using a personal field
    that a recipient lacks stops the send before any message, naming field, line and
    recipient."""
    template = workspace / "templates" / "email.txt"
    template.write_text(template.read_text().replace(
        "greeting=recipient.greeting) }}", "greeting=recipient.greeting) }}\n"
        "({{ recipient.surname }})", 1))
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert ("example-parents.csv, line 19: the template uses recipient.surname, but the list "
            "gives no surname for isla.campbell.home@example.com.") in result.stderr
    assert not (workspace / "outbox" / "new").exists() or not any(
        (workspace / "outbox" / "new").iterdir())
    # Filtering Isla's row out makes the same template fine for everyone else.
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        "--where", "year=6", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "(Okafor)" in outbox(workspace)["ngozi.okafor@example.com"]


def test_configured_column_missing_from_the_list_stops_check_and_send(workspace: Path) -> None:
    """A school that names its address column in mailer.yaml must never get mail sent to
    another column's addresses because the name is not in the file: the name that is
    missing, the setting's line, the list file and the columns it has are all given."""
    shutil.copy(FIXTURES / "sims.csv", workspace / "lists" / "sims.csv")
    config = workspace / "mailer.yaml"
    text = config.read_text()
    config.write_text(text + "lists:\n  columns:\n    email: [\"Main Contact E-mail\"]\n")
    setting_line = len(text.splitlines()) + 3
    for args in (("lists", "check", "lists/sims.csv"),
                 ("send", "online-safety-webcams", "--list", "lists/sims.csv")):
        result = run_mailer(*args, cwd=workspace)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        err = " ".join(result.stderr.split())
        assert "sims.csv, line 1:" in err
        assert (f"mailer.yaml, line {setting_line} sets lists.columns.email (the address) to "
                "'Main Contact E-mail', but this list has no such column, so nothing was "
                "sent.") in err
        assert "Columns in the file: 'Legal Surname', 'Legal Forename'," in err
        assert "'Email Address'" in err
    assert not (workspace / "outbox").exists() or not any(
        mailbox.Maildir(workspace / "outbox", create=False).keys())
