"""Data contracts: YAML files -> typed, validated objects.

Layout (``data_contracts/``):

- ``sources/<system>/<table>.yml``: one contract per source table (columns, row rules, owner);
- ``cross_system.yml``: rules that compare one system with another;
- ``code_sets.yml``: the code sets (codes.md) that columns name with ``code_set:``.

Every check in a contract becomes a :class:`Rule` with a stable id, a severity
(``warn | error | blocking``), an owner (the steward who fixes it) and fix guidance.
Column attributes generate rules (``nullable: false`` -> ``<sys>.<table>.<col>.not_null``,
``code_set`` -> ``.in_set``, ``pattern`` -> ``.pattern``, ``range`` -> ``.range``, ``unique`` /
single-column primary key -> ``.unique``, composite primary key -> ``<sys>.<table>.pk_unique``,
type ``date``/``timestamp``/numbers -> ``.type``); ``rules:`` add row rules, each a SQL boolean
expression over the checked row ``t`` that must be TRUE (NULL counts as a failure) and may read the
current version of any source table as ``cur_<system>__<table>``.

Loading validates every file and names the file and key of each problem (:class:`ContractError`).
Nothing here imports Great Expectations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from extractors.catalog import load_yaml

HERE = Path(__file__).resolve().parent
SOURCES_DIR = HERE / "sources"
CROSS_SYSTEM_PATH = HERE / "cross_system.yml"
CODE_SETS_PATH = HERE / "code_sets.yml"
SOURCE_TABLES_PATH = HERE / "source_tables.yml"

SEVERITIES = ("warn", "error", "blocking")
OWNERS = {
    "academic_office": ("教务处", "academic affairs office"),
    "hr_office": ("组织人事处", "HR office"),
    "finance_office": ("财务处", "finance office"),
    "payment_platform": ("统一支付平台", "payment platform team"),
}
SYSTEM_OWNER = {
    "academic": "academic_office",
    "hr": "hr_office",
    "finance": "finance_office",
    "payment": "payment_platform",
}
# How raw holds the versions of a table (docs/architecture.md, "The raw layer").
CURRENT_STRATEGIES = ("by_key", "finance_file", "bill")
MARTS_DIR = HERE / "marts"
MART_SYSTEM = "marts"
#: what a mart contract reads: the built table itself (schema ``marts``), every row
MART_CURRENT = "mart"
KINDS = ("not_null", "unique", "compound_unique", "in_set", "regex", "between", "expression")
TYPE_FAMILIES = {
    "date": "date",
    "timestamp": "timestamp",
    "datetime": "timestamp",
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "int": "integer",
    "numeric": "number",
    "decimal": "number",
    "amount": "amount",
}
_COLUMN_KEYS = {
    "type",
    "nullable",
    "code_set",
    "pattern",
    "range",
    "unique",
    "not_future",
    "description",
    "severity",
    "fix",
    "personal",
    "values",
    "references",
}
#: ``personal:`` values of a column: ``true`` (fully masked) or the kind, which picks the mask
#: (data_contracts/masking.py): a name keeps its first character, an ID number its first 6 and
#: last 2, a phone its first 3 and last 4; every other kind is masked completely.
PERSONAL_KINDS = (
    "name",
    "id_number",
    "phone",
    "birth_date",
    "amount",
    "bank_account",
    "address",
    "email",
    "free_text",
    "other",
)
_CONTRACT_KEYS = {
    "system",
    "table",
    "owner",
    "description",
    "primary_key",
    "source_key",
    "raw",
    "columns",
    "rules",
}
_RULE_KEYS = {"id", "column", "severity", "check", "description", "fix", "table", "owner", "natural_quirk"}
_CHECK_NAMES = ("not_null", "unique", "in_set", "pattern", "range", "type", "not_future")
_ID_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_\u4e00-\u9fff]+)+$")


class ContractError(ValueError):
    """A contract file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Fix:
    zh: str
    en: str

    def text(self) -> str:
        return f"{self.zh}\n{self.en}".strip()


