"""The manifest of injected defects (``manifest.json``).

Each entry: ``{"defect": type, "system", "table", "key": {column: value}, "column", "detail"}``.
Database tables are keyed by their primary key (``data_contracts/source_tables.yml``);
finance files by ``{"file", "line_no"}`` (1-based line of the CSV, header = line 1; for the
budget workbook the sheet row, header = row 3) plus the business columns; bills by
``{"bill_id"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Manifest:
    defects: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, defect: str, system: str, table: str, key: dict[str, Any], column: str | None, detail: str
    ) -> None:
        self.defects.append(
            {
                "defect": defect,
                "system": system,
                "table": table,
                "key": key,
                "column": column,
                "detail": detail,
            }
        )

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.defects:
            out[d["defect"]] = out.get(d["defect"], 0) + 1
        return dict(sorted(out.items()))
