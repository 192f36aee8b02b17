"""``mailer.yamledit``: a round-trip edit changes only what it changes, in files written the
way people write them (comments, quotes, block scalars, Windows line ends, a BOM)."""

from __future__ import annotations

from pathlib import Path

from mailer.yamledit import edit_yaml, map_strings
from tests.conftest import REPO

MESSY = """\
# Top comment: keep me.
title: 'Single quoted: title'   # trailing comment
subject: "Double quoted"
tags: [a, b]    # flow list
body: |
  Line one with [a link](https://old.example/page).

  Line three.
folded: >-
  A folded paragraph that goes on
  over two lines.
links:
    - title: Four-space list
      url: https://old.example/page
"""


def replace_old(path: Path) -> bool:
    return edit_yaml(path, lambda data: map_strings(
        data, lambda _k, v: v.replace("https://old.example/page", "https://new.example/p")) > 0)


def test_only_the_changed_values_change(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(MESSY)
    assert replace_old(path)
    assert path.read_text() == MESSY.replace("https://old.example/page", "https://new.example/p")


def test_windows_line_ends_and_bom_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MESSY.replace("\n", "\r\n").encode())
    assert replace_old(path)
    expected = MESSY.replace("https://old.example/page", "https://new.example/p")
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.replace("\n", "\r\n").encode()


def test_nothing_to_change_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(MESSY.replace("old.example", "other.example"))
    before = path.stat().st_mtime_ns
    assert not replace_old(path)
    assert path.stat().st_mtime_ns == before


def test_the_seed_snippet_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    original = (REPO / "snippets" / "online-safety-webcams.yaml").read_text()
    path.write_text(original)
    assert edit_yaml(path, lambda data: True)  # write it back unchanged
    assert path.read_text() == original


def test_a_change_inside_a_folded_paragraph_keeps_its_line_breaks(tmp_path: Path) -> None:
    # A folded (>-) body wrapped by hand over several lines: replacing a link in it must
    # not join the lines into one (ruamel.yaml forgets where a replaced string was folded).
    text = ("body: >-\n"
            "  Read [the page](https://old.example/page) here, and\n"
            "  then the other one, which is on\n"
            "  a third line.\n"
            "end: 1\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert replace_old(path)
    assert path.read_text() == text.replace("https://old.example/page", "https://new.example/p")


def test_an_anchor_and_its_alias_are_kept(tmp_path: Path) -> None:
    text = ('call_to_action: {text: Go, url: &cta "https://old.example/page"}\n'
            "links:\n"
            "  - title: Again\n"
            "    url: *cta\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert replace_old(path)
    assert path.read_text() == text.replace("https://old.example/page", "https://new.example/p")
