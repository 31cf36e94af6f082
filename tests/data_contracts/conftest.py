"""Fixtures: the SMALL demo college (with and without defects) landed into a warehouse and checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from extractors.raw_schema import BILL_COLUMNS, create_raw_schema


@dataclass
class Checked:
    college: Path
    warehouse: Path
    manifest: list[dict]
    report: object  # data_contracts.runner.CheckReport
    seconds: float


def land_bills(con: duckdb.DuckDBPyConnection, path: Path, run_id: str) -> None:
    """The payment extractor needs the HTTP server; the test lands bills.jsonl as the raw contract says."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cols = {c: [None if r.get(c) is None else str(r[c]) for r in rows] for c in BILL_COLUMNS}
    cols["_run_id"] = [run_id] * len(rows)
    # the digest as the number md5_number gives (its bytes read little-endian), as text: its 39
    # digits are more than Arrow's decimal128 holds
    cols["_row_hash"] = [
        str(
            int.from_bytes(
                hashlib.md5(json.dumps([r.get(c) for c in BILL_COLUMNS]).encode()).digest(), "little"
            )
        )
        for r in rows
    ]
    cols["_op"] = ["I"] * len(rows)
    con.register("bills_in", pa.table(cols))
    names = ", ".join(f'"{c}"' for c in BILL_COLUMNS)
    con.execute(
        f"insert into raw.payment__bills select {names}, _run_id, localtimestamp, _row_hash::UHUGEINT, _op"
        " from bills_in"
    )
    con.unregister("bills_in")


def _build(tmp: Path, defect_rate: float) -> Checked:
    import time

    from data_contracts.runner import run_checks
    from demo_college.generate import generate_college
    from extractors.duckdb_setup import connect
    from extractors.run import extract_all
    from orchestration.settings import settings_from_dict

    college = generate_college("small", tmp / "college", defect_rate=defect_rate)
    info = json.loads((college / "college.json").read_text(encoding="utf-8"))
    now = dt.datetime.fromisoformat(info["now"]).replace(tzinfo=None)
    wh = tmp / "warehouse.duckdb"
    settings = settings_from_dict(
        {
            "home": str(tmp / "home"),
            "sources": {
                "academic": {"type": "sqlite", "path": str(college / "academic.sqlite")},
                "hr": {"type": "sqlite", "path": str(college / "hr.sqlite")},
                "finance": {"inbox": str(college / "finance_inbox")},
                "payment": {"base_url": "http://127.0.0.1:9", "token_env": "CAMPUS_DW_TEST_UNUSED"},
            },
        }
    )
    con = connect(wh)
    try:
        rep = extract_all(
            con, settings, mode="full", run_id="run1", systems=["academic", "hr", "finance"], now=now
        )
        assert rep.ok, rep.summary()
        create_raw_schema(con)
        land_bills(con, college / "payment" / "bills.jsonl", "run1")
        t0 = time.perf_counter()
        # the generator's clock plus an hour: its own rows are stamped up to ~2 h after its clock
        report = run_checks(con, "run1", changed_only=True, now=now + dt.timedelta(hours=1))
        seconds = time.perf_counter() - t0
    finally:
        con.close()
    manifest = json.loads((college / "manifest.json").read_text(encoding="utf-8"))
    return Checked(college, wh, manifest, report, seconds)


@pytest.fixture(scope="session")
def defect_college(tmp_path_factory) -> Checked:
    return _build(tmp_path_factory.mktemp("dq_defects"), 0.01)


@pytest.fixture(scope="session")
def clean_college(tmp_path_factory) -> Checked:
    return _build(tmp_path_factory.mktemp("dq_clean"), 0.0)
