"""``mailer init DIR``: a new workspace with a starter ``mailer.yaml``, the shipped
snippets and an empty ``lists/`` folder. Never overwrites an existing file."""

from __future__ import annotations

import shutil
from pathlib import Path

from mailer.config import CONFIG_NAME
from mailer.errors import MailerError
from mailer.workspace import defaults_dir

STARTER_CONFIG = """\
# mailer settings for your school. Replace the example details with your own.
organisation:
  name: Example School
  website: https://www.example.sch.uk/
  postal_address: 1 School Lane, Exampletown, EX1 1AA
  brand_colour: "#1d4f91"
  contact:
    name: The Designated Safeguarding Lead
    role: Designated Safeguarding Lead
    email: safeguarding@example.sch.uk
    phone: 01632 960000

sender:
  from: Example School <office@example.sch.uk>
  # reply_to: Example School Office <office@example.sch.uk>
  # unsubscribe: mailto:office@example.sch.uk?subject=unsubscribe

# Parents whose language has no translation of an advisory get the English email. To add
# one short line at the top, in their language, saying what it is about and how to ask
# the school for help, uncomment this line:
# languages: {untranslated: english_with_note}

# While there is no smtp section, messages are written into the outbox/ folder and
# nothing is sent. To send through Microsoft 365, remove the '# ' in front of the smtp
# lines below and put in your account. The provider fills in the server, port and
# Microsoft's sending limits. For Google Workspace write 'provider: google' (and no tenant).
# smtp:
#   provider: microsoft365
#   username: office@example.sch.uk
#   # Either OAuth2, which Microsoft 365 and Google require: your IT administrator gives you
#   # the IDs of the school's app registration; then run 'mailer login' once.
#   auth: oauth2
#   client_id: 00000000-0000-0000-0000-000000000000
#   tenant: example.sch.uk
#   # Or a password, for a relay or a tenant that still allows it (delete the three lines
#   # above). The password is never written here: set MAILER_SMTP_PASSWORD instead.
#   # password_env: MAILER_SMTP_PASSWORD
"""

SUPPRESSED = """\
# Addresses that must not receive advisories (parents who opted out), one per line.
"""


def init_workspace(target: Path) -> list[Path]:
    """Create a workspace in ``target`` (made if missing). Returns the paths created.

    Raises:
        MailerError: when ``target`` already has a ``mailer.yaml`` (nothing is changed),
            or the folder cannot be written.
    """
    config = target / CONFIG_NAME
    if config.exists():
        raise MailerError(
            "there is already a workspace here; nothing was changed.", path=config
        )
    created: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        config.write_text(STARTER_CONFIG, encoding="utf-8")
        created.append(config)
        snippets = target / "snippets"
        snippets.mkdir(exist_ok=True)
        for src in sorted((defaults_dir() / "snippets").glob("*.yaml")):
            dest = snippets / src.name
            if not dest.exists():
                shutil.copyfile(src, dest)
                created.append(dest)
        lists = target / "lists"
        lists.mkdir(exist_ok=True)
        suppressed = lists / "suppressed.txt"
        if not suppressed.exists():
            suppressed.write_text(SUPPRESSED, encoding="utf-8")
            created.append(suppressed)
    except OSError as exc:
        raise MailerError(f"cannot create the workspace ({exc.strerror}).", path=target) from None
    return created
