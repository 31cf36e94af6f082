"""Write, audit, publish: the serving and quality snapshots and their CURRENT pointers.

Plain Python (no Dagster imports); the Dagster publish asset and the ``campus-dw publish /
rollback / status`` commands call these functions.

Layout (docs/architecture.md, "State folder" and "Publish")::

    <home>/serving/CURRENT                                  pointer (JSON), replaced atomically
    <home>/serving/snapshots/serving_<run_id>.duckdb         one published snapshot (never rewritten)
    <home>/serving/snapshots/serving_<run_id>.duckdb.json    its sidecar: run_id, published_at, checksum, previous
    <home>/serving/snapshots/.serving_<run_id>.duckdb.tmp    a snapshot being built (never read)
    <home>/quality/...                                       the same for quality_<run_id>.duckdb

A publish builds the new file under the temporary name from the working warehouse (opened
READ-ONLY: the caller guarantees the pipeline's writer has closed it), CHECKPOINTs and closes
it, computes its sha256, fsyncs it, renames it into place, and only then replaces CURRENT
(temp file + fsync + ``os.replace`` + directory fsync).  A crash at any point leaves CURRENT
naming the previous complete snapshot; leftovers are removed by the next publish.

Personal data in the serving snapshot (rules, in order; see docs/operations.md):

1. models whose dbt ``meta`` says ``restricted: true`` are not published; tables in ``marts``
   that are not dbt models in the manifest (for example a dropped model's leftover table) are
   not published either;
2. columns declared ``meta.pii`` are masked: ``name`` -> first character + ``*`` ('张*'),
   ``id_number`` / ``phone`` -> NULL, ``birth_date`` -> the year (INTEGER, same column name),
   ``person_id`` -> HMAC-SHA256 pseudonym (hex, :data:`PSEUDONYM_HEX_CHARS` characters),
   ``salary`` -> kept only in models that declare ``meta.group_size_column`` (rows with fewer
   than :data:`MIN_GROUP_SIZE` people get NULL), otherwise dropped; any other pii value -> dropped;
3. safety net independent of the manifest: a column whose NAME matches :data:`PII_NAME_PATTERNS`
   is dropped unless the manifest declares it (``meta.pii`` handled above, or ``pii: none`` /
   ``pii: false`` to declare it safe); a VARCHAR column published as-is that holds a value
   shaped like a citizen ID number (:data:`ID_NUMBER_REGEX`) is dropped too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from extractors.duckdb_setup import connect
from orchestration.locking import WarehouseBusyError, file_lock, warehouse_holder, warehouse_read_lock

if TYPE_CHECKING:
    from orchestration.settings import Settings

SERVING = "serving"
QUALITY = "quality"
KINDS = (SERVING, QUALITY)
POINTER_NAME = "CURRENT"
SNAPSHOTS_SUBDIR = "snapshots"
PUBLISH_LOCK_NAME = ".publish.lock"

#: Beijing time (no DST): published_at is stored naive in DuckDB (the project's convention) and
#: ISO with offset in the pointer.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

MIN_GROUP_SIZE = 5
PSEUDONYM_ENV = "CAMPUS_DW_PSEUDONYM_KEY"
PSEUDONYM_HEX_CHARS = 32
KPI_TABLE = "fct_kpi_values"
QUALITY_RAW_TABLES = ("_quarantine", "_load_log", "_finance_files")

#: Safety net: column names that look like personal data (matched in full, case-insensitive).
#: Such a column is dropped from serving unless the dbt manifest declares it (meta.pii).
PII_NAME_PATTERNS: dict[str, str] = {
    "name": r"name|xm|xingming|full_name|real_name|legal_name|(student|teacher|staff|person|employee|"
    r"parent|guardian|contact|emergency_contact|payee|payer)_name|姓名|.*姓名",
    "id_number": r"id_number|id_no|id_card|id_card_no|idcard|citizen_id|national_id|passport(_no)?|"
    r"sfz|sfzh|sfzjh|sfzhm|zjhm|zjh|身份证.*|证件号.*",
    "phone": r"phone|.*_phone|phone_.*|mobile|.*_mobile|mobile_.*|tel|telephone|sjhm|sjh|lxdh|dh|"
    r"手机.*|电话.*|联系电话",
    "birth_date": r"birth_date|birthdate|birthday|date_of_birth|dob|csrq|出生日期|生日",
    "salary": r".*salary.*|.*wage.*|gross_pay|net_pay|take_home_pay|gz|yfgz|sfgz|jbgz|gwgz|xjgz|"
    r".*工资.*|.*薪.*",
    "person_number": r"student_no|student_number|xh|staff_no|employee_no|teacher_no|gh|jzgh|"
    r"学号|工号",
    "contact": r"email|e_mail|dzyx|address|home_address|jtdz|jtzz|家庭住址|住址|电子邮箱",
}
_PII_NAME_RES = {cat: re.compile(f"(?:{pat})", re.IGNORECASE) for cat, pat in PII_NAME_PATTERNS.items()}

#: A value shaped like an 18-character citizen ID number (region, birth date, sequence, check).
ID_NUMBER_REGEX = r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"

#: meta.pii values with a masking rule; any other truthy value drops the column.
MASKED_PII = ("name", "id_number", "phone", "birth_date", "person_id", "salary")
SAFE_PII_VALUES = ("none", "no", "false", "safe", "")

_RUN_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class PublishError(RuntimeError):
    """A publish, rollback or pointer problem, with a message an operator can act on."""


# ---------------------------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SnapshotInfo:
    """One published snapshot file (from CURRENT, the sidecar, or the file itself)."""

    kind: str
    name: str
    path: Path
    run_id: str
    published_at: datetime
    checksum: str | None
    previous: str | None = None

    @property
    def age(self) -> timedelta:
        return datetime.now(BEIJING) - self.published_at

    @property
    def age_hours(self) -> float:
        return self.age.total_seconds() / 3600.0


@dataclass(frozen=True)
class ColumnAction:
    """What the publisher did to one column of a published table (also stored in meta.masking)."""

    table: str
    column: str
    action: str  # masked_name | nulled | birth_year | pseudonymised | small_groups_suppressed | dropped
    reason: str


@dataclass
class PublishResult:
    kind: str
    run_id: str
    snapshot: SnapshotInfo
    previous: str | None
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows
    column_actions: list[ColumnAction] = field(default_factory=list)
    skipped_tables: dict[str, str] = field(default_factory=dict)  # table -> reason
    deleted_snapshots: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def path(self) -> Path:
        return self.snapshot.path

    @property
    def checksum(self) -> str:
        assert self.snapshot.checksum is not None
        return self.snapshot.checksum

    @property
    def published_at(self) -> datetime:
        return self.snapshot.published_at


# ---------------------------------------------------------------------------------------------
# Paths, pointer, sidecars
# ---------------------------------------------------------------------------------------------
def kind_dir(settings: Settings, kind: str = SERVING) -> Path:
    if kind == SERVING:
        return settings.serving_dir
    if kind == QUALITY:
        return settings.quality_dir
    raise ValueError(f"unknown snapshot kind {kind!r} (expected one of {KINDS})")


def snapshots_dir(settings: Settings, kind: str = SERVING) -> Path:
    return kind_dir(settings, kind) / SNAPSHOTS_SUBDIR


def pointer_path(settings: Settings, kind: str = SERVING) -> Path:
    return kind_dir(settings, kind) / POINTER_NAME


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON to a temp file in the same folder, fsync, os.replace, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _sha256_and_fsync(path: Path) -> str:
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)
    try:
        while True:
            chunk = os.read(fd, 4 << 20)
            if not chunk:
                break
            h.update(chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(4 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=BEIJING) if dt.tzinfo is None else dt


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise PublishError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PublishError(f"{path} does not hold a JSON object")
    return data


def _info_from_file(kind: str, path: Path) -> SnapshotInfo:
    """SnapshotInfo for a snapshot file: its sidecar, else meta.snapshot inside it, else its name/mtime."""
    side: dict[str, Any] | None
    try:
        side = _read_json(_sidecar(path))
    except PublishError:
        side = None
    published = _parse_time(side.get("published_at")) if side else None
    run_id = str(side["run_id"]) if side and side.get("run_id") else None
    if published is None or run_id is None:
        stem = path.name[len(kind) + 1 : -len(".duckdb")]
        run_id = run_id or stem.split(".")[0]
        published = published or datetime.fromtimestamp(path.stat().st_mtime, BEIJING)
    return SnapshotInfo(
        kind=kind,
        name=path.name,
        path=path,
        run_id=run_id,
        published_at=published,
        checksum=(side or {}).get("checksum"),
        previous=(side or {}).get("previous"),
    )


def read_pointer(settings: Settings, kind: str = SERVING) -> dict[str, Any] | None:
    """The CURRENT pointer's JSON, or None when nothing has been published."""
    data = _read_json(pointer_path(settings, kind))
    if data is not None and not isinstance(data.get("snapshot"), str):
        raise PublishError(f"{pointer_path(settings, kind)} names no snapshot")
    return data


