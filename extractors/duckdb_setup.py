"""Offline DuckDB extensions and connections.

The machines reach no extension repository, so the scanner extensions come from
the pinned PyPI packages (``duckdb-extension-*-scanner``).  They are installed
once, by path, into the project's own ``extension_directory``; every connection
then points at that directory with ``autoinstall_known_extensions = false``, so
``ATTACH ... (TYPE postgres|mysql|sqlite)`` autoloads without any network.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import duckdb

#: extension name -> PyPI package module that ships its file
EXTENSION_PACKAGES: dict[str, str] = {
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "mysql_scanner": "duckdb_extension_mysql_scanner",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "excel": "duckdb_extension_excel",
}


def default_extension_dir() -> Path:
    """Where the project keeps its DuckDB extensions (overridable by CAMPUS_DW_DUCKDB_EXT_DIR)."""
    env = os.environ.get("CAMPUS_DW_DUCKDB_EXT_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / ".campus-dw" / "duckdb_extensions"


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` file shipped by the pinned PyPI package for ``name``."""
    module = importlib.import_module(EXTENSION_PACKAGES[name])
    root = Path(module.__file__).parent
    version = duckdb.__version__
    candidates = sorted(root.rglob(f"{name}.duckdb_extension"))
    for cand in candidates:
        if f"v{version}" in cand.parts:
            return cand
    if candidates:
        return candidates[0]
    raise FileNotFoundError(f"the package {EXTENSION_PACKAGES[name]} ships no {name}.duckdb_extension")


def ensure_extensions(ext_dir: Path | None = None) -> Path:
    """Install every scanner extension from its PyPI package into ``ext_dir`` (idempotent, offline)."""
    ext_dir = Path(ext_dir or default_extension_dir())
    ext_dir.mkdir(parents=True, exist_ok=True)
    marker = ext_dir / f".installed-{duckdb.__version__}"
    if marker.exists():
        return ext_dir
    con = duckdb.connect(config={"extension_directory": str(ext_dir), "autoinstall_known_extensions": False})
    try:
        for name in EXTENSION_PACKAGES:
            con.execute(f"INSTALL '{extension_file(name)}'")
    finally:
        con.close()
    marker.write_text("ok\n")
    return ext_dir


def connection_settings(ext_dir: Path | None = None) -> dict[str, object]:
    """Settings every DuckDB connection of the project uses (also dbt's profile ``settings``)."""
    return {
        "extension_directory": str(ensure_extensions(ext_dir)),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }


def connect(
    path: str | os.PathLike[str] = ":memory:",
    *,
    read_only: bool = False,
    ext_dir: Path | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database with the project's offline extension settings."""
    config: dict[str, object] = dict(connection_settings(ext_dir))
    if threads:
        config["threads"] = threads
    return duckdb.connect(str(path), read_only=read_only, config=config)
