"""Turn a Word letter into page pictures, to look at it as it would print.

    python scripts/letter_to_png.py build/online-safety-webcams/letter.docx [--out DIR]
        [--pages N] [--dpi 80]

LibreOffice (headless) converts the .docx to PDF, then poppler's pdftoppm draws each page
as a PNG: DIR/letter-1.png, letter-2.png ... (default DIR: next to the letter). Needs
`soffice` and `pdftoppm` (Debian: apt-get install libreoffice-writer-nogui poppler-utils).
Not part of the test suite: it is for a person to look at the result.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docx", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--pages", type=int, default=2, help="first N pages (default 2)")
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args()
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install libreoffice-writer-nogui "
                  "poppler-utils).", file=sys.stderr)
            return 2
    out = args.out or args.docx.parent
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # A profile of its own, so a LibreOffice already open on this computer is not used.
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--convert-to", "pdf", "--outdir", tmp, str(args.docx)],
                       check=True, capture_output=True, timeout=180)
        pdf = Path(tmp) / (args.docx.stem + ".pdf")
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
        count = next((line.split()[-1] for line in pages.stdout.splitlines()
                      if line.startswith("Pages:")), "?")
        subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), "-f", "1", "-l",
                        str(args.pages), str(pdf), str(out / args.docx.stem)], check=True)
    for png in sorted(out.glob(f"{args.docx.stem}-*.png")):
        print(f"Wrote {png}")
    print(f"The PDF has {count} page(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