def current_snapshot(settings: Settings, kind: str = SERVING) -> SnapshotInfo | None:
    """The snapshot CURRENT names (path, run_id, published_at, checksum; ``.age``), or None."""
    ptr = read_pointer(settings, kind)
    if ptr is None:
        return None
    name = Path(ptr["snapshot"]).name
    published = _parse_time(ptr.get("published_at"))
    if published is None:
        raise PublishError(f"{pointer_path(settings, kind)}: published_at is missing or not ISO")
    return SnapshotInfo(
        kind=kind,
        name=name,
        path=snapshots_dir(settings, kind) / name,
        run_id=str(ptr.get("run_id", "")),
        published_at=published,
        checksum=ptr.get("checksum"),
        previous=ptr.get("previous"),
    )


def list_snapshots(settings: Settings, kind: str = SERVING) -> list[SnapshotInfo]:
    """Every complete snapshot file kept, newest first (temp files of a running publish excluded)."""
    folder = snapshots_dir(settings, kind)
    if not folder.is_dir():
        return []
    infos = []
    for path in folder.glob(f"{kind}_*.duckdb"):
        with contextlib.suppress(FileNotFoundError):
            infos.append(_info_from_file(kind, path))
    infos.sort(key=lambda i: (i.published_at, i.name), reverse=True)
    return infos


def _was_switched_in(info: SnapshotInfo) -> bool:
    try:
        side = _read_json(_sidecar(info.path))
    except PublishError:
        return False
    return bool(side and side.get("switched_in"))


