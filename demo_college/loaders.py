"""Loaders: write the generated tables into SQLite files, PostgreSQL or MariaDB/MySQL.

- SQLite: tables created with the source DDL (``demo_college/ddl``) by ``sqlite3``;
  the big tables are bulk-inserted through DuckDB's sqlite extension (timestamps
  land as ``'YYYY-MM-DD HH:MM:SS'`` text), the others with ``executemany`` so that
  text in typed columns (a zero date) is kept as delivered.
- PostgreSQL: DuckDB's postgres extension (``INSERT ... SELECT`` uses ``COPY``).
- MySQL/MariaDB: DuckDB's mysql extension, zero dates patched afterwards.

The target database is created if missing; its tables are dropped and recreated.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa

DDL_DIR = Path(__file__).resolve().parent / "ddl"
BULK = {"cjxx", "jxrw", "gzff"}


def ddl_statements(system: str) -> dict[str, str]:
    """The CREATE TABLE statement of each table of ``system`` ('academic' or 'hr')."""
    text = (DDL_DIR / f"{system}.sql").read_text(encoding="utf-8")
    text = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    out = {}
    for stmt in text.split(";"):
        stmt = stmt.strip()
        m = re.match(r"create\s+table\s+(\w+)", stmt, re.I)
        if m:
            out[m.group(1)] = stmt
    return out


def _duck():
    from extractors.duckdb_setup import connect

    return connect()


def write_sqlite(
    tables: dict[str, pa.Table], path: Path, system: str, progress: Callable[[str], None] | None = None
) -> None:
    path = Path(path)
    if path.exists():
        path.unlink()
    ddl = ddl_statements(system)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    for stmt in ddl.values():
        con.execute(stmt)
    small = [n for n in ddl if n in tables and n not in BULK]
    for name in small:
        t = tables[name]
        cols = t.column_names
        rows = list(zip(*(t.column(c).to_pylist() for c in cols), strict=True))
        con.executemany(f"insert into {name} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})", rows)
        if progress:
            progress(f"sqlite {path.name}: {name} {len(rows)} rows")
    con.commit()
    con.close()
    bulk = [n for n in ddl if n in tables and n in BULK]
    if bulk:
        duck = _duck()
        try:
            duck.execute(f"ATTACH '{path}' AS s (TYPE sqlite)")
            for name in bulk:
                duck.register("_t", tables[name])
                duck.execute(f"INSERT INTO s.{name} SELECT * FROM _t")
                duck.unregister("_t")
                if progress:
                    progress(f"sqlite {path.name}: {name} {tables[name].num_rows} rows")
            duck.execute("DETACH s")
        finally:
            duck.close()


def _parse(url: str) -> dict[str, str]:
    u = urlparse(url)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": str(u.port or (5432 if u.scheme.startswith("postgres") else 3306)),
        "user": unquote(u.username or ("postgres" if u.scheme.startswith("postgres") else "root")),
        "password": unquote(u.password or ""),
        "db": (u.path or "/").lstrip("/") or "campus",
    }


def pg_libpq(url: str, db: str | None = None) -> str:
    p = _parse(url)
    s = f"host={p['host']} port={p['port']} user={p['user']} dbname={db or p['db']}"
    if p["password"]:
        s += f" password={p['password']}"
    return s


def mysql_libpq(url: str, db: str | None = None) -> str:
    p = _parse(url)
    s = f"host={p['host']} port={p['port']} user={p['user']}"
    if db != "":
        s += f" database={db or p['db']}"
    if p["password"]:
        s += f" password={p['password']}"
    return s


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def write_postgres(
    tables: dict[str, pa.Table], url: str, progress: Callable[[str], None] | None = None
) -> None:
    """Academic tables into PostgreSQL (database created if missing, tables recreated)."""
    db = _parse(url)["db"]
    duck = _duck()
    try:
        duck.execute(f"ATTACH {_sql_str(pg_libpq(url, 'postgres'))} AS pgadmin (TYPE postgres)")
        exists = duck.execute(
            f"select count(*) from postgres_query('pgadmin', {_sql_str(f'select 1 from pg_database where datname = {_sql_str(db)}')})"
        ).fetchone()[0]
        if not exists:
            duck.execute(
                f"CALL postgres_execute('pgadmin', {_sql_str(f'CREATE DATABASE {db}')}, use_transaction=false)"
            )
        duck.execute("DETACH pgadmin")
        duck.execute(f"ATTACH {_sql_str(pg_libpq(url))} AS pg (TYPE postgres)")
        ddl = ddl_statements("academic")
        drops = "; ".join(f"DROP TABLE IF EXISTS {n} CASCADE" for n in ddl)
        duck.execute(f"CALL postgres_execute('pg', {_sql_str(drops)})")
        duck.execute(f"CALL postgres_execute('pg', {_sql_str('; '.join(ddl.values()))})")
        duck.execute("CALL pg_clear_cache()")
        for name in ddl:
            if name not in tables:
                continue
            duck.register("_t", tables[name])
            duck.execute(f"INSERT INTO pg.{name} SELECT * FROM _t")
            duck.unregister("_t")
            if progress:
                progress(f"postgres {db}: {name} {tables[name].num_rows} rows")
        duck.execute("DETACH pg")
    finally:
        duck.close()


def write_mysql(tables: dict[str, pa.Table], url: str, progress: Callable[[str], None] | None = None) -> None:
    """HR tables into MySQL/MariaDB (database created if missing, tables recreated)."""
    db = _parse(url)["db"]
    duck = _duck()
    try:
        duck.execute(f"ATTACH {_sql_str(mysql_libpq(url, ''))} AS myadmin (TYPE mysql)")
        duck.execute(
            f"CALL mysql_execute('myadmin', {_sql_str(f'CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4')})"
        )
        duck.execute("DETACH myadmin")
        duck.execute(f"ATTACH {_sql_str(mysql_libpq(url))} AS my (TYPE mysql)")
        ddl = ddl_statements("hr")
        for name, stmt in ddl.items():
            duck.execute(f"CALL mysql_execute('my', {_sql_str(f'DROP TABLE IF EXISTS {name}')})")
            duck.execute(f"CALL mysql_execute('my', {_sql_str(stmt + ' DEFAULT CHARSET=utf8mb4')})")
        duck.execute("CALL mysql_clear_cache()")
        zero: dict[str, list[tuple[str, str, str]]] = {}
        for name in ddl:
            if name not in tables:
                continue
            t = tables[name]
            # zero dates cannot travel as DATE: insert NULL, patch afterwards
            for col in t.column_names:
                if col in ("csrq", "lxrq", "lzrq", "jlrq", "cxrq", "prksrq", "prjsrq", "prrq"):
                    vals = t.column(col).to_pylist()
                    if "0000-00-00" in vals:
                        pk = t.column_names[0]
                        keys = t.column(pk).to_pylist()
                        zero.setdefault(name, []).extend(
                            (col, pk, k) for k, v in zip(keys, vals, strict=True) if v == "0000-00-00"
                        )
                        t = t.set_column(
                            t.column_names.index(col),
                            col,
                            pa.array([None if v == "0000-00-00" else v for v in vals], pa.string()),
                        )
            duck.register("_t", t)
            duck.execute(f"INSERT INTO my.{name} SELECT * FROM _t")
            duck.unregister("_t")
            if progress:
                progress(f"mysql {db}: {name} {t.num_rows} rows")
        for name, items in zero.items():
            for col, pk, key in items:
                stmt = f"UPDATE {name} SET {col} = '0000-00-00' WHERE {pk} = {_sql_str(str(key))}"
                duck.execute(f"CALL mysql_execute('my', {_sql_str(stmt)})")
        duck.execute("DETACH my")
    finally:
        duck.close()


def read_sqlite_tables(path: Path, system: str) -> dict[str, pa.Table]:
    """Read a generated SQLite source back into tables (DDL column order, generator types)."""
    from demo_college.common import rows_to_table

    con = sqlite3.connect(path)
    try:
        out = {}
        for name in ddl_statements(system):
            rows = con.execute(f"select * from {name}").fetchall()
            out[name] = rows_to_table(name, rows)
        return out
    finally:
        con.close()


def copy_college_to_server(
    college_dir: Path, target: str, url: str, progress: Callable[[str], None] | None = None
) -> None:
    """Load an already generated college's academic tables into PostgreSQL or its HR tables into MySQL."""
    college_dir = Path(college_dir)
    if target == "postgres":
        write_postgres(read_sqlite_tables(college_dir / "academic.sqlite", "academic"), url, progress)
    elif target == "mysql":
        write_mysql(read_sqlite_tables(college_dir / "hr.sqlite", "hr"), url, progress)
    else:
        raise ValueError(f"unknown server target {target!r}")
