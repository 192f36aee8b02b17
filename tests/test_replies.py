"""What a reply means: real wordings of Microsoft 365, Google Workspace, Amazon SES and
Postfix, each with the class mailer must give it (RFC 5321 §4.2 reply codes, RFC 3463
enhanced status codes read only where they lead the text)."""

from __future__ import annotations

import pytest

from mailer.replies import Action, Scope, classify, enhanced_code, pause_seconds

R, M, S = Scope.RECIPIENT, Scope.MESSAGE, Scope.SESSION
N = Action.NONE

#: (command, code, text, scope, action)
TABLE = [
    # -- Google Workspace / Gmail ------------------------------------------------------
    ("RCPT", 452, "4.2.2 The email account that you tried to reach is over quota. Please "
     "direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp", R, N),
    ("RCPT", 552, "5.2.2 The email account that you tried to reach is over quota.", R, N),
    ("RCPT", 550, "5.1.1 The email account that you tried to reach does not exist. Please "
     "try double-checking the recipient's email address", R, N),
    ("RCPT", 550, "5.2.1 The email account that you tried to reach is disabled.", R, N),
    ("RCPT", 450, "4.2.1 The user you are trying to contact is receiving mail at a rate that "
     "prevents additional messages from being delivered.", R, N),
    ("MAIL", 550, "5.4.5 Daily user sending limit exceeded. For more information on Gmail's "
     "sending limits go to https://support.google.com/a/answer/166852", S, Action.QUOTA),
    ("MAIL", 421, "4.7.0 Try again later, closing connection.", S, Action.PAUSE),
    ("DATA", 421, "4.7.28 Our system has detected an unusual rate of unsolicited mail "
     "originating from your IP address.", S, Action.PAUSE),
    ("RCPT", 452, "4.5.3 Your message has too many recipients.", S, Action.PAUSE),
    ("DATA", 552, "5.3.4 Your message exceeded Google's message size limits.", M, N),
    ("DATA", 550, "5.7.1 Our system has detected that this message is likely unsolicited "
     "mail. To reduce the amount of spam sent to Gmail, this message has been blocked.",
     M, N),
    ("DATA", 550, "5.7.26 This mail has been blocked because the sender is "
     "unauthenticated.", S, Action.SENDER),
    ("AUTH", 530, "5.7.0 Authentication Required.", S, Action.LOGIN),
    ("AUTH", 535, "5.7.8 Username and Password not accepted.", S, Action.LOGIN),
    ("AUTH", 454, "4.7.0 Too many login attempts, please try again later.", S, Action.PAUSE),
    ("DATA", 451, "4.3.0 Mail server temporarily rejected message.", R, N),
    # -- Microsoft 365 / Exchange Online ----------------------------------------------
    ("RCPT", 550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
     "address lookup", R, N),
    ("RCPT", 550, "5.4.1 Recipient address rejected: Access denied. "
     "[DB5EUR01FT003.eop-EUR01.prod.protection.outlook.com]", R, N),
    ("RCPT", 452, "4.2.2 The recipient's mailbox is full and can't accept messages now.",
     R, N),
    ("DATA", 554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; "
     "Failed to process message due to a permanent exception", S, Action.QUOTA),
    ("MAIL", 550, "5.7.60 SMTP; Client does not have permissions to send as this sender",
     S, Action.SENDER),
    ("AUTH", 535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
     "disabled for the Tenant.", S, Action.LOGIN),
    ("AUTH", 535, "5.7.3 Authentication unsuccessful", S, Action.LOGIN),
    ("DATA", 432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", S,
     Action.PAUSE),
    ("MAIL", 451, "4.7.500 Server busy. Please try again later from [203.0.113.5].", S,
     Action.PAUSE),
    ("RCPT", 550, "5.7.708 Service unavailable. Access denied, traffic not accepted from "
     "this IP.", S, Action.REFUSED),
    ("DATA", 554, "5.6.0 Invalid message content", M, N),
    ("DATA", 552, "5.3.4 Message size exceeds fixed maximum message size", M, N),
    # -- Amazon SES --------------------------------------------------------------------
    ("DATA", 454, "Throttling failure: Maximum sending rate exceeded.", S, Action.PAUSE),
    ("DATA", 454, "Throttling failure: Daily message quota exceeded.", S, Action.QUOTA),
    ("DATA", 554, "Message rejected: Email address is not verified. The following "
     "identities failed the check in region EU-WEST-2: office@school.example", S,
     Action.SENDER),
    ("DATA", 554, "Transaction failed: Duplicate header 'Subject'.", M, N),
    ("AUTH", 535, "Authentication Credentials Invalid", S, Action.LOGIN),
    ("DATA", 421, "Timeout waiting for data from client.", S, Action.PAUSE),
    # -- Postfix -----------------------------------------------------------------------
    ("RCPT", 450, "4.2.0 <p@example.com>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.com.html", R, N),
    ("RCPT", 450, "4.7.1 <p@example.com>: Recipient address rejected: Please try again "
     "later", R, N),
    ("RCPT", 550, "5.1.1 <p@example.com>: Recipient address rejected: User unknown in "
     "virtual mailbox table", R, N),
    ("RCPT", 554, "5.7.1 <p@example.com>: Relay access denied", S, Action.REFUSED),
    ("RCPT", 554, "5.7.1 Service unavailable; Client host [203.0.113.5] blocked using "
     "zen.spamhaus.org", S, Action.REFUSED),
    ("MAIL", 553, "5.7.1 <office@school.example>: Sender address rejected: not owned by "
     "user office", S, Action.SENDER),
    ("MAIL", 503, "5.5.1 Error: nested MAIL command", S, Action.RECONNECT),
    ("MAIL", 503, "nested MAIL command", S, Action.RECONNECT),
    ("DATA", 452, "4.3.1 Insufficient system storage", S, Action.PAUSE),
    ("DATA", 451, "4.3.0 Error: queue file write error", R, N),
    ("DATA", 552, "5.3.4 Message size exceeds fixed limit", M, N),
    ("DATA", 500, "Line too long (see RFC5321 4.5.3.1.6)", M, N),
    ("RCPT", 500, "Line too long (see RFC5321 4.5.3.1.6)", R, N),
    ("MAIL", 421, "4.4.2 mx.example.com Error: timeout exceeded", S, Action.PAUSE),
]


