"""The letterhead logo: fetched with httpx from a real HTTPS server on 127.0.0.1 (trustme
certificate), or read from a file in the workspace; PNG/JPEG only, size-limited, with a
timeout; a logo that cannot be had is a warning and the letter is written without it."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
import yaml

from mailer.errors import LogoError
from mailer.logos import fetch_logo
from tests.conftest import run_mailer
from tests.link_server import LinkServer, LocalCA
from tests.pictures import badge_png, jpeg_header
from tests.test_school_packs import SNIPPET, authority_workspace

PNG = badge_png()
JPEG = jpeg_header()
FILES = {
    "/logo.png": ("image/png", PNG, True),
    "/logo.jpg": ("image/jpeg; charset=binary", JPEG, True),
    "/page.png": ("text/html; charset=utf-8", b"<html>Not found</html>", True),
    "/fake.png": ("image/png", b"<html>a web page</html>", True),
    "/big.png": ("image/png", PNG + b"\0" * 4096, True),
    "/big-unsized.png": ("image/png", PNG + b"\0" * 4096, False),
    "/untyped.png": ("", PNG, True),
}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def server(ca: LocalCA):
    with LinkServer(tls=ca.server_context(), slow_s=3.0) as srv:
        srv.files.update(FILES)
        yield srv


def test_png_and_jpeg_logos_are_fetched_over_verified_https(server, ca, tmp_path: Path):
    logo = fetch_logo(server.url("/logo.png"), tmp_path, verify=ca.client_context())
    assert (logo.data, logo.content_type) == (PNG, "image/png")
    jpeg = fetch_logo(server.url("/logo.jpg"), tmp_path, verify=ca.client_context())
    assert (jpeg.data, jpeg.content_type) == (JPEG, "image/jpeg")
    assert server.requests[0][2].startswith("mailer")


def test_a_plain_http_logo_is_fetched_too(tmp_path: Path):
    with LinkServer() as srv:
        srv.files.update(FILES)
        logo = fetch_logo(srv.url("/logo.png"), tmp_path)
        assert srv.url("/logo.png").startswith("http://127.0.0.1:")
    assert logo.data == PNG


@pytest.mark.parametrize(("path", "words"), [
    ("/page.png", "is 'text/html', not a PNG or JPEG picture"),
    ("/untyped.png", "is 'of no stated type'"),
    ("/fake.png", "is said to be a PNG picture but is not one"),
    ("/big.png", "is over 1 KB"),
    ("/big-unsized.png", "is over 1 KB"),
    ("/missing", "the server answered 404 Not Found"),
    ("/slow", "did not arrive within 0.5 seconds"),
])
def test_a_logo_that_is_no_usable_picture_is_refused_in_words(server, ca, tmp_path: Path,
                                                                path: str, words: str):
    with pytest.raises(LogoError) as caught:
        fetch_logo(server.url(path), tmp_path, verify=ca.client_context(), timeout=0.5,
                   max_bytes=len(PNG) + 1024)
    assert words in str(caught.value)
    assert server.url(path) in str(caught.value)


def test_an_untrusted_certificate_is_refused(server, tmp_path: Path):
    with pytest.raises(LogoError) as caught:
        fetch_logo(server.url("/logo.png"), tmp_path)  # the system's CAs only
    assert "could not be fetched" in str(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


@pytest.mark.parametrize("source", [
    "file:///etc/passwd", "ftp://127.0.0.1/logo.png", "data:image/png;base64,iVBORw0KGgo=",
    "javascript:alert(1)", "gopher://127.0.0.1/", "https://www.oakfield.example/logo.png",
])
def test_nothing_but_http_or_a_workspace_file_is_ever_opened(server, source: str,
                                                             tmp_path: Path):
    before = len(server.requests)
    with pytest.raises(LogoError):
        fetch_logo(source, tmp_path)
    assert len(server.requests) == before


def test_a_logo_file_must_be_inside_the_workspace(tmp_path: Path):
    ws = tmp_path / "ws"
    (ws / "logos").mkdir(parents=True)
    (ws / "logos" / "oak.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    assert fetch_logo("logos/oak.png", ws).data == PNG
    for outside in ("../secret.png", str(tmp_path / "secret.png"), "logos/../../secret.png"):
        with pytest.raises(LogoError) as caught:
            fetch_logo(outside, ws)
        assert "outside the workspace" in str(caught.value)
    (ws / "logos" / "link.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(LogoError):
        fetch_logo("logos/link.png", ws)  # a link out of the workspace is outside too
    (ws / "logos" / "notes.txt").write_text("x")
    with pytest.raises(LogoError) as caught:
        fetch_logo("logos/notes.txt", ws)
    assert "not a .png or .jpg file" in str(caught.value)


def set_logo(ws: Path, url: str) -> None:
    cfg = yaml.safe_load((ws / "mailer.yaml").read_text())
    cfg["organisation"].update(logo_url=url, logo_alt="Hollybank crest")
    (ws / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_the_letter_has_the_logo_in_its_letterhead(workspace: Path, server, ca):
    set_logo(workspace, server.url("/logo.png"))
    done = run_mailer("render", SNIPPET, "--format", "docx", cwd=workspace,
                      env={"SSL_CERT_FILE": str(ca.pem)})
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr
    document = docx.Document(str(workspace / "build" / SNIPPET / "letter.docx"))
    assert len(document.inline_shapes) == 1
    shape = document.inline_shapes[0]
    # In the letterhead (first paragraph), at most 60 x 25 mm, proportions kept.
    head = document.paragraphs[0]
    assert head._p.xpath(".//pic:pic") and head.text.lstrip("\n").startswith("Hollybank")
    assert shape.height <= docx.shared.Mm(25) and shape.width == shape.height
    blip = shape._inline.xpath(".//a:blip/@r:embed")[0]
    assert document.part.related_parts[blip].blob == PNG


def test_a_logo_that_fails_is_a_warning_and_the_letter_is_still_written(workspace: Path,
                                                                         server, ca):
    set_logo(workspace, server.url("/page.png"))
    done = run_mailer("render", SNIPPET, "--format", "docx", cwd=workspace,
                      env={"SSL_CERT_FILE": str(ca.pem)})
    assert done.returncode == 0, done.stderr
    assert ("Warning: Hollybank Primary School: the letter has no logo: the logo "
            f"{server.url('/page.png')} is 'text/html', not a PNG or JPEG picture.") in \
        done.stderr
    document = docx.Document(str(workspace / "build" / SNIPPET / "letter.docx"))
    assert len(document.inline_shapes) == 0
    assert document.paragraphs[0].text.startswith("Hollybank Primary School")


def test_each_schools_pack_letter_has_its_own_logo_or_a_warning_naming_it(tmp_path: Path,
                                                                          server, ca):
    ws = authority_workspace(tmp_path)
    (ws / "logos").mkdir()
    (ws / "logos" / "oak.png").write_bytes(PNG)
    (ws / "schools.csv").write_text(
        "School,Logo,DSL,DSL Email\n"
        "Oak School,logos/oak.png,Ann Oak,a@oak.example.org\n"
        f"Elm School,{server.url('/logo.jpg')},Bo Elm,b@elm.example.org\n"
        f"Ash School,{server.url('/missing')},Cy Ash,c@ash.example.org\n"
        "Yew School,../outside.png,Di Yew,d@yew.example.org\n", encoding="utf-8")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=ws, env={"SSL_CERT_FILE": str(ca.pem)})
    assert done.returncode == 0, done.stderr
    assert "4 school rows -> 4 packs written" in done.stdout

    def shapes(folder: str) -> int:
        return len(docx.Document(str(ws / "packs" / folder / "letter.docx")).inline_shapes)

    assert (shapes("oak-school"), shapes("elm-school"), shapes("ash-school"),
            shapes("yew-school")) == (1, 1, 0, 0)
    out = " ".join(done.stdout.split())
    assert (f"Warning: line 4 (Ash School): the letter has no logo: the logo "
            f"{server.url('/missing')} could not be fetched: the server answered 404 Not "
            "Found.") in out
    assert ("Warning: line 5 (Yew School): the letter has no logo: the logo file "
            "'../outside.png' is outside the workspace") in out


@pytest.mark.parametrize("source", [
    "https://../../etc/passwd", "https:///etc/passwd", "http://" + "a" * 70 + ".org/x.png",
])
def test_an_address_with_no_usable_site_name_is_refused_in_words(source: str,
                                                                 tmp_path: Path):
    with pytest.raises(LogoError) as caught:
        fetch_logo(source, tmp_path)
    assert source in str(caught.value)


def test_a_schools_logo_cell_that_is_a_path_to_no_picture_is_left_out(tmp_path: Path):
    ws = authority_workspace(tmp_path)
    (ws / "schools.csv").write_text(
        "School,Logo,DSL,DSL Email\n"
        "Oak School,../../etc/passwd,Ann Oak,a@oak.example.org\n"
        "Elm School,/etc/passwd,Bo Elm,b@elm.example.org\n"
        "Ash School,https://../x.png,Cy Ash,c@ash.example.org\n", encoding="utf-8")
    done = run_mailer("render", SNIPPET, "--schools", "schools.csv", "--out", "packs",
                      cwd=ws)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = " ".join(done.stdout.split())
    assert ("Warning: line 2 (Oak School): the logo URL '../../etc/passwd' is not a web "
            "address, so it was left out.") in out
    assert ("Warning: line 3 (Elm School): the logo URL '/etc/passwd' is not a web "
            "address, so it was left out.") in out
    assert ("Warning: line 4 (Ash School): the logo URL 'https://../x.png' is not a web "
            "address, so it was left out.") in out
    for folder in ("oak-school", "elm-school", "ash-school"):
        html = (ws / "packs" / folder / "email.html").read_text()
        assert "etc/passwd" not in html and "https://../" not in html