@dataclass(frozen=True)
class Rule:
    id: str
    system: str
    table: str
    column: str | None
    severity: str
    kind: str  # one of KINDS
    params: dict[str, Any]  # kind-specific: value_set, regex, min/max, columns, sql
    description: str
    fix: Fix
    owner: str
    origin: str  # file the rule came from
    natural_quirk: str | None = None  # a documented natural quirk this (warn) rule reports

    @property
    def table_key(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def gx_column(self) -> str | None:
        """The DataFrame column GX validates for this rule."""
        if self.kind == "expression":
            return f"__ok__{self.id}"
        if self.kind == "between":
            return f"{self.column}__num"
        return self.column


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool = True
    code_set: str | None = None
    pattern: str | None = None
    range: tuple[float | None, float | None] | None = None
    unique: bool = False
    not_future: bool = False
    description: str = ""
    personal: str | None = None  # the personal-data kind (PERSONAL_KINDS), None if not personal
    values: tuple[Any, ...] | None = None  # inline accepted values (marts' own enumerations)
    references: str | None = None  # "<model>.<column>" (marts: a generated dbt relationships test)

    @property
    def family(self) -> str:
        base = self.type.split("(")[0].strip().lower()
        return TYPE_FAMILIES.get(base, "text")


@dataclass(frozen=True)
class Contract:
    system: str
    table: str
    owner: str
    description: str
    primary_key: tuple[str, ...]
    source_key: tuple[str, ...]  # raw columns that identify a row (DB: the primary key)
    raw_table: str  # e.g. raw."academic__xsjbsj"
    current: str  # one of CURRENT_STRATEGIES
    columns: dict[str, ColumnSpec]
    rules: tuple[Rule, ...] = field(default=())
    path: str = ""

    @property
    def key(self) -> str:
        return f"{self.system}.{self.table}"

    @property
    def raw_name(self) -> str:
        return f"{self.system}__{self.table}"

    @property
    def is_mart(self) -> bool:
        return self.current == MART_CURRENT

    @property
    def personal_columns(self) -> frozenset[str]:
        """Columns marked ``personal`` (masked for everyone but the owning steward)."""
        return frozenset(n for n, c in self.columns.items() if c.personal)

    @property
    def personal_kinds(self) -> dict[str, str]:
        """Personal column -> its kind (``other`` when the contract says just ``personal: true``)."""
        return {n: c.personal for n, c in self.columns.items() if c.personal}


# --------------------------------------------------------------------------------------------
# fix guidance templates for generated column rules ({col}, {table}, {owner_zh}, {owner_en}, {arg})
_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "not_null": (
        "{table}.{col} must be filled",
        "{table}.{col} 为空。该字段是必填项，缺失会使依赖它的统计无法计算。请在源系统中补录（{owner_zh}）。",
        "{table}.{col} is empty. It is required; without it the figures that use it cannot be computed. "
        "Fill it in the source system ({owner_en}).",
    ),
    "unique": (
        "{table}.{col} must be unique",
        "{table}.{col} 出现重复值。重复的主键会使记录被重复计数，发布的数字会出错。请在源系统中合并或删除重复记录（{owner_zh}）。",
        "{table}.{col} has duplicate values. Duplicate keys count records twice, so published numbers "
        "are wrong. Merge or remove the duplicates in the source system ({owner_en}).",
    ),
    "pk_unique": (
        "{table} primary key ({col}) must be unique",
        "{table} 的主键（{col}）重复。重复的主键会使记录被重复计数。请在源系统中删除重复记录（{owner_zh}）。",
        "{table} has duplicate primary keys ({col}); records are counted twice. Remove the duplicates "
        "in the source system ({owner_en}).",
    ),
    "in_set": (
        "{table}.{col} must be a code of set '{arg}'",
        "{table}.{col} 的值不在代码集 {arg}（见 codes.md）中。不规范的代码无法映射为标准代码，相关统计会遗漏这些记录。"
        "请在源系统中改为标准代码（{owner_zh}）。",
        "{table}.{col} holds a value outside code set {arg} (codes.md). Such values cannot be mapped to the "
        "standard and drop out of the figures. Change it to a standard code in the source system ({owner_en}).",
    ),
    "pattern": (
        "{table}.{col} must match {arg}",
        "{table}.{col} 的格式不符合规范（{arg}）。格式错误的值无法被正确解析。请在源系统中按规范格式更正（{owner_zh}）。",
        "{table}.{col} does not have the required format ({arg}); such values cannot be read reliably. "
        "Correct the format in the source system ({owner_en}).",
    ),
    "range": (
        "{table}.{col} must be within {arg}",
        "{table}.{col} 超出合理范围 {arg}。超范围的值多为录入错误，会扭曲统计结果。请在源系统中核对并更正（{owner_zh}）。",
        "{table}.{col} is outside the plausible range {arg}; usually a typing error that distorts the figures. "
        "Check and correct it in the source system ({owner_en}).",
    ),
    "type": (
        "{table}.{col} must be a valid {arg}",
        "{table}.{col} 不是有效的{arg}值（例如不存在的日期或非数字）。无法解析的值会被统计排除。请在源系统中更正（{owner_zh}）。",
        "{table}.{col} is not a valid {arg} (e.g. an impossible date or a non-number); values that cannot be "
        "read are left out of the figures. Correct it in the source system ({owner_en}).",
    ),
    "not_future": (
        "{table}.{col} must not lie more than an hour in the future",
        "{table}.{col}（更新时间）比抽取时刻晚一小时以上。未来的时间戳会破坏增量抽取的水位线，可能导致后续修改被漏抽。"
        "请检查写入该记录的服务器时钟，并在源系统中更正该时间（{owner_zh}）。",
        "{table}.{col} (update time) is more than an hour after the moment it was extracted. Future timestamps "
        "break incremental extraction and can make later changes go unseen. Check the clock of the server that "
        "wrote the row and correct the timestamp in the source system ({owner_en}).",
    ),
}
# Marts: the defect is in a built table. It comes from a source record that passed through (the
# source rules of the owning office usually name it too) or from the transformation itself.
_MART_TAIL_ZH = (
    "请按键值在 quality.failing_rows 中找到这些行，核对对应的源系统记录（{owner_zh}）；"
    "若源记录无误，则是仓库转换的缺陷，请报数据中心。"
)
_MART_TAIL_EN = (
    "Find the rows by key in quality.failing_rows and check the source records ({owner_en}); if the "
    "source is right, the warehouse's transformation is at fault: report it to the data centre."
)
_MART_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "not_null": (
        "{table}.{col} must be filled",
        "发布表 {table}.{col} 为空。依赖它的指标和看板会遗漏或错算这些行。" + _MART_TAIL_ZH,
        "{table}.{col} is empty in the published table; the indicators and dashboards that use it leave "
        "these rows out or misplace them. " + _MART_TAIL_EN,
    ),
    "in_set": (
        "{table}.{col} must be one of {arg}",
        "发布表 {table}.{col} 的值不在允许的取值 {arg} 中，看板的分类会漏掉这些行。" + _MART_TAIL_ZH,
        "{table}.{col} holds a value outside {arg}; the dashboards' categories miss these rows. "
        + _MART_TAIL_EN,
    ),
    "pattern": (
        "{table}.{col} must match {arg}",
        "发布表 {table}.{col} 的格式不符合 {arg}。" + _MART_TAIL_ZH,
        "{table}.{col} does not have the format {arg}. " + _MART_TAIL_EN,
    ),
    "range": (
        "{table}.{col} must be within {arg}",
        "发布表 {table}.{col} 超出合理范围 {arg}，发布的数字不可信。" + _MART_TAIL_ZH,
        "{table}.{col} is outside the plausible range {arg}, so the published figure cannot be trusted. "
        + _MART_TAIL_EN,
    ),
}
_DEFAULT_SEVERITY = {
    "not_null": "error",
    "unique": "error",
    "in_set": "error",
    "pattern": "error",
    "range": "error",
    "type": "error",
    "not_future": "warn",
}


