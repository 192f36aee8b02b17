"""Benchmark: reading a large parent list (rows per second).

Run: ``python benchmarks/bench_lists.py [ROWS]`` (default 50,000 rows: pupil-carer pairs,
two rows per address, a local authority's size). Prints the time to read the list, with
and without a ``--where`` filter.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from mailer.lists import read_list

HEADER = ("Pupil Forename,Pupil Surname,Year,Reg Group,Contact Title,Contact Forename,"
          "Contact Surname,Relationship,Priority,Email,No Contact")
DOMAINS = ("example.com", "example.org", "school.example.sch.uk", "mail.example.net")


def make_list(path: Path, rows: int) -> None:
    """Write ``rows`` data rows; every address appears twice (a carer of two pupils)."""
    lines = [HEADER]
    for i in range(rows):
        lines.append(f"Pupil{i},Surname{i // 2},Year {i % 7 + 1},{i % 7 + 1}K,Mrs,Carer{i // 2},"
                     f"Surname{i // 2},Mother,1,carer{i // 2}@{DOMAINS[i // 2 % 4]},")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parents.csv"
        make_list(path, rows)
        for where in ([], ["year=3"]):
            start = time.perf_counter()
            report = read_list(path, where=where)
            took = time.perf_counter() - start
            print(f"{rows} rows, where={where}: {took:.2f} s ({rows / took:,.0f} rows/s), "
                  f"{len(report.recipients)} recipients")


if __name__ == "__main__":
    main()
