"""A real keyring backend for tests: a JSON file named by ``MAILER_TEST_KEYRING``.

Select it in a subprocess with ``PYTHON_KEYRING_BACKEND=tests.keyring_backend.FileKeyring``
(and the repository on ``PYTHONPATH``), or in-process with ``keyring.set_keyring``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    """Stores ``service:username`` -> password in a JSON file."""

    priority = 1  # type: ignore[assignment]

    def _load(self) -> dict[str, str]:
        path = Path(os.environ["MAILER_TEST_KEYRING"])
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, data: dict[str, str]) -> None:
        Path(os.environ["MAILER_TEST_KEYRING"]).write_text(json.dumps(data))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}:{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}:{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}:{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(data)
