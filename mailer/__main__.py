"""``python -m mailer`` entry point."""

from mailer.cli import main

main()
