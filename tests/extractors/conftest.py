"""Fixtures for the extractor tests: throwaway PostgreSQL / MariaDB databases, SQLite files, a warehouse."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractors.duckdb_setup import connect
from extractors.raw_schema import create_raw_schema
from orchestration.settings import ServerSource, SqliteSource

ROOT = Path(__file__).resolve().parents[2]
DDL = {
    "academic": ROOT / "demo_college" / "ddl" / "academic.sql",
    "hr": ROOT / "demo_college" / "ddl" / "hr.sql",
}
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
MY_HOST, MY_PORT, MY_USER = "127.0.0.1", 3306, "root"


def _run(cmd: list[str], sql: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, input=sql, text=True, capture_output=True, check=True, timeout=120)


def pg_exec(db: str, sql: str) -> None:
    if shutil.which("psql") is None:
        pytest.skip("psql not installed")
    _run(
        ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", db, "-v", "ON_ERROR_STOP=1", "-q"],
        sql,
    )


def my_exec(db: str | None, sql: str) -> None:
    if shutil.which("mysql") is None:
        pytest.skip("mysql client not installed")
    cmd = ["mysql", "-h", MY_HOST, "-P", str(MY_PORT), "-u", MY_USER]
    if db:
        cmd.append(db)
    _run(cmd, sql)


def sqlite_exec(path: Path, sql: str) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(sql)
        con.commit()
    finally:
        con.close()


def _server_up(cmd: list[str]) -> bool:
    try:
        subprocess.run(cmd, capture_output=True, timeout=10, check=True)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[callable]:
    """Creates throwaway PostgreSQL databases; drops them at the end of the session."""
    if not _server_up(["psql", "-h", PG_HOST, "-U", PG_USER, "-d", "postgres", "-c", "select 1"]):
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    made: list[str] = []

    def create() -> str:
        name = f"cdw_ext_{uuid.uuid4().hex[:10]}"
        pg_exec("postgres", f"create database {name}")
        made.append(name)
        return name

    yield create
    for name in made:
        subprocess.run(
            [
                "psql",
                "-h",
                PG_HOST,
                "-U",
                PG_USER,
                "-d",
                "postgres",
                "-q",
                "-c",
                f"drop database if exists {name} with (force)",
            ],
            capture_output=True,
        )


@pytest.fixture(scope="session")
def my_admin() -> Iterator[callable]:
    if not _server_up(["mysql", "-h", MY_HOST, "-u", MY_USER, "-e", "select 1"]):
        pytest.skip("MariaDB not reachable on 127.0.0.1:3306")
    made: list[str] = []

    def create() -> str:
        name = f"cdw_ext_{uuid.uuid4().hex[:10]}"
        my_exec(None, f"create database {name} character set utf8mb4")
        made.append(name)
        return name

    yield create
    for name in made:
        subprocess.run(
            ["mysql", "-h", MY_HOST, "-u", MY_USER, "-e", f"drop database if exists {name}"],
            capture_output=True,
        )


class SourceDB:
    """One source database of a given kind, with an ``exec`` for changing it in tests."""

    def __init__(self, kind: str, system: str, settings: SqliteSource | ServerSource, exec_fn):
        self.kind, self.system, self.settings, self._exec = kind, system, settings, exec_fn

    def exec(self, sql: str) -> None:
        self._exec(sql)


def make_source(kind: str, system: str, tmp_path: Path, pg_admin=None, my_admin=None) -> SourceDB:
    ddl = DDL[system].read_text(encoding="utf-8")
    if kind == "sqlite":
        path = tmp_path / f"{system}.sqlite"
        sqlite_exec(path, ddl)
        return SourceDB(kind, system, SqliteSource(type="sqlite", path=path), lambda s: sqlite_exec(path, s))
    if kind == "postgres":
        db = pg_admin()
        pg_exec(db, ddl)
        src = ServerSource(type="postgres", host=PG_HOST, port=PG_PORT, user=PG_USER, database=db)
        return SourceDB(kind, system, src, lambda s: pg_exec(db, s))
    db = my_admin()
    my_exec(db, ddl)
    src = ServerSource(type="mysql", host=MY_HOST, port=MY_PORT, user=MY_USER, database=db)
    return SourceDB(kind, system, src, lambda s: my_exec(db, "set sql_mode = '';\n" + s))


@pytest.fixture
def warehouse(tmp_path: Path):
    con = connect(tmp_path / "warehouse.duckdb")
    create_raw_schema(con)
    yield con
    con.close()