def _err(path: Path | str, key: str, msg: str) -> ContractError:
    return ContractError(f"{path}: {key}: {msg}")


def _fix(raw: Any, path: Path | str, key: str) -> Fix:
    if isinstance(raw, str):
        return Fix(zh=raw, en=raw) if not raw.isascii() else Fix(zh="", en=raw)
    if not isinstance(raw, dict) or not (raw.get("zh") or raw.get("en")):
        raise _err(path, key, "fix guidance must be text or a mapping with 'zh' and/or 'en'")
    unknown = set(raw) - {"zh", "en"}
    if unknown:
        raise _err(path, key, f"unknown fix keys {sorted(unknown)}")
    return Fix(zh=str(raw.get("zh", "")).strip(), en=str(raw.get("en", "")).strip())


def _personal(val: Any, path: Path | str, key: str) -> str | None:
    if val is None or val is False:
        return None
    if val is True:
        return "other"
    if val in PERSONAL_KINDS:
        return str(val)
    raise _err(path, key, f"must be true, false or a kind of {PERSONAL_KINDS}, not {val!r}")


def _severity(val: Any, path: Path | str, key: str) -> str:
    if val not in SEVERITIES:
        raise _err(path, key, f"severity must be one of {SEVERITIES}, not {val!r}")
    return str(val)


