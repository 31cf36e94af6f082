"""Defect injection into the academic and HR tables (grades, finance and bills inject their own).

Every defect is recorded in the :class:`~demo_college.manifest.Manifest` with the
table's primary key, so tests can check that the quality layer finds each one.
At ``defect_rate = 0`` nothing is injected.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from demo_college.common import Ctx, ts
from demo_college.idcards import wrong_check_digit
from demo_college.manifest import Manifest


def _col(t: pa.Table, name: str) -> list:
    return t.column(name).to_pylist()


def _set(t: pa.Table, name: str, values: list) -> pa.Table:
    i = t.schema.get_field_index(name)
    return t.set_column(i, name, pa.array(values, type=t.schema.field(name).type))


class _Picker:
    """Draws disjoint row indexes so that one row carries one defect."""

    def __init__(self, ctx: Ctx, name: str) -> None:
        self.rng = ctx.sub_rng(name)
        self.taken: set[int] = set()

    def pick(self, candidates: list[int], n: int) -> list[int]:
        pool = [i for i in candidates if i not in self.taken]
        chosen = sorted(self.rng.sample(pool, min(n, len(pool))))
        self.taken.update(chosen)
        return chosen


def inject_academic(ctx: Ctx, tabs: dict[str, pa.Table], manifest: Manifest, protected_ids: set[str]) -> None:
    st = tabs["xsjbsj"]
    n = st.num_rows
    pk = _col(st, "xh")
    p = _Picker(ctx, "defects-academic")
    rng = p.rng
    cnt = ctx.defect_count(n, factor=0.1, cap=60)
    sfzjlxm, sfzjh, xbm = _col(st, "sfzjlxm"), _col(st, "sfzjh"), _col(st, "xbm")
    zyh, csrq, xjztm, gxsj = _col(st, "zyh"), _col(st, "csrq"), _col(st, "xjztm"), _col(st, "gxsj")
    citizens = [i for i in range(n) if sfzjlxm[i] == "1" and sfzjh[i] not in protected_ids]
    for i in p.pick(citizens, cnt):
        old = sfzjh[i]
        sfzjh[i] = wrong_check_digit(old)
        manifest.add(
            "invalid_id_check_digit",
            "academic",
            "xsjbsj",
            {"xh": pk[i]},
            "sfzjh",
            "GB 11643 check digit does not match",
        )
    for i in p.pick(list(range(n)), cnt):
        xbm[i] = "男" if xbm[i] == "1" else "女"
        manifest.add(
            "legacy_gender_text",
            "academic",
            "xsjbsj",
            {"xh": pk[i]},
            "xbm",
            f"legacy text '{xbm[i]}' instead of a GB/T 2261.1 code",
        )
    for i in p.pick(list(range(n)), max(1, cnt // 3) if cnt else 0):
        old = zyh[i]
        zyh[i] = "9999"
        manifest.add(
            "orphan_code",
            "academic",
            "xsjbsj",
            {"xh": pk[i]},
            "zyh",
            f"major code 9999 is not in zyxx (was {old})",
        )
    for i in p.pick(list(range(n)), max(1, cnt // 3) if cnt else 0):
        y = csrq[i][:4]
        csrq[i] = f"{y}0230" if "-" not in csrq[i] else f"{y}-02-30"
        manifest.add(
            "invalid_date", "academic", "xsjbsj", {"xh": pk[i]}, "csrq", f"impossible date {csrq[i]}"
        )
    graduated = [i for i in range(n) if xjztm[i] == "04"]
    for i in p.pick(graduated, max(1, cnt // 2) if cnt else 0):
        xjztm[i] = "01"
        manifest.add(
            "status_inconsistent_with_history",
            "academic",
            "xsjbsj",
            {"xh": pk[i]},
            "xjztm",
            "xjztm '01' (enrolled) but the student has a byxx graduation row",
        )
    future = ctx.now + dt.timedelta(days=30)
    for i in p.pick(list(range(n)), 2 if cnt else 0):
        gxsj[i] = ts(future)
        manifest.add(
            "future_update_timestamp",
            "academic",
            "xsjbsj",
            {"xh": pk[i]},
            "gxsj",
            "gxsj a month after the clock",
        )
    st = _set(st, "sfzjh", sfzjh)
    st = _set(st, "xbm", xbm)
    st = _set(st, "zyh", zyh)
    st = _set(st, "csrq", csrq)
    st = _set(st, "xjztm", xjztm)
    st = _set(st, "gxsj", gxsj)
    tabs["xsjbsj"] = st
    # xjyd rows after a leaving event
    yd = tabs["xjyd"]
    if cnt:
        ydids, xhs, lbs, rqs = _col(yd, "ydid"), _col(yd, "xh"), _col(yd, "ydlbm"), _col(yd, "ydrq")
        leavers = [i for i in range(yd.num_rows) if lbs[i] == "14"]
        extra = []
        next_id = max(ydids) + 1
        for i in sorted(rng.sample(leavers, min(len(leavers), max(1, cnt // 3)))):
            d = dt.date.fromisoformat(rqs[i]) + dt.timedelta(days=rng.randint(20, 200))
            if d > ctx.today:
                continue
            extra.append(
                {
                    "ydid": next_id,
                    "xh": xhs[i],
                    "ydlbm": "12",
                    "ydrq": f"{d}",
                    "yxsh_q": None,
                    "zyh_q": None,
                    "yxsh_h": None,
                    "zyh_h": None,
                    "ydyy": "复学",
                    "gxsj": ts(d, 10 * 3600),
                }
            )
            manifest.add(
                "xjyd_after_leaving",
                "academic",
                "xjyd",
                {"ydid": next_id},
                "ydrq",
                f"return dated {d} after the student's withdrawal on {rqs[i]}",
            )
            next_id += 1
        if extra:
            tabs["xjyd"] = pa.concat_tables([yd, pa.Table.from_pylist(extra, schema=yd.schema)])


def inject_hr(ctx: Ctx, tabs: dict[str, pa.Table], manifest: Manifest, protected_ids: set[str]) -> None:
    t = tabs["jzgjbxx"]
    n = t.num_rows
    p = _Picker(ctx, "defects-hr")
    rng = p.rng
    cnt = ctx.defect_count(n, factor=0.3, cap=20)
    if not cnt:
        return
    gh, sfzjh, sfzjlxm, lzrq, lxrq = (
        _col(t, "gh"),
        _col(t, "sfzjh"),
        _col(t, "sfzjlxm"),
        _col(t, "lzrq"),
        _col(t, "lxrq"),
    )
    cat, title, csrq, dwh = _col(t, "jzglbm"), _col(t, "zyjszwm"), _col(t, "csrq"), _col(t, "dwh")
    for i in p.pick([i for i in range(n) if sfzjlxm[i] == "1" and sfzjh[i] not in protected_ids], cnt):
        sfzjh[i] = wrong_check_digit(sfzjh[i])
        manifest.add(
            "invalid_id_check_digit",
            "hr",
            "jzgjbxx",
            {"gh": gh[i]},
            "sfzjh",
            "GB 11643 check digit does not match",
        )
    left = [i for i in range(n) if lzrq[i] is not None and cat[i] != "01"]
    for i in p.pick(left, max(1, cnt // 2)):
        d = dt.date.fromisoformat(lxrq[i]) - dt.timedelta(days=rng.randint(30, 400))
        lzrq[i] = f"{d}"
        manifest.add(
            "leave_before_join", "hr", "jzgjbxx", {"gh": gh[i]}, "lzrq", f"lzrq {d} before lxrq {lxrq[i]}"
        )
    titled = [i for i in range(n) if title[i]]
    for i in p.pick(titled, max(1, cnt // 2)):
        old = title[i]
        title[i] = {"011": "012", "012": "011", "013": "012", "014": "013"}.get(old, "013")
        manifest.add(
            "title_mismatch_with_history",
            "hr",
            "jzgjbxx",
            {"gh": gh[i]},
            "zyjszwm",
            f"jzgjbxx.zyjszwm {title[i]} but the latest zcbd row says {old}",
        )
    for i in p.pick(list(range(n)), max(1, cnt // 4)):
        csrq[i] = "0000-00-00"
        manifest.add("zero_date", "hr", "jzgjbxx", {"gh": gh[i]}, "csrq", "zero date '0000-00-00' (unknown)")
    for i in p.pick([i for i in range(n) if cat[i] != "01"], max(1, cnt // 4)):
        dwh[i] = "999"
        manifest.add("orphan_code", "hr", "jzgjbxx", {"gh": gh[i]}, "dwh", "unit 999 is not in zzjg")
    for name, vals in (("sfzjh", sfzjh), ("lzrq", lzrq), ("zyjszwm", title), ("csrq", csrq), ("dwh", dwh)):
        t = _set(t, name, vals)
    tabs["jzgjbxx"] = t
