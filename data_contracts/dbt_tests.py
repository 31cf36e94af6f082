"""Mart contracts -> the dbt tests of their relational rules (generated into the models' yml).

The split (docs/data-standards.md, "Marts"): a mart contract (``data_contracts/marts/<mart>.yml``) is
the one place a published mart's rules are written.

- **Relational rules -> dbt tests**, generated here into ``dbt_project/models/marts/**/<mart>.yml``:
  the grain (``primary_key`` -> ``unique_key``), single-column ``unique: true`` -> ``unique`` and
  ``references: <model>.<column>`` -> ``relationships``. They run inside ``dbt build`` (where a
  failure stops the models downstream), so they are not GX expectations.
- **Column and row rules -> Great Expectations** after ``dbt build`` (``runner.run_mart_checks``):
  ``nullable: false``, ``code_set`` / ``values``, ``pattern``, ``range`` and ``rules:``. The
  generated yml therefore carries no ``not_null`` / ``accepted_values`` test for a contracted mart.
- Column types are dbt's own enforced model contract (``data_type`` in the model yml); the mart
  contract repeats them for the reader and a test keeps the two equal.

``python -m data_contracts.dbt_tests`` reports models whose tests differ from the contracts
(exit 1); ``--write`` rewrites the ``data_tests:`` blocks of those yml files (nothing else in them).
Tests (tests/data_contracts/test_marts.py) fail when a yml drifts from its contract.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from data_contracts.loader import Contract, load_mart_contracts

ROOT = Path(__file__).resolve().parents[1]
MARTS_MODELS_DIR = ROOT / "dbt_project" / "models" / "marts"


def model_yml(mart: str, models_dir: Path = MARTS_MODELS_DIR) -> Path:
    found = sorted(models_dir.glob(f"*/{mart}.yml"))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one dbt yml for {mart} under {models_dir}, found {found}")
    return found[0]


def relational_tests(c: Contract) -> tuple[list[Any], dict[str, list[Any]]]:
    """(model-level tests, column -> tests) that the contract's relational rules generate."""
    model = [{"unique_key": {"arguments": {"columns": list(c.primary_key)}}}]
    cols: dict[str, list[Any]] = {}
    for name, col in c.columns.items():
        tests: list[Any] = []
        if col.unique:
            tests.append("unique")
        if col.references:
            to, field = col.references.split(".")
            tests.append({"relationships": {"arguments": {"to": f"ref('{to}')", "field": field}}})
        if tests:
            cols[name] = tests
    return model, cols


def yml_tests(path: Path, mart: str) -> tuple[list[Any], dict[str, list[Any]], dict[str, str]]:
    """(model-level tests, column -> tests, column -> data_type) as the dbt yml has them."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    (model,) = [m for m in data["models"] if m["name"] == mart]
    cols = {c["name"]: list(c.get("data_tests") or []) for c in model.get("columns") or []}
    types = {c["name"]: str(c.get("data_type", "")) for c in model.get("columns") or []}
    return list(model.get("data_tests") or []), {k: v for k, v in cols.items() if v}, types


def differences(c: Contract, path: Path | None = None) -> list[str]:
    """What differs between the contract and the dbt yml of its mart (empty: in sync)."""
    path = path or model_yml(c.table)
    want_model, want_cols = relational_tests(c)
    have_model, have_cols, types = yml_tests(path, c.table)
    out = []
    if have_model != want_model:
        out.append(f"{c.table}: model tests {have_model} != generated {want_model}")
    for col in sorted(set(want_cols) | set(have_cols)):
        if have_cols.get(col, []) != want_cols.get(col, []):
            out.append(
                f"{c.table}.{col}: tests {have_cols.get(col, [])} != generated {want_cols.get(col, [])}"
            )
    if list(types) != list(c.columns):
        out.append(f"{c.table}: columns {list(types)} != contract columns {list(c.columns)}")
    for col, spec in c.columns.items():
        if col in types and types[col].lower() != spec.type.lower():
            out.append(f"{c.table}.{col}: dbt data_type {types[col]!r} != contract type {spec.type!r}")
    return out


# --------------------------------------------------------------------------------- yml rewriting
def _dump_tests(tests: list[Any], indent: int) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}data_tests:"]
    for t in tests:
        if isinstance(t, str):
            lines.append(f"{pad}- {t}")
            continue
        ((name, body),) = t.items()
        lines.append(f"{pad}- {name}:")
        lines.append(f"{pad}    arguments:")
        for k, v in body["arguments"].items():
            if isinstance(v, list):
                lines.append(f"{pad}      {k}:")
                lines += [f"{pad}      - {x}" for x in v]
            else:
                lines.append(f"{pad}      {k}: {v}")
    return lines


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def rewrite(text: str, c: Contract) -> str:
    """``text`` (a one-model dbt yml) with its ``data_tests:`` blocks replaced by the generated ones."""
    lines = text.splitlines()
    # 1. drop every data_tests block (model level: indent 2, column level: indent 4)
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "data_tests:" and _indent(line) in (2, 4):
            ind = _indent(line)
            i += 1
            while (
                i < len(lines)
                and lines[i].strip()
                and (_indent(lines[i]) > ind or lines[i].startswith(" " * ind + "- "))
            ):
                i += 1
            continue
        kept.append(line)
        i += 1
    # 2. insert the generated blocks
    model_tests, col_tests = relational_tests(c)
    out: list[str] = []
    in_columns = False
    current: str | None = None

    def close_column() -> None:
        if current is not None and current in col_tests:
            out.extend(_dump_tests(col_tests[current], 4))

    for line in kept:
        if line == "  columns:":
            out.extend(_dump_tests(model_tests, 2))
            in_columns = True
            out.append(line)
            continue
        if in_columns and line.startswith("  - name: "):
            close_column()
            current = line[len("  - name: ") :].strip()
            out.append(line)
            continue
        if in_columns and line.strip() and _indent(line) < 2:
            close_column()
            in_columns, current = False, None
        out.append(line)
    if in_columns:
        close_column()
    new = "\n".join(out) + ("\n" if text.endswith("\n") else "")
    _same_apart_from_tests(text, new, c.table)
    return new


def _same_apart_from_tests(old: str, new: str, mart: str) -> None:
    def strip(doc: Any) -> Any:
        if isinstance(doc, dict):
            return {k: strip(v) for k, v in doc.items() if k != "data_tests"}
        if isinstance(doc, list):
            return [strip(x) for x in doc]
        return doc

    if strip(yaml.safe_load(old)) != strip(yaml.safe_load(new)):
        raise RuntimeError(f"rewriting the tests of {mart} would change more than its data_tests: refusing")


def sync(write: bool = False, models_dir: Path = MARTS_MODELS_DIR) -> list[str]:
    """Differences between every mart contract and its dbt yml; with ``write`` fix them first."""
    out = []
    for c in load_mart_contracts().values():
        path = model_yml(c.table, models_dir)
        if write and differences(c, path):
            path.write_text(rewrite(path.read_text(encoding="utf-8"), c), encoding="utf-8")
        out += differences(c, path)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the dbt yml data_tests from the contracts")
    args = ap.parse_args(argv)
    diffs = sync(write=args.write)
    for d in diffs:
        print(d, file=sys.stderr)
    if not diffs:
        print("the dbt tests of every contracted mart are generated from its contract")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