@pytest.mark.parametrize(("command", "code", "text", "scope", "action"), TABLE,
                         ids=[f"{c} {t[:40]}" for _, c, t, _, _ in TABLE])
def test_real_replies_are_classed_by_what_they_are_about(
        command: str, code: int, text: str, scope: Scope, action: Action) -> None:
    reply = classify(code, text, command)
    assert (reply.scope, reply.action) == (scope, action)
    assert reply.stops_run == (action not in (Action.NONE, Action.RECONNECT))


def test_accepted_replies() -> None:
    for code, text in [(250, "2.0.0 OK 1700000000 a1-20020a05"), (250, "Ok: queued as 4Bx"),
                       (250, "2.6.0 <id@x> [InternalId=1] Queued mail for delivery")]:
        reply = classify(code, text)
        assert reply.accepted and reply.scope is Scope.NONE and not reply.stops_run


@pytest.mark.parametrize(("text", "expected"), [
    ("4.2.2 over quota", "4.2.2"),
    ("  5.1.10 RESOLVER.ADR.RecipientNotFound", "5.1.10"),
    ("5.7.139 Authentication unsuccessful", "5.7.139"),
    ("Line too long (see RFC5321 4.5.3.1.6)", ""),
    ("Error 4.7.0 later in the text", ""),
    ("4.5.3.1.6 is a section, not a status", ""),
    ("6.1.1 is not a class", ""),
    ("", ""),
])
def test_enhanced_code_is_read_only_where_it_leads_the_text(text: str, expected: str) -> None:
    assert enhanced_code(text) == expected


def test_a_section_number_in_a_5xx_never_makes_it_temporary() -> None:
    reply = classify(500, "Line too long (see RFC5321 4.5.3.1.6)", "DATA")
    assert not reply.temporary and not reply.stops_run and reply.enhanced == ""


def test_quota_waits_a_day_and_a_throttle_a_quarter_hour() -> None:
    quota = classify(550, "5.4.5 Daily user sending limit exceeded.", "MAIL")
    assert pause_seconds(quota.action) == 86400
    assert pause_seconds(classify(421, "4.7.0 Try again later, closing connection.").action) \
        == 900
