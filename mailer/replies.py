"""What an SMTP reply means for a campaign: one place, by the standards.

Every reply is read by its reply code (RFC 5321 §4.2: 2yz done, 4yz temporary, 5yz
permanent) and its enhanced status code (RFC 3463, ``class.subject.detail``), which is
read **only** as the token that starts the reply text (RFC 2034 §4). A number elsewhere
in the text (``500 Line too long (see RFC5321 4.5.3.1.6)``) is never taken for a status
code.

The result says what the reply is about (:class:`Scope`):

- ``RECIPIENT``: this parent only (mailbox full 4.2.2/5.2.2, no such user 5.1.1, receiving
  too fast 4.2.1, greylisted): defer or fail this parent and go on with the others;
- ``MESSAGE``: the message itself (too big 5.3.4, content refused 5.6.x, or 5.7.1 in
  content words): every parent would get the same answer;
- ``SESSION``: this connection or account (421, 4.7.0 rate, 4.3.2 too many connections,
  5.4.5 / 5.2.0 daily quota, 530 / 535 / 5.7.139 / 5.7.3 sign-in, the sender refused, a
  command out of sequence): pause, reconnect or stop the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

#: RFC 3463 §2: class "." subject "." detail, class 2/4/5, subject and detail 1-3 digits;
#: only at the start of the reply text.
_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")

#: 5.7.1 / 5.7.x / 554 wordings that refuse the content (Google "likely unsolicited mail",
#: SES "Message rejected: ... content", Postfix "Message content rejected").
_CONTENT_WORDS = re.compile(
    r"\b(content|unsolicited|spam|virus|malware|phish\w*|attachment|header|message body)\b",
    re.I)
#: Wordings that refuse the sender (SES "Email address is not verified", Postfix "Sender
#: address rejected: not owned by user", Microsoft 365 "send as this sender").
_SENDER_WORDS = re.compile(
    r"not verified|sender address|not owned|send as|sendas|from address|sender (is )?not",
    re.I)
#: Wordings that refuse this computer or account as a whole (Postfix "Relay access denied",
#: "Client host [...] blocked using zen.spamhaus.org", SES "Sending paused").
_ACCOUNT_WORDS = re.compile(
    r"relay access denied|relaying denied|client host|blocked using|account (is )?(disabled|"
    r"suspended)|sending paused|access denied.*(tenant|account)", re.I)
#: RFC 4954 §6 and provider wordings for "log in first".
_LOGIN_WORDS = re.compile(
    r"authenticat\w* (is )?required|must (first )?authenticate|not authenticated", re.I)
#: Wordings of a daily or rolling-24-hour quota (Google "Daily user sending limit
#: exceeded", SES "Daily message quota exceeded", Microsoft 365 "SubmissionQuotaExceeded").
_QUOTA_WORDS = re.compile(r"daily|quota|per day|24 hours|submissionquota", re.I)
#: Wordings of a sending-rate throttle without an enhanced code (SES "454 Throttling
#: failure: Maximum sending rate exceeded").
_RATE_WORDS = re.compile(r"throttl\w*|rate limit|sending rate|too many (messages|connections"
                         r"|recipients)", re.I)


#: Sign-in refused: Microsoft 365 5.7.139 (SMTP AUTH disabled), 5.7.3 and 5.7.30 ("Basic
#: authentication is not supported for Client Submission", at MAIL FROM after a password),
#: Google 5.7.8 ("Username and Password not accepted"), RFC 4954 §6 5.7.8 / 5.7.9.
_LOGIN_CODES = frozenset({"5.7.139", "5.7.3", "5.7.8", "5.7.9", "5.7.30"})
#: A daily quota: Google "550 5.4.5 Daily user sending limit exceeded", Microsoft 365
#: "554 5.2.0 ... SubmissionQuotaExceededException".
_QUOTA_CODES = frozenset({"5.4.5", "5.2.0"})
#: The sender's address refused: RFC 3463 5.1.7 / 5.1.8, Microsoft 365 5.7.60
#: (SendAsDenied), Google 5.7.26 (unauthenticated sender).
_SENDER_CODES = frozenset({"5.1.7", "5.1.8", "5.7.60", "5.7.26"})
#: This computer or tenant refused: Microsoft 365 5.7.705 / 5.7.708 / 5.7.750 / 5.7.511.
_REFUSED_CODES = frozenset({"5.7.705", "5.7.708", "5.7.750", "5.7.511"})


class Scope(str, Enum):
    """What a reply is about."""

    NONE = "none"            # accepted
    RECIPIENT = "recipient"  # this parent only
    MESSAGE = "message"      # the message itself: every parent would get the same answer
    SESSION = "session"      # this connection or account


class Action(str, Enum):
    """What the run does about a reply that is not a success."""

    NONE = "none"              # accepted, or a recipient/message outcome only
    PAUSE = "pause"            # rate or connection throttle: stop, go on in ~15 minutes
    QUOTA = "quota"            # daily quota reached: stop, go on in 24 hours
    LOGIN = "login"            # sign in failed or needed: stop, fix the settings
    SENDER = "sender"          # the server will not send as this sender: stop, fix settings
    REFUSED = "refused"        # this computer/account is refused (relay, blocklist): stop
    RECONNECT = "reconnect"    # command out of sequence: drop the connection, send again
    DISK = "disk"              # the outbox folder cannot be written (disk full...): stop


@dataclass(frozen=True)
class Reply:
    """An SMTP reply and what it means.

    Attributes:
        code: the reply code (RFC 5321 §4.2), 0 when none came.
        text: the reply text after the code.
        enhanced: the enhanced status code leading the text (RFC 3463), or ``""``.
        scope: what it is about.
        action: what the run does about it.
    """

    code: int
    text: str
    enhanced: str
    scope: Scope
    action: Action

    @property
    def accepted(self) -> bool:
        """2yz (RFC 5321 §4.2.1)."""
        return 200 <= self.code < 300

    @property
    def temporary(self) -> bool:
        """4yz: the same command may work later (RFC 5321 §4.2.1)."""
        return 400 <= self.code < 500

    @property
    def stops_run(self) -> bool:
        """True when the whole run stops (every later message would be answered alike)."""
        return self.action not in (Action.NONE, Action.RECONNECT)


def enhanced_code(text: str) -> str:
    """The enhanced status code that starts ``text`` (RFC 3463 §2, RFC 2034 §4), e.g.
    ``"4.2.2"``, or ``""`` when the text does not start with one. Never searched for
    elsewhere in the text."""
    match = _ENHANCED.match(text.lstrip())
    return ".".join(match.groups()) if match else ""


def classify(code: int, text: str, command: str = "DATA") -> Reply:
    """What the reply ``code text`` to ``command`` ("CONNECT", "AUTH", "MAIL", "RCPT" or
    "DATA": the reply after the message's data) means for the campaign.

    Rules (RFC 5321 §4.2, RFC 3463 §3; provider wordings in ``tests/test_replies.py``):
    2yz accepted; 421 closes the connection (§3.8): pause; 530 / 535 / X.7.0 with "log in"
    words / 5.7.139 / 5.7.3 / 5.7.8: sign-in; X.2.x, X.1.x and 4.7.1 (greylisting) about
    the recipient, except 5.1.7 / 5.1.8 (the sender's address) and 5.2.0 (Microsoft 365's
    submission quota); X.4.5 and quota words: daily quota; 4.3.2, 4.4.x, 4.5.3, other
    4.7.x and rate words: pause; X.3.4, X.6.x and content words: the message; 503 / X.5.1
    out of sequence: reconnect; a 5yz to MAIL: the sender.
    """
    text = text.strip()
    enhanced = enhanced_code(text)
    if 200 <= code < 300:
        return Reply(code, text, enhanced, Scope.NONE, Action.NONE)
    cls, subject, detail = (enhanced.split(".") if enhanced else ("", "", ""))

    def make(scope: Scope, action: Action = Action.NONE) -> Reply:
        return Reply(code, text, enhanced, scope, action)

    session = Scope.SESSION
    temporary = 400 <= code < 500
    # -- sign-in (RFC 4954 §6; Microsoft 365 5.7.139 / 5.7.3; Google 5.7.8) -------------
    if code in (530, 534, 535, 538) or enhanced in _LOGIN_CODES or (
            code >= 500 and _LOGIN_WORDS.search(text)):
        return make(session, Action.LOGIN)
    # -- the connection is closing (RFC 5321 §3.8), or a command out of sequence -------
    if code == 421:
        return make(session, Action.PAUSE)
    if code == 503 or (enhanced == "5.5.1" and command == "MAIL"):
        return make(session, Action.RECONNECT)
    # -- the account is over a limit ---------------------------------------------------
    if enhanced in _QUOTA_CODES:
        return make(session, Action.QUOTA)
    if not enhanced and code >= 400 and (code == 454 or _RATE_WORDS.search(text)):
        return make(session, Action.QUOTA if _QUOTA_WORDS.search(text) else Action.PAUSE)
    if temporary and (code == 454 or subject in ("4", "5") or enhanced in ("4.3.1", "4.3.2")
                      or (subject == "7" and detail != "1")):
        return make(session, Action.PAUSE)
    # -- the sender, this computer or account ------------------------------------------
    if enhanced in _SENDER_CODES or (code >= 500 and _SENDER_WORDS.search(text)):
        return make(session, Action.SENDER)
    if enhanced in _REFUSED_CODES or (code >= 500 and _ACCOUNT_WORDS.search(text)):
        return make(session, Action.REFUSED)
    # -- the message itself (too big, content refused, a line too long) ----------------
    if (subject == "3" and detail == "4") or subject == "6" or (
            code >= 500 and subject == "7" and _CONTENT_WORDS.search(text)) or (
            code >= 500 and command == "DATA" and subject not in ("1", "2")
            and (code in (500, 552, 554) or _CONTENT_WORDS.search(text))):
        return make(Scope.MESSAGE)
    if code >= 500 and command == "MAIL":
        return make(session, Action.SENDER)
    # -- this recipient (X.1.x address, X.2.x mailbox, 4.7.1 greylisting, the rest) ----
    return make(Scope.RECIPIENT)


def pause_seconds(action: Action) -> float:
    """How long to wait before sending again after a reply that stops the run, in seconds:
    24 hours after a daily quota (Google and Microsoft 365 count a rolling 24 hours), else
    15 minutes."""
    return 24 * 60 * 60.0 if action is Action.QUOTA else 15 * 60.0
