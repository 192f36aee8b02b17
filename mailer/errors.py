"""One error hierarchy for everything a user can get wrong.

The CLI turns any :class:`MailerError` into a one- or two-sentence message on stderr and
exit status 2 (bad input or configuration, nothing sent). Library code never prints and
never calls ``sys.exit``.
"""

from __future__ import annotations

from pathlib import Path


class MailerError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the message to show.

    Attributes:
        path: the file the problem is in, if any.
        line: 1-based line number in ``path``, if known.
        exit_code: process exit status the CLI uses (2 = bad input, nothing sent).
    """

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = str(self.path)
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole (message, path, line and any attribute of a subclass), for a
        # mistake found in a child process (see mailer.ahead); the default would call
        # the class with the message alone.
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(cls: type[MailerError], args: tuple[object, ...],
             state: dict[str, object]) -> MailerError:
    """A :class:`MailerError` from what :meth:`MailerError.__reduce__` kept."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class ConfigError(MailerError):
    """``mailer.yaml`` is missing a value, has an unknown key or an invalid value."""


class SnippetError(MailerError):
    """A snippet file cannot be found or does not follow the snippet format."""


class TemplateError(MailerError):
    """A Jinja2 template failed to render (syntax error or undefined value)."""


class ListError(MailerError):
    """A mailing list cannot be read, or yields no recipient where one is needed."""


class TransportError(MailerError):
    """The transport could not be set up before the first message (TLS, AUTH, connect).

    Nothing was sent when this is raised.
    """


class ServerBusyError(TransportError):
    """The server answered with a temporary refusal (4xx, such as ``421 4.7.0 try again
    later``) while connecting or logging in: nothing is wrong with the settings, so this is
    exit status 1 (run again later), not 2.

    Attributes:
        code: the SMTP reply code.
        reply: the server's reply text.
    """

    exit_code = 1

    def __init__(self, message: str, *, code: int = 0, reply: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reply = reply


class SignInError(TransportError):
    """OAuth2 sign-in cannot give an access token: not signed in yet, the sign-in expired
    or was revoked, consent is missing, the app registration (client id, tenant) is
    wrong, or there is no keyring to keep the sign-in in. Exit status 2, nothing sent.

    The message never contains a token.
    """


class ConfirmationError(MailerError):
    """Sending needs a "yes" that was not given (no terminal to ask, and no ``--yes``)."""


class CampaignChangedError(MailerError):
    """The snippet, templates, configuration or list changed since the campaign began."""


class JournalError(MailerError):
    """The journal cannot be opened or written (permissions, disk full, another send)."""


class JournalGone(JournalError):
    """The journal's file was deleted or replaced while it was open (its record was
    written back: :meth:`mailer.journal.Journal._put_back_if_deleted`)."""


class LogoError(MailerError):
    """A school's logo cannot be fetched or read (the letter is written without it)."""