@cache
def load_code_sets(path: Path = CODE_SETS_PATH) -> dict[str, tuple[str, ...]]:
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    sets = data.get("code_sets")
    if not isinstance(sets, dict):
        raise _err(path, "code_sets", "missing or not a mapping")
    out = {}
    for name, values in sets.items():
        if not isinstance(values, list) or not values:
            raise _err(path, f"code_sets.{name}", "must be a non-empty list")
        out[str(name)] = tuple(str(v) for v in values)
    return out


def _column_rules(c: Contract, col: ColumnSpec, raw: dict, path: Path, code_sets: dict) -> list[Rule]:
    owner_zh, owner_en = OWNERS[c.owner]
    sev_raw = raw.get("severity", {})
    if isinstance(sev_raw, str):
        sev_map = {k: _severity(sev_raw, path, f"columns.{col.name}.severity") for k in _CHECK_NAMES}
    elif isinstance(sev_raw, dict):
        bad = set(sev_raw) - set(_CHECK_NAMES)
        if bad:
            raise _err(
                path, f"columns.{col.name}.severity", f"unknown checks {sorted(bad)}; known {_CHECK_NAMES}"
            )
        sev_map = {k: _severity(v, path, f"columns.{col.name}.severity.{k}") for k, v in sev_raw.items()}
    else:
        raise _err(path, f"columns.{col.name}.severity", "must be a severity or a mapping check -> severity")
    fix_raw = raw.get("fix", {}) or {}
    if not isinstance(fix_raw, dict) or set(fix_raw) - set(_CHECK_NAMES):
        raise _err(path, f"columns.{col.name}.fix", f"must map checks {_CHECK_NAMES} to guidance")
    mart = c.current == MART_CURRENT
    in_pk = col.name in c.primary_key and c.current in ("by_key", MART_CURRENT)

    def make(check: str, kind: str, params: dict, arg: str, default_sev: str | None = None) -> Rule:
        title, zh, en = (_MART_TEMPLATES if mart else _TEMPLATES)[check]
        fmt = {"col": col.name, "table": c.table, "owner_zh": owner_zh, "owner_en": owner_en, "arg": arg}
        fix = (
            _fix(fix_raw[check], path, f"columns.{col.name}.fix.{check}")
            if check in fix_raw
            else Fix(zh.format(**fmt), en.format(**fmt))
        )
        sev = sev_map.get(check) or default_sev or _DEFAULT_SEVERITY[check]
        return Rule(
            id=f"{c.system}.{c.table}.{col.name}.{check}",
            system=c.system,
            table=c.table,
            column=col.name,
            severity=sev,
            kind=kind,
            params=params,
            description=title.format(**fmt),
            fix=fix,
            owner=c.owner,
            origin=str(path),
        )

    out: list[Rule] = []
    if not col.nullable:
        out.append(make("not_null", "not_null", {}, "", "blocking" if in_pk else None))
    if col.values is not None:
        shown = ", ".join(str(v) for v in col.values)
        out.append(make("in_set", "in_set", {"value_set": list(col.values)}, f"[{shown}]"))
    if mart:  # uniqueness and references are relational: generated dbt tests (data_contracts/dbt_tests.py)
        if col.code_set:
            if col.code_set not in code_sets:
                raise _err(path, f"columns.{col.name}.code_set", f"unknown code set {col.code_set!r}")
            out.append(make("in_set", "in_set", {"value_set": list(code_sets[col.code_set])}, col.code_set))
        if col.pattern:
            _check_pattern(col, path)
            out.append(make("pattern", "regex", {"regex": col.pattern}, col.pattern))
        if col.range is not None:
            lo, hi = col.range
            out.append(make("range", "between", {"min_value": lo, "max_value": hi}, f"[{lo}, {hi}]"))
        return out
    if col.unique or (in_pk and len(c.primary_key) == 1):
        out.append(make("unique", "unique", {}, "", "blocking" if in_pk else None))
    if col.code_set:
        if col.code_set not in code_sets:
            raise _err(path, f"columns.{col.name}.code_set", f"unknown code set {col.code_set!r}")
        out.append(make("in_set", "in_set", {"value_set": list(code_sets[col.code_set])}, col.code_set))
    if col.pattern:
        _check_pattern(col, path)
        out.append(make("pattern", "regex", {"regex": col.pattern}, col.pattern))
    fam = col.family
    if fam in ("date", "timestamp", "integer", "number", "amount"):
        out.append(make("type", "expression", {"sql": type_check_sql(col.name, fam)}, fam))
    if col.not_future:
        q = quote(col.name)
        out.append(
            make(
                "not_future",
                "expression",
                {
                    # the value's format is the type rule's business; a cast is half a strptime
                    "sql": f"{q} is null or try_cast({q} as timestamp) <= {{now}} + interval 1 hour"
                },
                "",
            )
        )
    if col.range is not None:
        lo, hi = col.range
        out.append(make("range", "between", {"min_value": lo, "max_value": hi}, f"[{lo}, {hi}]"))
    return out