def verify_snapshot(info: SnapshotInfo) -> bool:
    """True when the snapshot file exists and its sha256 equals the recorded checksum."""
    if not info.checksum or not info.path.is_file():
        return False
    return file_sha256(info.path) == info.checksum


def _rollback_target(
    settings: Settings, kind: str, current: SnapshotInfo | None, snapshots: list[SnapshotInfo] | None = None
) -> SnapshotInfo | None:
    """What ``rollback()`` would switch to: the pointer's ``previous`` if kept, else the newest older one."""
    if current is None:
        return None
    snapshots = list_snapshots(settings, kind) if snapshots is None else snapshots
    by_name = {s.name: s for s in snapshots}
    if current.previous and current.previous in by_name and current.previous != current.name:
        return by_name[current.previous]
    older = [s for s in snapshots if s.name != current.name and s.published_at < current.published_at]
    return older[0] if older else None


# ---------------------------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------------------------
def pseudonym_key(settings: Settings) -> bytes:
    """The HMAC key for person pseudonyms: $CAMPUS_DW_PSEUDONYM_KEY, else a per-installation random key
    kept in ``<home>/secrets/pseudonym.key`` (created 0600 on first use).  Losing it changes every
    pseudonym: back it up with the warehouse."""
    env = os.environ.get(PSEUDONYM_ENV)
    if env:
        if len(env) < 16:
            raise PublishError(f"{PSEUDONYM_ENV} is too short (use at least 16 characters of random text)")
        return env.encode("utf-8")
    folder = settings.home_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
    path = folder / "pseudonym.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise PublishError(
                f"{path} is empty: restore it from backup (or delete it to start a new "
                "key, which changes every pseudonymous person key)"
            ) from None
        try:
            return bytes.fromhex(text)
        except ValueError:
            return text.encode("utf-8")
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return bytes.fromhex(path.read_text(encoding="utf-8").strip())


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(K xor ipad, K xor opad) for HMAC-SHA256, so the HMAC can be computed in SQL."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonymise(value: str, key: bytes) -> str:
    """Python twin of the SQL pseudonym (HMAC-SHA256 hex, truncated)."""
    import hmac

    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


# ---------------------------------------------------------------------------------------------
# The dbt manifest: which models are restricted, which columns carry personal data
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnPolicy:
    pii: str | None  # lower-case meta.pii, None when not declared
    safe: bool  # declared pii: none / false
    description: str = ""


@dataclass(frozen=True)
class ModelPolicy:
    name: str
    restricted: bool
    group_size_column: str | None
    columns: dict[str, ColumnPolicy]  # lower-case column name -> policy
    description: str = ""


def default_manifest_path() -> Path:
    from orchestration.settings import PROJECT_ROOT

    return PROJECT_ROOT / "dbt_project" / "target" / "manifest.json"


