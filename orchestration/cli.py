"""The ``campus-dw`` command: how people operate the warehouse.

Imports are lazy: ``campus-dw --help`` and ``campus-dw kpis`` must not pay for Dagster,
dbt or Great Expectations.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.settings import PROJECT_ROOT, ConfigError, Settings, demo_dir, load_settings


class CliError(Exception):
    """An error for the user: printed without a traceback, exit code 2."""


def _log(msg: str) -> None:
    print(f"[campus-dw {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "scale", None) and not (args.config or os.environ.get("CAMPUS_DW_CONFIG")):
        os.environ["CAMPUS_DW_DEMO_SCALE"] = args.scale
    return load_settings(args.config)


# ----------------------------------------------------------------------------------- generate
def cmd_generate(args: argparse.Namespace) -> int:
    from demo_college.generate import generate_college

    out = Path(args.out)
    generate_college(
        args.scale,
        out,
        seed=args.seed,
        target=args.target,
        url=args.url,
        defect_rate=args.defect_rate,
        progress=_log,
    )
    _log(f"demo college ({args.scale}) written to {out}")
    return 0


def ensure_demo_college(settings: Settings, log=_log) -> Path:
    """Generate the demo college configured in ``settings.demo`` unless it is already there."""
    from demo_college.generate import generate_college

    demo = settings.demo
    if demo is None:
        raise CliError(
            "the configuration has no 'demo' section: campus-dw demo runs on the demo college only"
        )
    out = demo_dir(settings.home_dir, demo.scale)
    meta = out / "college.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if info.get("seed") == demo.seed and info.get("scale") == demo.scale:
            log(f"reusing the demo college in {out}")
            return out
    log(f"generating the {demo.scale} demo college in {out} (seed {demo.seed})")
    generate_college(
        demo.scale, out, seed=demo.seed, target="sqlite", defect_rate=demo.defect_rate, progress=log
    )
    return out


def start_demo_payment_server(settings: Settings, college: Path):
    from demo_college.payment_server import PaymentServer

    demo = settings.demo
    assert demo is not None
    os.environ.setdefault(settings.sources.payment.token_env, demo.payment_token)
    server = PaymentServer(
        college / "payment" / "bills.jsonl",
        host="127.0.0.1",
        port=demo.payment_port,
        token=os.environ[settings.sources.payment.token_env],
    )
    server.start()
    _log(f"demo payment platform listening on {server.url}")
    return server


# ----------------------------------------------------------------------------------------- run
def _report_outcome(outcome) -> int:
    if outcome.success:
        _log(
            f"run {outcome.run_id} ({outcome.job}) succeeded in {outcome.duration_s:.1f} s; snapshot published"
        )
        return 0
    _log(
        f"run {outcome.run_id} ({outcome.job}) FAILED in {outcome.duration_s:.1f} s; "
        f"nothing was published, the previous snapshot stays current"
    )
    if outcome.message:
        print(outcome.message, file=sys.stderr)
    return 1


def _run(settings: Settings, mode: str, system: str | None) -> int:
    from orchestration.locking import WarehouseBusyError
    from orchestration.pipeline import run_pipeline

    try:
        outcome = run_pipeline(settings, mode=mode, system=system, log=_log)
    except WarehouseBusyError as exc:
        raise CliError(str(exc)) from None
    return _report_outcome(outcome)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    mode = "full" if args.full else "incremental"
    server = None
    if settings.demo is not None and args.config is None and not os.environ.get("CAMPUS_DW_CONFIG"):
        college = ensure_demo_college(settings)
        server = start_demo_payment_server(settings, college)
    try:
        return _run(settings, mode, args.system)
    finally:
        if server is not None:
            server.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    college = ensure_demo_college(settings)
    server = start_demo_payment_server(settings, college)
    try:
        first = not settings.warehouse_path.exists()
        code = _run(settings, "full" if first or args.full else "incremental", None)
        if code == 0:
            cmd_kpis_print(settings, None, None, "table")
        if code != 0 or args.no_serve:
            return code
        return serve(settings)
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------- kpis
def _reader(settings: Settings):
    from dashboards.snapshot import NoSnapshotError, SnapshotReader

    try:
        reader = SnapshotReader(settings)
        reader.connection()
        return reader
    except NoSnapshotError as exc:
        raise CliError(str(exc)) from None


def cmd_kpis_print(settings: Settings, year: int | None, fiscal_year: int | None, fmt: str) -> int:
    from orchestration.kpis import KPI_QUERY, format_table, kpi_document

    reader = _reader(settings)
    con = reader.connection()
    if year is None:
        row = con.execute(
            "select max(academic_year) from marts.fct_kpi_values "
            "where kpi_id = 'registered_students' and value is not null"
        ).fetchone()
        if not row or row[0] is None:
            raise CliError("the published snapshot holds no indicator values")
        year = int(row[0])
    fy = fiscal_year if fiscal_year is not None else year
    rows = con.execute(KPI_QUERY, [year, fy]).fetchall()
    doc = kpi_document(rows, year, fy)
    if fmt == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(format_table(doc))
    return 0


def cmd_kpis(args: argparse.Namespace) -> int:
    return cmd_kpis_print(_settings(args), args.year, args.fiscal_year, args.format)


# ------------------------------------------------------------------------------------- quality
def cmd_quality(args: argparse.Namespace) -> int:
    from dashboards.snapshot import NoSnapshotError, SnapshotReader
    from data_contracts.loader import OWNERS
    from data_contracts.masking import mask_quality_rows
    from data_contracts.report import format_report, quality_report

    if args.steward is not None and args.steward not in OWNERS:
        raise CliError(f"--steward must be one of {', '.join(sorted(OWNERS))}, not {args.steward!r}")
    settings = _settings(args)
    try:
        reader = SnapshotReader(settings, kind="quality")
        con = reader.connection()
    except NoSnapshotError as exc:
        raise CliError(str(exc)) from None
    if getattr(args, "export_xlsx", None):  # each steward's open problems (docs/quality-reports.md)
        from dashboards.quality_report import export_workbooks

        inst = settings.institution
        written = export_workbooks(
            reader,
            Path(args.export_xlsx),
            steward=args.steward,
            viewer=args.steward,
            lang=args.lang,
            institution=f"{inst.name_zh if args.lang == 'zh' else inst.name_en} ({inst.code})",
            run_id=args.run_id,
        )
        for path, p in written:
            print(
                f"{path}\t{len(p.rules)} failing rules, {p.rows_total} rows, {len(p.quarantine)} quarantined"
            )
        return 0
    entries = quality_report(con, run_id=args.run_id)
    # personal fields in the sample keys: shown only to the steward who owns the table
    entries = mask_quality_rows(entries, args.steward)
    print(format_report(entries, fmt=args.format))
    return 0


# ----------------------------------------------------------------------------------------- sql
def cmd_sql(args: argparse.Namespace) -> int:
    from orchestration.sandbox import SqlError, run_sandboxed_sql

    settings = _settings(args)
    query = args.query if args.query != "-" else sys.stdin.read()
    reader = _reader(settings)
    try:
        out = run_sandboxed_sql(reader.path, query, limit=args.limit, fmt=args.format)
    except SqlError as exc:  # a refused or failing query: the message, no traceback
        raise CliError(str(exc)) from None
    print(out)
    return 0


# --------------------------------------------------------------------------------------- serve
def serve(settings: Settings) -> int:
    from orchestration.pipeline import prepare_dagster_home

    prepare_dagster_home(settings)
    env = dict(os.environ)
    env["CAMPUS_DW_HOME"] = str(settings.home_dir)
    if settings.config_origin:
        env["CAMPUS_DW_CONFIG"] = str(settings.config_origin)
    bin_dir = Path(sys.executable).parent
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "streamlit"),
                "run",
                str(PROJECT_ROOT / "dashboards" / "app.py"),
                "--server.address",
                settings.serve.host,
                "--server.port",
                str(settings.serve.dashboard_port),
                "--browser.gatherUsageStats",
                "false",
                "--server.headless",
                "true",
            ],
            env=env,
            cwd=str(PROJECT_ROOT),
        ),
        subprocess.Popen(
            [
                str(bin_dir / "dagster-webserver"),
                "-m",
                "orchestration.definitions",
                "-h",
                settings.serve.host,
                "-p",
                str(settings.serve.dagster_port),
            ],
            env=env,
            cwd=str(PROJECT_ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    _log(
        f"dashboards: http://{settings.serve.host}:{settings.serve.dashboard_port}  ·  "
        f"Dagster UI: http://{settings.serve.host}:{settings.serve.dagster_port}  (Ctrl-C stops)"
    )
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    server = None
    if (
        settings.demo is not None
        and (demo_dir(settings.home_dir, settings.demo.scale) / "college.json").exists()
    ):
        server = start_demo_payment_server(settings, demo_dir(settings.home_dir, settings.demo.scale))
    try:
        return serve(settings)
    finally:
        if server is not None:
            server.stop()


# ------------------------------------------------------------------------ status/publish/rollback
def cmd_status(args: argparse.Namespace) -> int:
    from orchestration.publish import status

    info = status(_settings(args))
    if args.format == "json":
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    else:
        for k, v in info.items():
            print(
                f"{k}: {json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict | list) else v}"
            )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from orchestration.locking import WarehouseBusyError, warehouse_lock
    from orchestration.pipeline import publish_step

    settings = _settings(args)
    if not settings.warehouse_path.exists():
        raise CliError(f"no warehouse at {settings.warehouse_path}: run `campus-dw run --full` first")
    from orchestration.pipeline import complete_marker

    try:
        with warehouse_lock(settings, timeout=5, purpose="publish"):
            if not complete_marker(settings).exists():
                raise CliError(
                    "the warehouse was last left by a run that did not complete (its marts may be half "
                    "built): run `campus-dw run` instead, which checks and publishes"
                )
            info = publish_step(settings, run_id=f"manual-{time.strftime('%Y%m%dT%H%M%S')}", log=_log)
    except WarehouseBusyError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from orchestration.publish import rollback

    name = rollback(_settings(args), args.to)
    _log(f"serving snapshot is now {name}")
    return 0


# ---------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="campus-dw",
        description="The college's data warehouse and decision-support pipeline (统一公共数据库).",
    )
    p.add_argument(
        "--config",
        help="configuration file (default: $CAMPUS_DW_CONFIG, ./campus-dw.yml, "
        "else the embedded demo college)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="generate (or reuse) the demo college, run the pipeline, publish, serve")
    d.add_argument(
        "--scale", choices=["small", "medium", "large"], help="demo college scale (default medium)"
    )
    d.add_argument("--no-serve", action="store_true", help="stop after publishing instead of serving")
    d.add_argument("--full", action="store_true", help="force a full refresh")
    d.set_defaults(func=cmd_demo)

    g = sub.add_parser("generate", help="generate the demo college alone")
    g.add_argument("--scale", choices=["small", "medium", "large"], default="medium")
    g.add_argument("--target", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    g.add_argument("--out", required=True, help="output folder")
    g.add_argument("--url", help="server URL for --target postgres|mysql")
    g.add_argument("--seed", type=int, default=20251)
    g.add_argument("--defect-rate", type=float, default=0.01)
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser("run", help="one pipeline run (extract, dbt build, checks, publish)")
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="full extraction")
    mode.add_argument("--incremental", action="store_true", help="incremental extraction (default)")
    r.add_argument(
        "--system",
        choices=["academic", "hr", "finance", "payment", "all"],
        help="only this source system, then what depends on it downstream (dbt models, checks, publish);"
        " the whole graph while the warehouse holds no complete run",
    )
    r.add_argument(
        "--scale", choices=["small", "medium", "large"], help="demo college scale (demo default only)"
    )
    r.set_defaults(func=cmd_run)

    k = sub.add_parser("kpis", help="indicator values from the published snapshot (kpis.md)")
    k.add_argument("--year", type=int, help="academic year start Y (default: the latest)")
    k.add_argument("--fiscal-year", type=int, help="fiscal year F (default: Y)")
    k.add_argument("--format", choices=["json", "table"], default="table")
    k.set_defaults(func=cmd_kpis)

    q = sub.add_parser("quality", help="data-quality report of the latest run (one entry per rule)")
    q.add_argument("--format", choices=["json", "table"], default="table")
    q.add_argument("--run-id", help="a specific run (default: the latest checked run)")
    q.add_argument(
        "--steward",
        metavar="OWNER",
        help="show personal fields of this steward's own tables unmasked (academic_office, hr_office, "
        "finance_office, payment_platform); default: every personal field masked",
    )
    q.add_argument(
        "--export-xlsx",
        metavar="DIR",
        help="write each steward's open problems as an xlsx workbook into DIR (only --steward's, unmasked, "
        "when given; otherwise one per steward, personal fields masked)",
    )
    q.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the xlsx headers")
    q.set_defaults(func=cmd_quality)

    s = sub.add_parser("sql", help="read-only, sandboxed SQL on the published serving snapshot")
    s.add_argument("query", help="the SQL text, or - to read it from standard input")
    s.add_argument("--limit", type=int, default=1000)
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.set_defaults(func=cmd_sql)

    sv = sub.add_parser("serve", help="serve the dashboards and the Dagster UI on loopback")
    sv.set_defaults(func=cmd_serve)

    st = sub.add_parser("status", help="last run, snapshot age, freshness per source")
    st.add_argument("--format", choices=["json", "table"], default="table")
    st.set_defaults(func=cmd_status)

    pb = sub.add_parser("publish", help="publish the current warehouse as a new serving snapshot")
    pb.set_defaults(func=cmd_publish)

    rb = sub.add_parser("rollback", help="switch the serving snapshot back to the previous one")
    rb.add_argument("--to", help="snapshot file name to switch to (default: the previous one)")
    rb.set_defaults(func=cmd_rollback)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CliError, ConfigError) as exc:
        print(f"campus-dw: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
