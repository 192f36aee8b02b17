"""A stand-in web browser for sign-in tests: ``python tests/fake_browser.py URL``.

It does what a person's browser does on Google's consent page when they click Allow: load
the page (HTTPS, trusting the test CA in ``REQUESTS_CA_BUNDLE``) and follow its redirect
back to the loopback address mailer listens on. Used through ``webbrowser``'s documented
command-line form (``BROWSER`` or ``webbrowser.get("... %s")``).
"""

from __future__ import annotations

import os
import ssl
import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def main(url: str) -> int:
    context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    opener = urllib.request.build_opener(
        _NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        opener.open(url, timeout=10)
        return 1  # the consent page did not redirect (an error page)
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            return 1
        location = exc.headers["Location"]
    with urllib.request.urlopen(location, timeout=10) as reply:  # http://localhost:PORT/
        reply.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
