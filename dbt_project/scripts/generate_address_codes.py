"""Regenerate seeds/cn_address_codes.csv from python-stdnum's GB/T 2260 table (stdnum/cn/loc.dat).

The warehouse checks citizen ID numbers (GB 11643) the way ``stdnum.cn.ric.is_valid`` does,
address code included: a 6-digit code is valid for a birth year when one of its county
entries is undated or its ``[start-end]`` interval contains the year.  One output row per
county entry: ``address_code,valid_from_year,valid_to_year`` (blank = open).

    uv run python dbt_project/scripts/generate_address_codes.py
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import stdnum

LOC = Path(stdnum.__file__).parent / "cn" / "loc.dat"
OUT = Path(__file__).resolve().parent.parent / "seeds" / "cn_address_codes.csv"
LINE = re.compile(r'^(\s*)(\d+)\s+(\w+)="([^"]*)"')


def rows() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    prefix = ""
    for line in LOC.read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if not m or line.startswith("#"):
            continue
        indent, code, key, value = m.groups()
        if not indent:
            prefix = code
            continue
        if key != "county":
            continue
        full = prefix + code
        for county in value.split(","):
            if not county.startswith("["):
                out.append((full, "", ""))
                continue
            start, end = county[1:].split("]")[0].split("-")
            out.append((full, start, end))
    return sorted(set(out))


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["address_code", "valid_from_year", "valid_to_year"])
        w.writerows(rows())


if __name__ == "__main__":
    main()
