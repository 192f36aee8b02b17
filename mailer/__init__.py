"""mailer: turn a safeguarding advisory into email that works everywhere, and deliver it.

The package is split into small modules with one job each:

- :mod:`mailer.errors`     the error hierarchy (turned into exit status 2 by the CLI)
- :mod:`mailer.yamlfile`   YAML loading with file/line error reporting
- :mod:`mailer.config`     ``mailer.yaml``
- :mod:`mailer.workspace`  where snippets, templates and lists are found
- :mod:`mailer.snippets`   advisory snippets (YAML + Markdown)
- :mod:`mailer.render`     Jinja2 rendering and CSS inlining, once per campaign
- :mod:`mailer.lists`      mailing lists to unique recipients
- :mod:`mailer.compose`    MIME composition, one message per recipient
- :mod:`mailer.message`    the one message type every transport takes
- :mod:`mailer.transports` delivery: Maildir outbox or SMTP
- :mod:`mailer.outcome`    what happened to a message: one vocabulary from the transport
                           to the journal, the summary and ``--json``
- :mod:`mailer.campaign`   what a run of a campaign sends (resume rules, pre-flight, summary)
- :mod:`mailer.journal`    the send journal (SQLite) and the send lock
- :mod:`mailer.engine`     the sending engine: connection pool, retries, stopping cleanly
- :mod:`mailer.ratelimit`  rate per minute and daily cap, on an injectable clock
- :mod:`mailer.providers`  provider presets (Microsoft 365, Google, SES)
- :mod:`mailer.credentials` the SMTP password: environment, keyring, prompt
- :mod:`mailer.sending`    ``mailer send`` from start to end, without the printing
- :mod:`mailer.sendwords`  every sentence about sending shown to a person
- :mod:`mailer.progress`   progress display;  :mod:`mailer.status` ``mailer status``
- :mod:`mailer.cli`        the thin Typer command line
"""

__version__ = "0.1.0"
