"""Where an OAuth2 sign-in is kept: the operating system's keyring, never a file.

One sign-in is one text (MSAL's serialised token cache for Microsoft, the authorised-user
JSON of google-auth for Google), stored with the ``keyring`` package under the service
name ``mailer`` and the entry name ``oauth2:PROVIDER:CLIENT_ID:MAILBOX``.

Windows Credential Manager keeps at most 2,560 bytes per entry (``CRED_MAX_CREDENTIAL_BLOB_SIZE``
in the Win32 ``CREDENTIALW`` documentation), and a token cache with a refresh token, an
access token and an ID token is larger, so the text is split into parts of at most
:data:`PART_CHARS` characters: the entry itself holds ``parts:N`` and the parts are
``ENTRY#1`` ... ``ENTRY#N``.
"""

from __future__ import annotations

import contextlib

from mailer.errors import SignInError

#: The keyring service name (the same as for SMTP passwords).
SERVICE = "mailer"

#: Characters per keyring entry: under Windows' 2,560-byte limit even when stored as UTF-16.
PART_CHARS = 1_000


def entry_name(provider: str, client_id: str, mailbox: str) -> str:
    """The keyring entry for one sign-in: ``oauth2:microsoft365:CLIENT_ID:office@school.org``.
    The mailbox is compared in lower case."""
    return f"oauth2:{provider}:{client_id}:{mailbox.strip().lower()}"


def _no_keyring(exc: BaseException) -> SignInError:
    return SignInError(
        "there is no keyring on this computer to keep the sign-in in (mailer never writes it "
        f"to a file): {type(exc).__name__}. On Windows and macOS the keyring is built in; on "
        "Linux install and unlock a Secret Service keyring (GNOME Keyring or KWallet). For a "
        "computer without one, set smtp.token_env to a variable holding an access token "
        "obtained elsewhere."
    )


def _keyring():  # type: ignore[no-untyped-def]
    try:
        import keyring
        from keyring.backends import fail
    except ImportError as exc:  # pragma: no cover - keyring is a dependency
        raise _no_keyring(exc) from None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise SignInError(
            "there is no keyring on this computer to keep the sign-in in (mailer never writes "
            "it to a file). On Windows and macOS the keyring is built in; on Linux install "
            "and unlock a Secret Service keyring (GNOME Keyring or KWallet). For a computer "
            "without one, set smtp.token_env to a variable holding an access token obtained "
            "elsewhere."
        )
    return keyring


def load(entry: str) -> str | None:
    """The text stored under ``entry``, or ``None`` when there is none (not signed in).

    Raises:
        SignInError: there is no usable keyring, or it refused to be read.
    """
    keyring = _keyring()
    try:
        head = keyring.get_password(SERVICE, entry)
        if head is None:
            return None
        if not head.startswith("parts:"):
            return head
        count = int(head.split(":", 1)[1])
        parts = [keyring.get_password(SERVICE, f"{entry}#{i}") for i in range(1, count + 1)]
    except SignInError:
        raise
    except Exception as exc:  # a locked or broken backend: keyring.errors.KeyringError etc.
        raise _no_keyring(exc) from None
    if any(p is None for p in parts):
        return None  # half written or half removed: treat as not signed in
    return "".join(p for p in parts if p is not None)


def save(entry: str, text: str) -> None:
    """Store ``text`` under ``entry``, split into parts of :data:`PART_CHARS` characters.

    Raises:
        SignInError: there is no usable keyring, or it refused the write.
    """
    keyring = _keyring()
    parts = [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
    try:
        old = keyring.get_password(SERVICE, entry)
        for i, part in enumerate(parts, start=1):
            keyring.set_password(SERVICE, f"{entry}#{i}", part)
        keyring.set_password(SERVICE, entry, f"parts:{len(parts)}")
        if old and old.startswith("parts:"):
            for i in range(len(parts) + 1, int(old.split(":", 1)[1]) + 1):
                _delete(keyring, f"{entry}#{i}")
    except SignInError:
        raise
    except Exception as exc:
        raise _no_keyring(exc) from None


def delete(entry: str) -> bool:
    """Remove ``entry`` and its parts. Returns True when something was removed.

    Raises:
        SignInError: there is no usable keyring.
    """
    keyring = _keyring()
    try:
        head = keyring.get_password(SERVICE, entry)
    except Exception as exc:
        raise _no_keyring(exc) from None
    if head is None:
        return False
    if head.startswith("parts:"):
        for i in range(1, int(head.split(":", 1)[1]) + 1):
            _delete(keyring, f"{entry}#{i}")
    _delete(keyring, entry)
    return True


def _delete(keyring, name: str) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(Exception):  # keyring.errors.PasswordDeleteError: gone
        keyring.delete_password(SERVICE, name)
