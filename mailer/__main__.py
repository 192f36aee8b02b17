"""``python -m mailer`` entry point."""

from mailer.entry import main

main()
