"""Generate the demo college: every source system, deterministic for a scale and seed.

``generate_college(scale, out_dir)`` writes the layout of docs/architecture.md
("The demo college output"): college.json, academic.sqlite, hr.sqlite (or the
academic tables into PostgreSQL / the HR tables into MySQL with ``target``),
finance_inbox/, payment/bills.jsonl and manifest.json.  ``main(argv)`` is the
command line (``python -m demo_college``), which ``campus-dw generate`` delegates to.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from demo_college import academic as acad_mod
from demo_college import defects, finance, loaders, payment, teaching
from demo_college import hr as hr_mod
from demo_college.common import SCALES, Ctx, census
from demo_college.manifest import Manifest
from demo_college.names import INSTITUTION_CODE

TARGETS = ("sqlite", "postgres", "mysql")


def clock(scale: str) -> dt.datetime:
    """The generator's fixed clock: (last_year+1)-11-20 10:00:00 Beijing time."""
    return dt.datetime(SCALES[scale].last_year + 1, 11, 20, 10, 0, 0)


def generate_college(
    scale: str,
    out_dir: Path,
    *,
    seed: int = 20251,
    target: str = "sqlite",
    url: str | None = None,
    defect_rate: float = 0.01,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Generate the college into ``out_dir`` and return ``out_dir``."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; one of {sorted(SCALES)}")
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of {TARGETS}")
    if target != "sqlite" and not url:
        raise ValueError(f"--url is needed for target {target}")
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        if progress:
            progress(f"[{time.perf_counter() - t0:6.1f}s] {msg}")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("finance_inbox", "payment"):
        if (out_dir / stale).exists():
            shutil.rmtree(out_dir / stale)
    ctx = Ctx(SCALES[scale], seed, defect_rate, clock(scale))
    manifest = Manifest()
    units = acad_mod.build_units(ctx)
    majors = acad_mod.build_majors(ctx, units)
    acad = acad_mod.generate_students(ctx, units, majors)
    years = acad_mod.census_dates(ctx)
    fte = acad_mod.census_fte(acad, years)
    say(
        f"students: {len(acad.students)} (registered at census {', '.join(f'{y}: {fte[y][0]}' for y in years)})"
    )
    students_by_unit: dict[str, int] = {}
    for s in acad.students:
        if s.registered_at(census(ctx.scale.last_year)):
            students_by_unit[s.major0.unit.hr] = students_by_unit.get(s.major0.unit.hr, 0) + 1
    used_ids = {s.person.sfzjh for s in acad.students}
    hr = hr_mod.generate_hr(ctx, units, fte, students_by_unit, used_ids)
    protected = _link_staff_students(ctx, acad, hr)
    protected |= {x.person.sfzjh for x in hr.externals}
    say(f"staff: {len(hr.staff)}, external teachers: {len(hr.externals)}")
    atabs = acad_mod.unit_tables(ctx, acad)
    atabs.update(acad_mod.student_tables(ctx, acad))
    atabs.update(teaching.generate_teaching(ctx, acad, hr, manifest))
    say(f"grades: {atabs['cjxx'].num_rows} rows, sections: {atabs['jxrw'].num_rows}")
    htabs = hr_mod.hr_tables(ctx, units, hr)
    defects.inject_academic(ctx, atabs, manifest, protected)
    defects.inject_hr(ctx, htabs, manifest, protected)
    # finance and payment
    registered = {y: fte[y][0] for y in years}
    fin_counts = finance.generate_finance(ctx, units, hr, registered, out_dir / "finance_inbox", manifest)
    say(f"finance: {fin_counts}")
    bills = payment.generate_bills(ctx, acad, manifest)
    payment.write_bills(bills, out_dir / "payment" / "bills.jsonl")
    say(f"bills: {len(bills)}")
    # databases
    if target == "postgres":
        assert url is not None
        loaders.write_postgres(atabs, url, say)
    else:
        loaders.write_sqlite(atabs, out_dir / "academic.sqlite", "academic", say)
    if target == "mysql":
        assert url is not None
        loaders.write_mysql(htabs, url, say)
    else:
        loaders.write_sqlite(htabs, out_dir / "hr.sqlite", "hr", say)
    counts: dict[str, Any] = {f"academic.{k}": v.num_rows for k, v in atabs.items()}
    counts.update({f"hr.{k}": v.num_rows for k, v in htabs.items()})
    counts.update({f"finance.{k}": v for k, v in fin_counts.items()})
    counts["payment.bills"] = len(bills)
    college = {
        "scale": scale,
        "seed": seed,
        "first_year": ctx.scale.first_year,
        "last_year": ctx.scale.last_year,
        "now": ctx.now.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "institution_code": INSTITUTION_CODE,
        "defect_rate": defect_rate,
        "target": target,
        "counts": counts,
        "census": {
            str(y): {
                "registered": fte[y][0],
                "fte_students": round(fte[y][1], 1),
                "ratio_target": round(hr.targets[y][0], 2),
            }
            for y in years
        },
        "unit_crosswalk": {"academic_to_hr": acad.stray_codes},
        "quirks": ctx.quirks,
        "defect_counts": manifest.counts(),
    }
    (out_dir / "college.json").write_text(
        json.dumps(college, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest.defects, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    say(f"done: {out_dir}")
    return out_dir


def _link_staff_students(ctx: Ctx, acad, hr) -> set[str]:
    """A few staff are also part-time students (same person, same ID number)."""
    rng = ctx.sub_rng("links")
    cands = [
        s for s in hr.staff if s.jzglbm in ("02", "03") and s.person.birth.year >= 1985 and s.lzrq is None
    ]
    pts = [st for st in acad.students if st.xxxs == "2" and st.gjdqm == "156"]
    n = max(2, len(hr.staff) // 250)
    linked: set[str] = set()
    for s in rng.sample(cands, min(n, len(cands))):
        options = [st for st in pts if st.nj > s.lxrq.year and st.person.sfzjh not in linked]
        if not options:
            continue
        st = rng.choice(options)
        st.person = s.person
        linked.add(s.person.sfzjh)
    return linked


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="campus-dw generate", description="Generate the demo college.")
    ap.add_argument("--scale", choices=sorted(SCALES), default="medium")
    ap.add_argument("--target", choices=TARGETS, default="sqlite")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--url", default=None, help="server URL for --target postgres|mysql")
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--defect-rate", type=float, default=0.01)
    args = ap.parse_args(argv)
    try:
        generate_college(
            args.scale,
            args.out,
            seed=args.seed,
            target=args.target,
            url=args.url,
            defect_rate=args.defect_rate,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
