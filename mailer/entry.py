"""The ``mailer`` console script: imports the command line, then runs it.

Importing :mod:`mailer.cli` (Typer, Jinja, premailer, ...) takes most of a second. A Ctrl-C
in that second arrives before :func:`mailer.cli.main` can catch it, and Python would print a
``KeyboardInterrupt`` traceback. This module imports nothing heavy itself, so it can catch
that interrupt and say in words that nothing was sent (exit status 130, as for any Ctrl-C,
README "Exit statuses").
"""

import signal
import sys

STOPPED_WHILE_STARTING = "Stopped while mailer was starting. Nothing was read and nothing was sent."


def main() -> None:
    """Import :mod:`mailer.cli` and run its ``main``; a Ctrl-C during the import exits 130.

    A process started in the background by a script inherits SIGINT ignored (POSIX shells
    do that for ``&``), and Python then never raises ``KeyboardInterrupt``; a send would
    take an interrupt only once it had started sending. So an interrupt is always taken,
    from the first moment: one ``kill -INT`` stops mailer the same way at any stage.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from mailer.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write(STOPPED_WHILE_STARTING + "\n")
        raise SystemExit(130) from None
    cli_main()