def _merged_meta(node: Mapping[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if isinstance(node.get("meta"), dict):
        meta.update(node["meta"])
    config = node.get("config")
    if isinstance(config, dict) and isinstance(config.get("meta"), dict):
        meta.update(config["meta"])
    return meta


def load_model_policies(manifest_path: Path, schema: str = "marts") -> dict[str, ModelPolicy]:
    """Policies of the dbt nodes built into ``schema``, keyed by lower-case relation name."""
    try:
        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublishError(
            f"the dbt manifest {manifest_path} does not exist: run `dbt parse` (or the pipeline) first; "
            "the publisher refuses to publish without knowing which models and columns hold personal data"
        ) from None
    except ValueError as exc:
        raise PublishError(f"the dbt manifest {manifest_path} is not valid JSON ({exc})") from None
    policies: dict[str, ModelPolicy] = {}
    for node in (manifest.get("nodes") or {}).values():
        if not isinstance(node, dict) or node.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        if str(node.get("schema", "")).lower() != schema:
            continue
        relation = str(node.get("alias") or node.get("name") or "").lower()
        if not relation:
            continue
        meta = _merged_meta(node)
        columns: dict[str, ColumnPolicy] = {}
        for cname, col in (node.get("columns") or {}).items():
            if not isinstance(col, dict):
                continue
            cmeta = _merged_meta(col)
            raw = cmeta.get("pii")
            if raw is None:
                pii, safe = None, False
            elif raw is False or (isinstance(raw, str) and raw.strip().lower() in SAFE_PII_VALUES):
                pii, safe = None, True
            elif raw is True:
                pii, safe = "unspecified", False
            else:
                pii, safe = str(raw).strip().lower(), False
            columns[str(col.get("name") or cname).lower()] = ColumnPolicy(
                pii, safe, str(col.get("description") or "")
            )
        gsc = meta.get("group_size_column")
        policies[relation] = ModelPolicy(
            name=relation,
            restricted=bool(meta.get("restricted")),
            group_size_column=str(gsc).lower() if gsc else None,
            columns=columns,
            description=str(node.get("description") or ""),
        )
    return policies


def pii_name_category(column: str) -> str | None:
    """The safety-net category a column name falls in (see PII_NAME_PATTERNS), or None."""
    for cat, rx in _PII_NAME_RES.items():
        if rx.fullmatch(column.strip()):
            return cat
    return None


# ---------------------------------------------------------------------------------------------
# SQL helpers
# ---------------------------------------------------------------------------------------------
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_TEXT_TYPES = ("VARCHAR",)
_DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")


@dataclass(frozen=True)
class _Col:
    name: str
    expr: str
    passthrough_text: bool  # published unchanged and VARCHAR: subject to the value safety net


def plan_columns(
    table: str,
    columns: list[tuple[str, str]],
    policy: ModelPolicy,
) -> tuple[list[_Col], list[ColumnAction]]:
    """Decide, per column, what the serving copy holds (pure: no database access)."""
    lower_names = {c.lower(): c for c, _ in columns}
    out: list[_Col] = []
    actions: list[ColumnAction] = []
    for col, dtype in columns:
        qc = _q(col)
        cp = policy.columns.get(col.lower())
        dtype_u = dtype.upper()
        if cp is not None and cp.pii:
            pii = cp.pii
            if pii == "name":
                expr = (
                    f"case when nullif(trim(cast({qc} as varchar)), '') is null then null "
                    f"else left(trim(cast({qc} as varchar)), 1) || '*' end"
                )
                out.append(_Col(col, expr, False))
                actions.append(
                    ColumnAction(table, col, "masked_name", "meta.pii: name -> first character + '*'")
                )
            elif pii in ("id_number", "phone"):
                out.append(_Col(col, f"cast(null as {dtype})", False))
                actions.append(ColumnAction(table, col, "nulled", f"meta.pii: {pii} -> NULL"))
            elif pii == "birth_date":
                src = qc if dtype_u in _DATE_TYPES else f"try_cast({qc} as date)"
                out.append(_Col(col, f"cast(year({src}) as integer)", False))
                actions.append(
                    ColumnAction(table, col, "birth_year", "meta.pii: birth_date -> year only (INTEGER)")
                )
            elif pii == "person_id":
                expr = (
                    f"left(sha256((select opad from _pseudonym_pads) || unhex(sha256("
                    f"(select ipad from _pseudonym_pads) || encode(cast({qc} as varchar))))), "
                    f"{PSEUDONYM_HEX_CHARS})"
                )
                out.append(_Col(col, expr, False))
                actions.append(
                    ColumnAction(table, col, "pseudonymised", "meta.pii: person_id -> HMAC-SHA256")
                )
            elif pii == "salary" and policy.group_size_column and policy.group_size_column in lower_names:
                g = _q(lower_names[policy.group_size_column])
                out.append(_Col(col, f"case when {g} >= {MIN_GROUP_SIZE} then {qc} end", False))
                actions.append(
                    ColumnAction(
                        table,
                        col,
                        "small_groups_suppressed",
                        f"meta.pii: salary in an aggregate: NULL where {policy.group_size_column} < {MIN_GROUP_SIZE}",
                    )
                )
            elif pii == "salary":
                actions.append(
                    ColumnAction(
                        table,
                        col,
                        "dropped",
                        "meta.pii: salary outside an aggregate (the model declares no meta.group_size_column)",
                    )
                )
            else:
                actions.append(ColumnAction(table, col, "dropped", f"meta.pii: {pii} has no masking rule"))
            continue
        if cp is not None and cp.safe:
            out.append(_Col(col, qc, dtype_u in _TEXT_TYPES))
            continue
        category = pii_name_category(col)
        if category is not None:
            actions.append(
                ColumnAction(
                    table,
                    col,
                    "dropped",
                    f"safety net: the name looks like personal data ({category}) and the manifest does not declare it",
                )
            )
            continue
        out.append(_Col(col, qc, dtype_u in _TEXT_TYPES))
    return out, actions


def _relations(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    rows = con.execute(
        """select table_name from duckdb_tables() where database_name = ? and schema_name = ?
           union
           select view_name from duckdb_views() where database_name = ? and schema_name = ? and not internal
           order by 1""",
        [catalog, schema, catalog, schema],
    ).fetchall()
    return [r[0] for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        """select column_name, data_type from duckdb_columns()
           where database_name = ? and schema_name = ? and table_name = ? order by column_index""",
        [catalog, schema, table],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _id_shaped_columns(con: duckdb.DuckDBPyConnection, source: str, cols: list[str]) -> list[str]:
    """The VARCHAR columns of ``source`` holding at least one value shaped like a citizen ID number."""
    if not cols:
        return []
    probes = ", ".join(
        f"bool_or(length({_q(c)}) = 18 and regexp_full_match({_q(c)}, {_lit(ID_NUMBER_REGEX)}))" for c in cols
    )
    row = con.execute(f"select {probes} from {source}").fetchone()
    return [c for c, hit in zip(cols, row or [], strict=False) if hit]


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, *, read_only: bool) -> None:
    mode = "READ_ONLY" if read_only else "READ_WRITE"
    con.execute(f"attach {_lit(str(path))} as {_q(alias)} ({mode})")


# ---------------------------------------------------------------------------------------------
# The publish mechanism (shared by serving and quality)
# ---------------------------------------------------------------------------------------------
def _file_stem(run_id: str) -> str:
    stem = _RUN_ID_UNSAFE.sub("_", run_id).strip("_")
    if not stem:
        raise ValueError(f"run_id {run_id!r} gives no usable file name")
    return stem[:120]


def _new_name(folder: Path, kind: str, run_id: str) -> str:
    """``<kind>_<run_id>.duckdb``; a re-publish of the same run gets ``.2``, ``.3`` (never overwrites)."""
    stem = f"{kind}_{_file_stem(run_id)}"
    name = f"{stem}.duckdb"
    n = 2
    while (folder / name).exists() or _sidecar(folder / name).exists():
        name = f"{stem}.{n}.duckdb"
        n += 1
    return name


def _clean_leftovers(folder: Path) -> None:
    """Remove temp files a crashed publish left (only called while holding the publish lock)."""
    for p in folder.glob(".*.tmp*"):
        with contextlib.suppress(OSError):
            p.unlink()


def _remove_snapshot(path: Path) -> None:
    for p in (path, _sidecar(path), path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def apply_retention(settings: Settings, kind: str = SERVING, keep: int | None = None) -> list[str]:
    """Delete all but the newest ``keep`` snapshots (default settings.publish.keep_snapshots); the
    current snapshot and the one rollback() would switch to are never deleted.  Returns deleted names."""
    keep = settings.publish.keep_snapshots if keep is None else keep
    snaps = list_snapshots(settings, kind)
    current = current_snapshot(settings, kind)
    protect = {s.name for s in snaps[: max(1, keep)]}
    if current is not None:
        protect.add(current.name)
        target = _rollback_target(settings, kind, current, snaps)
        if target is not None:
            protect.add(target.name)
    deleted = []
    for s in snaps:
        if s.name not in protect:
            _remove_snapshot(s.path)
            deleted.append(s.name)
    folder = snapshots_dir(settings, kind)
    for side in folder.glob(f"{kind}_*.duckdb.json"):
        if not side.with_name(side.name[: -len(".json")]).exists():
            with contextlib.suppress(OSError):
                side.unlink()
    if deleted:
        _fsync_dir(folder)
    return deleted


def _now_beijing() -> datetime:
    return datetime.now(BEIJING)


def _publish(
    settings: Settings,
    kind: str,
    run_id: str,
    warehouse_path: Path | None,
    build: Callable[
        [duckdb.DuckDBPyConnection, PublishResult, SnapshotInfo | None, datetime, str, str], None
    ],
    published_at: datetime | None,
) -> PublishResult:
    t0 = time.monotonic()
    if not run_id or not isinstance(run_id, str):
        raise ValueError("run_id must be a non-empty string")
    warehouse = Path(warehouse_path or settings.warehouse_path)
    if not warehouse.is_file():
        raise PublishError(f"the working warehouse {warehouse} does not exist: run the pipeline first")
    folder = snapshots_dir(settings, kind)
    folder.mkdir(parents=True, exist_ok=True)
    published = published_at or _now_beijing()
    published = (
        published.replace(tzinfo=BEIJING) if published.tzinfo is None else published.astimezone(BEIJING)
    )

    with file_lock(kind_dir(settings, kind) / PUBLISH_LOCK_NAME, f"{kind} snapshots", purpose="publish"):
        _clean_leftovers(folder)
        previous = current_snapshot(settings, kind)
        name = _new_name(folder, kind, run_id)
        final = folder / name
        tmp = folder / f".{name}.tmp"
        placeholder = SnapshotInfo(
            kind, name, final, run_id, published, None, previous.name if previous else None
        )
        result = PublishResult(
            kind=kind, run_id=run_id, snapshot=placeholder, previous=previous.name if previous else None
        )
        renamed = False
        try:
            # the new file is this connection's own database (a fresh DuckDB instance: nothing else in
            # the process shares it); the warehouse is attached READ-ONLY under its file stem, the
            # catalog name dbt-duckdb qualifies its views with.
            con = connect(tmp)
            try:
                src = warehouse.stem
                dst = con.execute("select current_database()").fetchone()[0]
                if src == dst:
                    src = f"{src}_source"
                _attach(con, warehouse, src, read_only=True)
                build(con, result, previous, published, _q(src), _q(dst))
                con.execute(f"detach {_q(src)}")
                con.execute("checkpoint")
            finally:
                con.close()
            wal = tmp.with_name(tmp.name + ".wal")
            if wal.exists():
                raise PublishError(f"{wal} still exists after CHECKPOINT: refusing to publish a partial file")
            checksum = _sha256_and_fsync(tmp)
            info = SnapshotInfo(kind, name, final, run_id, published, checksum, result.previous)
            sidecar = {
                "kind": kind,
                "snapshot": name,
                "run_id": run_id,
                "published_at": published.isoformat(),
                "checksum": checksum,
                "previous": result.previous,
                "tables": result.tables,
            }
            _write_json_atomic(_sidecar(final), sidecar)
            os.rename(tmp, final)
            renamed = True
            _fsync_dir(folder)
            _switch_pointer(settings, kind, info, extra={})
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            with contextlib.suppress(OSError):
                tmp.with_name(tmp.name + ".wal").unlink()
            try:
                now_current = current_snapshot(settings, kind)
            except PublishError:
                now_current = None
            if not (renamed and now_current is not None and now_current.name == name):
                with contextlib.suppress(OSError):
                    _remove_snapshot(final)
            raise
        result.snapshot = info
        # mark the sidecar: this file has been current (an orphan of a crash never was)
        with contextlib.suppress(OSError):
            _write_json_atomic(_sidecar(final), {**sidecar, "switched_in": True})
        try:
            result.deleted_snapshots = apply_retention(settings, kind)
        except OSError as exc:  # retention is housekeeping: never fail a publish that switched
            result.warnings.append(f"retention failed: {exc}")
    result.duration_s = round(time.monotonic() - t0, 3)
    return result


def _switch_pointer(settings: Settings, kind: str, info: SnapshotInfo, extra: Mapping[str, Any]) -> None:
    """Atomically make ``info`` the current snapshot (CURRENT: temp file + fsync + os.replace)."""
    data = {
        "snapshot": info.name,
        "run_id": info.run_id,
        "published_at": info.published_at.isoformat(),
        "checksum": info.checksum,
        "previous": info.previous,
        "kind": kind,
        "switched_at": datetime.now(BEIJING).isoformat(timespec="seconds"),
        **extra,
    }
    _write_json_atomic(pointer_path(settings, kind), data)


def _write_meta_snapshot(
    con: duckdb.DuckDBPyConnection,
    D: str,
    kind: str,
    settings: Settings,
    run_id: str,
    published: datetime,
    source_freshness: Mapping[str, Any] | None,
    result: PublishResult,
) -> None:
    con.execute(f"create schema if not exists {D}.meta")
    con.execute(
        f"""create table {D}.meta.snapshot (kind varchar, run_id varchar, published_at timestamp,
             published_at_iso varchar, institution_code varchar, source_freshness varchar,
             previous_snapshot varchar, duckdb_version varchar)"""
    )
    con.execute(
        f"insert into {D}.meta.snapshot values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            kind,
            run_id,
            published.replace(tzinfo=None),
            published.isoformat(),
            settings.institution.code,
            json.dumps(source_freshness, ensure_ascii=False, default=str)
            if source_freshness is not None
            else None,
            result.previous,
            duckdb.__version__,
        ],
    )
    con.execute(f"create table {D}.meta.published_tables (table_name varchar, row_count bigint)")
    if result.tables:
        con.executemany(
            f"insert into {D}.meta.published_tables values (?, ?)",
            [[t, n] for t, n in sorted(result.tables.items())],
        )
    con.execute(
        f"create table {D}.meta.masking (table_name varchar, column_name varchar, action varchar, "
        "reason varchar)"
    )
    if result.column_actions:
        con.executemany(
            f"insert into {D}.meta.masking values (?, ?, ?, ?)",
            [[a.table, a.column, a.action, a.reason] for a in result.column_actions],
        )


# ---------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------
def publish_serving(
    settings: Settings,
    run_id: str,
    *,
    warehouse_path: Path | None = None,
    manifest_path: Path | None = None,
    source_freshness: Mapping[str, Any] | None = None,
    published_at: datetime | None = None,
) -> PublishResult:
    """Publish the serving snapshot of ``run_id``: marts only (masked), meta.snapshot and
    meta.kpi_publications; then switch serving/CURRENT atomically and apply retention.

    The working warehouse is opened READ-ONLY: the caller guarantees the pipeline's writer has
    closed it (and, outside a run, holds :func:`orchestration.locking.warehouse_lock`).
    """
    policies = load_model_policies(Path(manifest_path or default_manifest_path()))

    def build(
        con: duckdb.DuckDBPyConnection,
        result: PublishResult,
        previous: SnapshotInfo | None,
        published: datetime,
        S: str,
        D: str,
    ) -> None:
        catalog = S[1:-1].replace('""', '"')
        con.execute(f"create schema {D}.marts")
        pads_ready = False
        for table in _relations(con, catalog, "marts"):
            policy = policies.get(table.lower())
            if policy is None:
                result.skipped_tables[table] = "not a dbt model in the manifest (stale or unmanaged table)"
                continue
            if policy.restricted:
                result.skipped_tables[table] = "restricted (meta.restricted: true)"
                continue
            source = f"{S}.marts.{_q(table)}"
            plan, actions = plan_columns(table, _columns(con, catalog, "marts", table), policy)
            id_shaped = _id_shaped_columns(con, source, [c.name for c in plan if c.passthrough_text])
            if id_shaped:
                plan = [c for c in plan if c.name not in id_shaped]
                actions += [
                    ColumnAction(
                        table, c, "dropped", "safety net: holds values shaped like citizen ID numbers"
                    )
                    for c in id_shaped
                ]
            result.column_actions.extend(actions)
            if not plan:
                result.skipped_tables[table] = "every column holds personal data"
                continue
            if not pads_ready and any("_pseudonym_pads" in c.expr for c in plan):
                ipad, opad = hmac_pads(pseudonym_key(settings))
                con.execute(
                    "create or replace temp table _pseudonym_pads as select ?::blob as ipad, ?::blob as opad",
                    [ipad, opad],
                )
                pads_ready = True
            select = ", ".join(f"{c.expr} as {_q(c.name)}" for c in plan)
            con.execute(f"create table {D}.marts.{_q(table)} as select {select} from {source}")
            result.tables[f"marts.{table}"] = con.execute(
                f"select count(*) from {D}.marts.{_q(table)}"
            ).fetchone()[0]
            _comment(con, D, table, policy, actions)
        if pads_ready:
            con.execute("drop table if exists _pseudonym_pads")
        _write_meta_snapshot(con, D, SERVING, settings, run_id, published, source_freshness, result)
        _build_kpi_publications(con, D, settings, run_id, published, previous, result)

    return _publish(settings, SERVING, run_id, warehouse_path, build, published_at)


def _comment(
    con: duckdb.DuckDBPyConnection, D: str, table: str, policy: ModelPolicy, actions: list[ColumnAction]
) -> None:
    """Carry dbt descriptions over as DuckDB comments (readable by any DuckDB client)."""
    rel = f"{D}.marts.{_q(table)}"
    if policy.description:
        con.execute(f"comment on table {rel} is {_lit(policy.description)}")
    masked = {a.column.lower(): a for a in actions if a.action != "dropped"}
    published_cols = {c for c, _ in _columns(con, D[1:-1].replace('""', '"'), "marts", table)}
    for col in published_cols:
        cp = policy.columns.get(col.lower())
        text = cp.description if cp else ""
        if col.lower() in masked:
            text = (text + " " if text else "") + f"[serving: {masked[col.lower()].reason}]"
        if text:
            con.execute(f"comment on column {rel}.{_q(col)} is {_lit(text)}")


def _build_kpi_publications(
    con: duckdb.DuckDBPyConnection,
    D: str,
    settings: Settings,
    run_id: str,
    published: datetime,
    previous: SnapshotInfo | None,
    result: PublishResult,
) -> None:
    """meta.kpi_publications = this run's marts.fct_kpi_values (as published) + every earlier
    publication carried forward from the current snapshot (and the newest kept one, if different)."""
    parts: list[str] = []
    seen_filter: list[str] = [f"run_id <> {_lit(run_id)}"]
    if f"marts.{KPI_TABLE}" in result.tables:
        parts.append(
            f"select {_lit(run_id)}::varchar as run_id, "
            f"{_lit(published.replace(tzinfo=None).isoformat(sep=' '))}::timestamp as published_at, "
            f"* from {D}.marts.{KPI_TABLE}"
        )
    sources: list[SnapshotInfo] = []
    if previous is not None:
        sources.append(previous)
    # after a rollback the newest snapshot is not the current one: its publication still happened
    newest = [
        s
        for s in list_snapshots(settings, SERVING)
        if (previous is None or s.published_at > previous.published_at) and _was_switched_in(s)
    ]
    if newest:
        sources.append(newest[0])
    for i, src in enumerate(sources):
        alias = f"prev{i}"
        try:
            _attach(con, src.path, alias, read_only=True)
            exists = con.execute(
                "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'meta' "
                "and table_name = 'kpi_publications'",
                [alias],
            ).fetchone()[0]
        except duckdb.Error as exc:
            result.warnings.append(f"could not read kpi publications from {src.name}: {exc}")
            continue
        if not exists:
            continue
        where = " and ".join(seen_filter)
        parts.append(f"select * from {alias}.meta.kpi_publications where {where}")
        seen_filter.append(f"run_id not in (select run_id from {alias}.meta.kpi_publications)")
    if parts:
        union = " union all by name ".join(f"({p})" for p in parts)
        con.execute(
            f"create table {D}.meta.kpi_publications as select * from ({union}) order by published_at, run_id"
        )
    else:
        con.execute(f"create table {D}.meta.kpi_publications (run_id varchar, published_at timestamp)")
    for i in range(len(sources)):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"detach prev{i}")
    result.tables["meta.kpi_publications"] = con.execute(
        f"select count(*) from {D}.meta.kpi_publications"
    ).fetchone()[0]


# ---------------------------------------------------------------------------------------------
# Quality (stewards' snapshot: not masked, restricted to stewards by the app)
# ---------------------------------------------------------------------------------------------
def publish_quality(
    settings: Settings,
    run_id: str,
    *,
    warehouse_path: Path | None = None,
    published_at: datetime | None = None,
) -> PublishResult:
    """Publish the stewards' quality snapshot: every table/view of the warehouse schema ``quality``
    plus raw._quarantine, raw._load_log and raw._finance_files (whatever exists; empty is fine)."""

    def build(
        con: duckdb.DuckDBPyConnection,
        result: PublishResult,
        previous: SnapshotInfo | None,
        published: datetime,
        S: str,
        D: str,
    ) -> None:
        catalog = S[1:-1].replace('""', '"')
        con.execute(f"create schema {D}.quality")
        for table in _relations(con, catalog, "quality"):
            con.execute(f"create table {D}.quality.{_q(table)} as select * from {S}.quality.{_q(table)}")
            result.tables[f"quality.{table}"] = con.execute(
                f"select count(*) from {D}.quality.{_q(table)}"
            ).fetchone()[0]
        con.execute(f"create schema {D}.raw")
        present = set(_relations(con, catalog, "raw"))
        for table in QUALITY_RAW_TABLES:
            if table not in present:
                result.skipped_tables[f"raw.{table}"] = "not in the warehouse yet"
                continue
            con.execute(f"create table {D}.raw.{_q(table)} as select * from {S}.raw.{_q(table)}")
            result.tables[f"raw.{table}"] = con.execute(
                f"select count(*) from {D}.raw.{_q(table)}"
            ).fetchone()[0]
        _write_meta_snapshot(con, D, QUALITY, settings, run_id, published, None, result)

    return _publish(settings, QUALITY, run_id, warehouse_path, build, published_at)


# ---------------------------------------------------------------------------------------------
# Rollback and status
# ---------------------------------------------------------------------------------------------
def rollback(settings: Settings, to: str | None = None, *, kind: str = SERVING) -> str:
    """Switch CURRENT to the previous snapshot (or the one named by ``to``: file name, name without
    ``.duckdb``, or run id), after checking its checksum.  Returns the snapshot name now current."""
    with file_lock(kind_dir(settings, kind) / PUBLISH_LOCK_NAME, f"{kind} snapshots", purpose="rollback"):
        snaps = list_snapshots(settings, kind)
        current = current_snapshot(settings, kind)
        if to is None:
            target = _rollback_target(settings, kind, current, snaps)
            if target is None:
                raise PublishError(
                    f"no earlier {kind} snapshot to roll back to "
                    f"(kept: {', '.join(s.name for s in snaps) or 'none'})"
                )
        else:
            wanted = to.strip()
            matches = [s for s in snaps if wanted in (s.name, s.name.removesuffix(".duckdb"), s.run_id)]
            if not matches:
                raise PublishError(
                    f"no {kind} snapshot named {to!r}; kept: {', '.join(s.name for s in snaps) or 'none'}"
                )
            target = matches[0]
        if target.checksum is None:
            raise PublishError(
                f"{target.name} has no recorded checksum (its sidecar is missing): "
                "refusing to roll back to an unverifiable file"
            )
        if not verify_snapshot(target):
            raise PublishError(
                f"{target.name} does not match its recorded checksum: refusing to roll back to it"
            )
        extra = {"rolled_back_from": current.name if current else None}
        _switch_pointer(settings, kind, target, extra)
        return target.name


def _age_text(age: timedelta) -> str:
    mins = int(age.total_seconds() // 60)
    if mins < 60:
        return f"{mins} min"
    hours, mins = divmod(mins, 60)
    if hours < 48:
        return f"{hours} h {mins} min"
    return f"{hours // 24} d {hours % 24} h"


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, Path):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return str(v)


def _snapshot_status(settings: Settings, kind: str) -> dict[str, Any]:
    try:
        info = current_snapshot(settings, kind)
    except PublishError as exc:
        return {"published": False, "stale": True, "message": str(exc)}
    if info is None:
        return {
            "published": False,
            "stale": True,
            "message": f"no {kind} snapshot published yet: run the pipeline (`campus-dw run`, or "
            "`campus-dw demo` for the demo college)",
        }
    snaps = list_snapshots(settings, kind)
    target = _rollback_target(settings, kind, info, snaps)
    age = info.age
    return {
        "published": True,
        "snapshot": info.name,
        "path": str(info.path),
        "file_present": info.path.is_file(),
        "run_id": info.run_id,
        "published_at": info.published_at.isoformat(),
        "age": _age_text(age),
        "age_hours": round(age.total_seconds() / 3600.0, 2),
        "stale": age > timedelta(hours=settings.publish.stale_after_hours),
        "stale_after_hours": settings.publish.stale_after_hours,
        "checksum": info.checksum,
        "snapshots_kept": [s.name for s in snaps],
        "rollback_to": target.name if target else None,
    }


BUSY_MESSAGE = "warehouse busy (a run is writing)"


def _warehouse_status(settings: Settings) -> dict[str, Any]:
    path = settings.warehouse_path
    out: dict[str, Any] = {"path": str(path)}
    if not path.is_file():
        out.update(state="missing", message="no working warehouse yet: run the pipeline (`campus-dw run`)")
        return out
    try:
        with warehouse_read_lock(settings):
            con = connect(path, read_only=True)
            try:
                has_log = con.execute(
                    "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = '_load_log'"
                ).fetchone()[0]
                if not has_log:
                    out.update(state="ok", last_run=None, message="no run has been logged yet")
                    return out
                rel = con.execute(
                    """select * from raw._load_log
                       where run_id = (select run_id from raw._load_log
                                       order by coalesce(finished_at, started_at) desc nulls last limit 1)
                       order by started_at, system, table_name"""
                )
                names = [d[0] for d in rel.description]
                rows = [dict(zip(names, (_jsonable(v) for v in r), strict=True)) for r in rel.fetchall()]
            finally:
                con.close()
    except WarehouseBusyError:
        out.update(state="busy", message=BUSY_MESSAGE, holder=warehouse_holder(settings))
        return out
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            out.update(state="busy", message=BUSY_MESSAGE)
        else:
            out.update(state="error", message=f"could not read the warehouse: {exc}")
        return out
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
    last = {
        "run_id": rows[0].get("run_id") if rows else None,
        "started_at": min((r["started_at"] for r in rows if r.get("started_at")), default=None),
        "finished_at": max((r["finished_at"] for r in rows if r.get("finished_at")), default=None),
        "tables": len(rows),
        "rows_read": sum(int(r.get("rows_read") or 0) for r in rows),
        "rows_landed": sum(int(r.get("rows_landed") or 0) for r in rows),
        "rows_quarantined": sum(int(r.get("rows_quarantined") or 0) for r in rows),
        "statuses": statuses,
    }
    out.update(state="ok", last_run=last, last_run_rows=rows)
    return out


def status(settings: Settings) -> dict[str, Any]:
    """Current serving and quality snapshots (age, stale flag, rollback target) and the warehouse's
    last run from raw._load_log (``state: busy`` while a run writes: never blocks, never fails)."""
    return {
        "serving": _snapshot_status(settings, SERVING),
        "quality": _snapshot_status(settings, QUALITY),
        "warehouse": _warehouse_status(settings),
    }
