"""Run the benchmarks under bench/ one after another (``make bench``); each prints its own figures.

    uv run python bench/run_all.py                      # every benchmark, in the order below
    uv run python bench/run_all.py --only extract pipeline

The benchmarks and what they check (bench/RESULTS.md has the recorded figures):

- ``extract``: cjxx (5 M rows) from PostgreSQL against ``psql \\copy`` (issue 3: full <= 2.5x the
  floor, incremental <= 10% of full, peak RSS < 2 GB);
- ``dbt``: the medium college's ``dbt build`` and dbt run against the same SQL run directly (issue 4);
- ``pipeline``: ``campus-dw run --full`` on the medium college, orchestrated and bare (issue 5:
  overhead <= 1.5x; issue 6: validation share <= 20%);
- ``dashboards``: page render times and concurrent sessions on the published medium college (issue 7);
- ``generate``: demo college generation speed.

They need PostgreSQL (``make services``) and take minutes each; run them on an otherwise idle
machine, as the figures are wall-clock times. The exit code is the number of benchmarks that failed
or reported a missed target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES: dict[str, list[str]] = {
    "extract": ["bench_extract.py", "--source", "synthetic", "--rows", "5000000"],
    "dbt": ["bench_dbt.py", "--scale", "medium"],
    "pipeline": ["bench_pipeline.py"],
    "dashboards": ["bench_dashboards.py"],
    "generate": ["bench_generate.py"],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=list(BENCHES), help="run only these benchmarks")
    args = ap.parse_args(argv)
    chosen = args.only or list(BENCHES)
    outcome: dict[str, tuple[int, float]] = {}
    for name in chosen:
        script, *rest = BENCHES[name]
        print(f"\n=== {name}: {script} {' '.join(rest)}", flush=True)
        t0 = time.monotonic()
        code = subprocess.call([sys.executable, str(HERE / script), *rest])
        outcome[name] = (code, time.monotonic() - t0)
    print("\n=== summary")
    for name, (code, seconds) in outcome.items():
        print(f"{name:12s} {'ok' if code == 0 else f'exit {code}':10s} {seconds:7.1f} s")
    return sum(1 for code, _ in outcome.values() if code != 0)


if __name__ == "__main__":
    raise SystemExit(main())
