"""A stand-in web browser for sign-in tests: ``python tests/fake_browser.py URL``.

It does what a person's browser does on a consent page when they click Accept: load the
page (HTTPS, trusting the test CA in ``REQUESTS_CA_BUNDLE``) and go back to the loopback
address mailer listens on, either by following a redirect (Google) or by submitting the
page's self-posting form (``response_mode=form_post``, as MSAL asks Microsoft for). Used
through ``webbrowser``'s documented command-line form (``BROWSER`` or
``webbrowser.get("... %s &")``).
"""

from __future__ import annotations

import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")


def main(url: str) -> int:
    context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    opener = urllib.request.build_opener(
        _NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=10) as page:
            form = _Form()
            form.feed(page.read().decode())
        if not form.action:
            return 1  # an error page: nothing to go back with
        data = urllib.parse.urlencode(form.fields).encode()
        with urllib.request.urlopen(form.action, data=data, timeout=10) as reply:
            reply.read()
        return 0
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            return 1
        location = exc.headers["Location"]
    with urllib.request.urlopen(location, timeout=10) as reply:  # http://localhost:PORT/
        reply.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
