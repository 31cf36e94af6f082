"""Masking of personal fields in quality samples and failing rows (the owning steward sees them).

The contracts mark personal columns (``personal: true`` or a kind, see
:data:`data_contracts.loader.PERSONAL_KINDS`). The rule: **personal fields are masked for
everyone except the owning steward** -- the ``owner`` of the contract of the table the row comes
from (``academic_office``, ``hr_office``, ``finance_office``, ``payment_platform``). A viewer
without a steward role (``viewer_owner=None``) always gets masked values.

What is masked in a failing row (``quality.failing_rows``): ``value`` when the row's
``column_name`` is a personal column, and every personal field inside ``source_key``. In
``quality.check_results.sample_keys`` (a list of key dicts): every personal field of each key.

Masks (:func:`mask_value`): a name keeps its first character (``张*``, ``欧阳**``-> ``欧**``), an ID
number its first 6 and last 2 characters (region code and check characters), a phone its first
3 and last 4 digits; every other kind (birth date, amount, bank account, address, e-mail, free
text) is replaced completely by :data:`FULL_MASK`, which does not reveal the length.

Pure Python, no GX and no database: safe to import from the dashboards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from data_contracts.loader import Contract

FULL_MASK = "****"

PersonalSpec = Contract | Mapping[str, str] | Iterable[str]


def mask_value(value: Any, kind: str | None = None) -> str:
    """``value`` masked for its personal-data ``kind`` (``None``/unknown kinds: fully masked).

    Never raises: ``None`` gives ``""``; numbers, dates and other objects are masked as text."""
    if value is None:
        return ""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # an object whose __str__ fails: nothing of it is shown
        return FULL_MASK
    s = text.strip()
    if not s:
        return ""
    if kind == "name":
        return s[0] + "*" * max(1, len(s) - 1)
    if kind == "id_number":
        if len(s) < 10:  # too short to keep 8 characters and still hide something useful
            return FULL_MASK
        return s[:6] + "*" * (len(s) - 8) + s[-2:]
    if kind == "phone":
        if len(s) < 9:
            return FULL_MASK
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    return FULL_MASK


def personal_kinds(spec: PersonalSpec | None) -> dict[str, str]:
    """Column -> kind from a :class:`Contract`, a mapping column -> kind, or a set of column names
    (kind ``other``: fully masked)."""
    if spec is None:
        return {}
    if isinstance(spec, Contract):
        return spec.personal_kinds
    if isinstance(spec, Mapping):
        return {str(k): (str(v) if isinstance(v, str) else "other") for k, v in spec.items()}
    if isinstance(spec, str):
        return {spec: "other"}
    return {str(c): "other" for c in spec}


def may_see_personal(viewer_owner: str | None, row_owner: str | None) -> bool:
    """Only the owning steward sees personal fields unmasked."""
    return viewer_owner is not None and row_owner is not None and viewer_owner == row_owner


def _mask_key(key: Any, kinds: Mapping[str, str]) -> Any:
    """A key dict (or its JSON text) with its personal fields masked; the same type comes back."""
    if isinstance(key, str):
        try:
            parsed = json.loads(key)
        except ValueError:
            return key
        if not isinstance(parsed, dict):
            return key
        return json.dumps(_mask_key(parsed, kinds), ensure_ascii=False)
    if isinstance(key, Mapping):
        return {k: (mask_value(v, kinds[k]) if k in kinds and v is not None else v) for k, v in key.items()}
    return key


def mask_failing_rows(
    rows: Iterable[Mapping[str, Any]],
    contract_or_personal_columns: PersonalSpec | None,
    viewer_owner: str | None,
    row_owner: str,
) -> list[dict[str, Any]]:
    """Failing rows (dicts with ``column_name``, ``value``, ``source_key``) of ONE table, as
    ``viewer_owner`` may see them. Returns new dicts; the input is not changed. ``value`` is
    masked when ``column_name`` is personal (a NULL value stays NULL); personal fields in
    ``source_key`` (a dict or its JSON text) are masked."""
    out = [dict(r) for r in rows]
    if may_see_personal(viewer_owner, row_owner):
        return out
    kinds = personal_kinds(contract_or_personal_columns)
    if not kinds:
        return out
    for r in out:
        col = r.get("column_name")
        if col in kinds and r.get("value") is not None:
            r["value"] = mask_value(r["value"], kinds[col])
        if "source_key" in r:
            r["source_key"] = _mask_key(r["source_key"], kinds)
    return out


def mask_sample_keys(
    sample_keys: Any,
    contract_or_personal_columns: PersonalSpec | None,
    viewer_owner: str | None,
    row_owner: str,
) -> Any:
    """``check_results.sample_keys`` (a list of key dicts, or its JSON text) as ``viewer_owner`` may
    see them; the same type comes back."""
    if may_see_personal(viewer_owner, row_owner):
        return sample_keys
    kinds = personal_kinds(contract_or_personal_columns)
    if not kinds or sample_keys is None:
        return sample_keys
    if isinstance(sample_keys, str):
        try:
            parsed = json.loads(sample_keys)
        except ValueError:
            return sample_keys
        return json.dumps(mask_sample_keys(parsed, kinds, viewer_owner, row_owner), ensure_ascii=False)
    if isinstance(sample_keys, Mapping):
        return _mask_key(sample_keys, kinds)
    if isinstance(sample_keys, Iterable):
        return [_mask_key(k, kinds) for k in sample_keys]
    return sample_keys


# --- helpers for mixed rows (many tables at once): contract and owner looked up per row ----------
def contract_for(system: str, table: str) -> Contract | None:
    """The contract of a source table (``system.table``) or of a mart (system ``marts``), or None."""
    from data_contracts import loader

    key = f"{system}.{table}"
    found = loader.load_contracts().get(key)
    if found is None and hasattr(loader, "load_mart_contracts"):
        found = loader.load_mart_contracts().get(key)
    return found


def table_owner(system: str, table: str) -> str | None:
    c = contract_for(system, table)
    return c.owner if c is not None else None


def mask_quality_rows(
    rows: Iterable[Mapping[str, Any]], viewer_owner: str | None, *, sample_keys_field: str = "sample_keys"
) -> list[dict[str, Any]]:
    """Rows of ``quality.failing_rows`` or ``quality.check_results`` (any tables mixed: each row has
    ``system`` and ``table_name``) masked for ``viewer_owner``; the owner of a row is the owner of its
    table's contract. A row of an unknown table is masked completely in ``value``/``source_key``."""
    out: list[dict[str, Any]] = []
    for row in rows:
        r = dict(row)
        system, table = str(r.get("system") or ""), str(r.get("table_name") or r.get("table") or "")
        if "." in table and table.split(".", 1)[0] == system:  # the report's "system.table"
            table = table.split(".", 1)[1]
        c = contract_for(system, table)
        owner = c.owner if c is not None else None
        if may_see_personal(viewer_owner, owner):
            out.append(r)
            continue
        if c is None:
            if r.get("value") is not None:
                r["value"] = FULL_MASK
            if r.get("source_key") is not None:
                r["source_key"] = FULL_MASK
            if r.get(sample_keys_field) is not None:
                r[sample_keys_field] = FULL_MASK
            out.append(r)
            continue
        r = mask_failing_rows([r], c, viewer_owner, c.owner)[0]
        if sample_keys_field in r:
            r[sample_keys_field] = mask_sample_keys(r[sample_keys_field], c, viewer_owner, c.owner)
        out.append(r)
    return out