def _check_pattern(col: ColumnSpec, path: Path) -> None:
    try:
        re.compile(col.pattern or "")
    except re.error as exc:
        raise _err(path, f"columns.{col.name}.pattern", f"invalid regex: {exc}") from None
    if not (col.pattern or "").startswith("^") or not (col.pattern or "").endswith("$"):
        raise _err(path, f"columns.{col.name}.pattern", "must be anchored with ^...$")


def number_sql(col: str) -> str:
    """SQL turning a raw VARCHAR number (possibly '1,200.00', blank) into a DOUBLE (NULL if not one)."""
    q = quote(col)
    return f"try_cast(nullif(trim(replace({q}, ',', '')), '') as double)"


def type_check_sql(col: str, family: str) -> str:
    q = quote(col)
    if family == "date":
        return f"{q} is null or (regexp_matches({q}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}$') and try_strptime({q}, '%Y-%m-%d') is not null)"
    if family == "timestamp":
        return f"{q} is null or try_strptime({q}, '%Y-%m-%d %H:%M:%S') is not null"
    if family == "integer":
        return f"{q} is null or try_cast({q} as bigint) is not null"
    if family == "amount":
        return f"{q} is null or trim({q}) = '' or {number_sql(col)} is not null"
    return f"{q} is null or try_cast({q} as double) is not null"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parse_contract(path: Path, code_sets: dict) -> Contract:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _err(path, "<file>", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise _err(path, "<file>", "top level must be a mapping")
    unknown = set(data) - _CONTRACT_KEYS
    if unknown:
        raise _err(path, sorted(unknown)[0], f"unknown key (known: {sorted(_CONTRACT_KEYS)})")
    for k in ("system", "table", "owner", "primary_key", "columns"):
        if k not in data:
            raise _err(path, k, "missing")
    system, table = str(data["system"]), str(data["table"])
    mart = system == MART_SYSTEM
    if path.parent.name != system or path.stem != table:
        where = f"marts/{table}.yml" if mart else f"sources/{system}/{table}.yml"
        raise _err(path, "system/table", f"file must be {where}")
    owner = data["owner"]
    if owner not in OWNERS:
        raise _err(path, "owner", f"must be one of {sorted(OWNERS)}, not {owner!r}")
    if mart:
        for k in ("raw", "source_key"):
            if k in data:
                raise _err(path, k, "a mart contract reads the built table: no raw/source_key")
        current = MART_CURRENT
    else:
        raw = data.get("raw") or {}
        current = raw.get("current", "by_key")
        if current not in CURRENT_STRATEGIES:
            raise _err(path, "raw.current", f"must be one of {CURRENT_STRATEGIES}")
    cols_raw = data["columns"]
    if not isinstance(cols_raw, dict) or not cols_raw:
        raise _err(path, "columns", "must be a non-empty mapping")
    columns: dict[str, ColumnSpec] = {}
    for name, cdef in cols_raw.items():
        key = f"columns.{name}"
        if not isinstance(cdef, dict) or "type" not in cdef:
            raise _err(path, key, "must be a mapping with at least 'type'")
        bad = set(cdef) - _COLUMN_KEYS
        if bad:
            raise _err(path, f"{key}.{sorted(bad)[0]}", f"unknown column key (known: {sorted(_COLUMN_KEYS)})")
        rng = cdef.get("range")
        if rng is not None:
            if not (
                isinstance(rng, list)
                and len(rng) == 2
                and all(v is None or isinstance(v, int | float) for v in rng)
            ):
                raise _err(path, f"{key}.range", "must be [min, max] (numbers or null)")
            rng = (rng[0], rng[1])
        values = cdef.get("values")
        if values is not None and (not isinstance(values, list) or not values):
            raise _err(path, f"{key}.values", "must be a non-empty list of accepted values")
        refs = cdef.get("references")
        if refs is not None and not (isinstance(refs, str) and re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", refs)):
            raise _err(path, f"{key}.references", "must be '<model>.<column>'")
        if refs is not None and not mart:
            raise _err(path, f"{key}.references", "only mart contracts use references (sources: row rules)")
        columns[str(name)] = ColumnSpec(
            name=str(name),
            type=str(cdef["type"]),
            nullable=bool(cdef.get("nullable", True)),
            code_set=cdef.get("code_set"),
            pattern=cdef.get("pattern"),
            range=rng,
            unique=bool(cdef.get("unique", False)),
            not_future=bool(cdef.get("not_future", False)),
            description=str(cdef.get("description", "")),
            personal=_personal(cdef.get("personal"), path, f"{key}.personal"),
            values=tuple(values) if values is not None else None,
            references=refs,
        )
    pk = tuple(data["primary_key"])
    for k in pk:
        if k not in columns:
            raise _err(path, "primary_key", f"column {k!r} is not in columns")
    source_key = tuple(data.get("source_key") or pk)
    c = Contract(
        system=system,
        table=table,
        owner=owner,
        description=str(data.get("description", "")),
        primary_key=pk,
        source_key=source_key,
        raw_table=f'marts."{table}"' if mart else f'raw."{system}__{table}"',
        current=current,
        columns=columns,
        path=str(path),
    )
    rules: list[Rule] = []
    for name, col in columns.items():
        rules += _column_rules(c, col, cols_raw[name], path, code_sets)
    if len(pk) > 1 and current == "by_key":
        title, zh, en = _TEMPLATES["pk_unique"]
        o_zh, o_en = OWNERS[owner]
        fmt = {"col": ", ".join(pk), "table": table, "owner_zh": o_zh, "owner_en": o_en, "arg": ""}
        rules.append(
            Rule(
                id=f"{system}.{table}.pk_unique",
                system=system,
                table=table,
                column=None,
                severity="blocking",
                kind="compound_unique",
                params={"columns": list(pk)},
                description=title.format(**fmt),
                fix=Fix(zh.format(**fmt), en.format(**fmt)),
                owner=owner,
                origin=str(path),
            )
        )
    for i, r in enumerate(data.get("rules") or []):
        rules.append(_parse_rule(r, path, f"rules[{i}]", c, columns))
    return Contract(**{**c.__dict__, "rules": tuple(rules)})


def _parse_rule(
    r: Any,
    path: Path,
    key: str,
    c: Contract | None,
    columns: dict[str, ColumnSpec] | None,
    tables: dict[str, Contract] | None = None,
) -> Rule:
    if not isinstance(r, dict):
        raise _err(path, key, "a rule must be a mapping")
    bad = set(r) - _RULE_KEYS
    if bad:
        raise _err(path, f"{key}.{sorted(bad)[0]}", f"unknown rule key (known: {sorted(_RULE_KEYS)})")
    for k in ("id", "severity", "check", "fix", "description"):
        if not r.get(k):
            raise _err(path, f"{key}.{k}", "missing")
    rid = str(r["id"])
    key = f"rules[{rid}]"
    if not _ID_RE.match(rid):
        raise _err(path, f"{key}.id", "ids are dotted lower-case words, e.g. academic.xsjbsj.csrq_valid")
    if c is None:  # cross-system rule: names its table
        tname = r.get("table")
        if not tables or tname not in tables:
            raise _err(path, f"{key}.table", f"must name a source table as system.table, not {tname!r}")
        c = tables[tname]
        columns = c.columns
    elif "table" in r:
        raise _err(path, f"{key}.table", "only cross-system rules name their table")
    col = r.get("column")
    if col is not None and col not in (columns or {}):
        raise _err(path, f"{key}.column", f"{col!r} is not a column of {c.key}")
    owner = r.get("owner", c.owner)
    if owner not in OWNERS:
        raise _err(path, f"{key}.owner", f"must be one of {sorted(OWNERS)}")
    return Rule(
        id=rid,
        system=c.system,
        table=c.table,
        column=col,
        severity=_severity(r["severity"], path, f"{key}.severity"),
        kind="expression",
        params={"sql": str(r["check"]).strip()},
        description=str(r["description"]).strip(),
        fix=_fix(r["fix"], path, f"{key}.fix"),
        owner=owner,
        origin=str(path),
        natural_quirk=(str(r["natural_quirk"]).strip() if r.get("natural_quirk") else None),
    )


@cache
def load_contracts(root: Path = SOURCES_DIR) -> dict[str, Contract]:
    """Every source-table contract, keyed ``system.table``; raises :class:`ContractError`."""
    code_sets = load_code_sets()
    out: dict[str, Contract] = {}
    for path in sorted(root.glob("*/*.yml")):
        c = _parse_contract(path, code_sets)
        out[c.key] = c
    _check_against_catalog(out)
    seen: dict[str, str] = {}
    for c in out.values():
        for r in c.rules:
            if r.id in seen:
                raise _err(c.path, f"rules[{r.id}]", f"duplicate rule id (also in {seen[r.id]})")
            seen[r.id] = c.path
    return out


@cache
def load_mart_contracts(root: Path = MARTS_DIR) -> dict[str, Contract]:
    """Every mart contract (``marts/<mart>.yml``), keyed ``marts.<mart>``; raises :class:`ContractError`.

    Rules generated for marts: not_null, in_set (``code_set`` or inline ``values``), pattern and range
    (checked with GX after dbt build) and the ``rules:`` of the file. Uniqueness (``primary_key``,
    ``unique``) and ``references`` are relational: they become dbt tests
    (:mod:`data_contracts.dbt_tests`), not GX expectations; column types are dbt's enforced contract."""
    code_sets = load_code_sets()
    out: dict[str, Contract] = {}
    for path in sorted(root.glob("*.yml")):
        c = _parse_contract(path, code_sets)
        if c.system != MART_SYSTEM:
            raise _err(path, "system", f"a mart contract says system: {MART_SYSTEM}")
        out[c.key] = c
    seen = {r.id for c in load_contracts().values() for r in c.rules}
    for c in out.values():
        for r in c.rules:
            if r.id in seen:
                raise _err(c.path, f"rules[{r.id}]", "duplicate rule id")
            seen.add(r.id)
        for col in c.columns.values():
            if col.references:
                model, field_ = col.references.split(".")
                target = out.get(f"{MART_SYSTEM}.{model}")
                if target is not None and field_ not in target.columns:
                    raise _err(c.path, f"columns.{col.name}.references", f"{model} has no column {field_!r}")
    return out


def mart_rules() -> list[Rule]:
    return [r for c in load_mart_contracts().values() for r in c.rules]


@cache
def load_cross_system(path: Path = CROSS_SYSTEM_PATH) -> tuple[Rule, ...]:
    contracts = load_contracts()
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    if set(data) - {"rules", "views"}:
        raise _err(path, sorted(set(data) - {"rules", "views"})[0], "unknown key (known: ['rules', 'views'])")
    rules = tuple(
        _parse_rule(r, path, f"rules[{i}]", None, None, contracts)
        for i, r in enumerate(data.get("rules") or [])
    )
    ids = {r.id for c in contracts.values() for r in c.rules}
    for r in rules:
        if r.id in ids:
            raise _err(path, f"rules[{r.id}]", "duplicate rule id")
        ids.add(r.id)
    return rules


@cache
def load_helper_views(path: Path = CROSS_SYSTEM_PATH) -> dict[str, str]:
    """Helper views (name -> SELECT) that cross-system rules read."""
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    views = data.get("views") or {}
    if not isinstance(views, dict) or not all(isinstance(v, str) for v in views.values()):
        raise _err(path, "views", "must map view names to SELECT statements")
    return {str(k): str(v) for k, v in views.items()}


def all_rules() -> list[Rule]:
    """Every rule: each contract's, then the cross-system ones."""
    return [r for c in load_contracts().values() for r in c.rules] + list(load_cross_system())


def rules_by_table() -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {k: [] for k in load_contracts()}
    for r in all_rules():
        out[r.table_key].append(r)
    return out


def _check_against_catalog(contracts: dict[str, Contract]) -> None:
    """Every table of source_tables.yml (what the extractors read) has a contract with the same
    columns and primary key; finance and payment tables must be present too."""
    cat = load_yaml(SOURCE_TABLES_PATH.read_text(encoding="utf-8"))
    expected = {f"{s}.{t}": tdef for s, sdef in cat["systems"].items() for t, tdef in sdef["tables"].items()}
    for key, tdef in expected.items():
        if key not in contracts:
            raise ContractError(
                f"{SOURCES_DIR}/{key.replace('.', '/')}.yml: <file>: missing contract for "
                f"source table {key} (source_tables.yml lists it)"
            )
        c = contracts[key]
        if list(c.columns) != list(tdef["columns"]):
            raise _err(
                c.path,
                "columns",
                f"must list the columns of source_tables.yml in order: {list(tdef['columns'])}",
            )
        if list(c.primary_key) != list(tdef["primary_key"]):
            raise _err(c.path, "primary_key", f"must equal source_tables.yml's {tdef['primary_key']}")
    for key in ("finance.budget", "finance.ledger", "payment.bills"):
        if key not in contracts:
            raise ContractError(
                f"{SOURCES_DIR}/{key.replace('.', '/')}.yml: <file>: missing contract for {key}"
            )
