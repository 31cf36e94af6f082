"""Benchmark: demo-college generation + load times.

    uv run python bench/bench_generate.py                      # medium->sqlite, medium->postgres, large->sqlite
    uv run python bench/bench_generate.py --only medium-sqlite medium-postgres

Prints one line per run (wall and CPU seconds, grade rows, sizes) and the machine load,
since the 2-core machine is often shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_college.generate import generate_college  # noqa: E402

RUNS = {
    "medium-sqlite": ("medium", "sqlite", None),
    "medium-postgres": ("medium", "postgres", "postgresql://postgres@127.0.0.1:5432/{db}"),
    "medium-mysql": ("medium", "mysql", "mysql://root@127.0.0.1:3306/{db}"),
    "large-sqlite": ("large", "sqlite", None),
}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _drop(target: str, db: str) -> None:
    from extractors.duckdb_setup import connect

    con = connect()
    try:
        if target == "postgres":
            con.execute(
                "ATTACH 'host=127.0.0.1 port=5432 user=postgres dbname=postgres' AS adm (TYPE postgres)"
            )
            con.execute(
                f"CALL postgres_execute('adm', 'DROP DATABASE IF EXISTS {db}', use_transaction=false)"
            )
        elif target == "mysql":
            con.execute("ATTACH 'host=127.0.0.1 port=3306 user=root' AS adm (TYPE mysql)")
            con.execute(f"CALL mysql_execute('adm', 'DROP DATABASE IF EXISTS {db}')")
    finally:
        con.close()


def run(name: str, keep: bool) -> dict[str, object]:
    scale, target, url_t = RUNS[name]
    db = f"dc_bench_{uuid.uuid4().hex[:8]}"
    url = url_t.format(db=db) if url_t else None
    with tempfile.TemporaryDirectory(prefix=f"bench_{name}_") as tmp:
        load0 = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), _cpu()
        out = generate_college(
            scale,
            Path(tmp),
            target=target,
            url=url,
            progress=lambda m: print(f"  {m}", file=sys.stderr, flush=True),
        )
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        college = json.loads((out / "college.json").read_text(encoding="utf-8"))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if url and not keep:
        _drop(target, db)
    res = {
        "run": name,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_avg_start": round(load0, 1),
        "load_avg_end": round(os.getloadavg()[0], 1),
        "grade_rows": college["counts"]["academic.cjxx"],
        "students": college["counts"]["academic.xsjbsj"],
        "files_mb": round(size / 2**20, 1),
    }
    print(json.dumps(res, ensure_ascii=False), flush=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--only",
        nargs="*",
        choices=sorted(RUNS),
        default=["medium-sqlite", "medium-postgres", "large-sqlite"],
    )
    ap.add_argument("--keep", action="store_true", help="keep the server databases")
    args = ap.parse_args()
    for name in args.only:
        run(name, args.keep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
