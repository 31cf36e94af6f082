"""Teaching: courses (``kcxx``), teaching tasks with teachers (``jxrw``) and grades (``cjxx``).

Each student follows the curriculum of their major term by term (general courses,
major courses, one elective from the third term); a class takes a course as one
section taught by a teacher of the offering unit (own staff or external).  Grades
are drawn vectorised with numpy: first sittings (numeric, one decimal for some
courses, five-level for others, absent/deferred), resits (``ksxzm`` 02) and
retakes (03) in a later term, soft-deleted wrong entries (``sfsc = '1'``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from demo_college.academic import Academic, Major
from demo_college.common import Ctx, office_ts, rows_to_table, term_name, ts
from demo_college.hr import HR
from demo_college.manifest import Manifest
from demo_college.names import COURSE_PREFIXES, COURSE_STEMS, GENERAL_COURSES

LEVELS = ["优秀", "良好", "中等", "及格", "不及格"]
K_ABSENT, K_DEFER, K_BAD = 1006, 1007, 1008
KSCJ_DICT = (
    [str(i // 10) if i % 10 == 0 else f"{i // 10}.{i % 10}" for i in range(1001)]
    + LEVELS
    + ["缺考", "缓考", "105"]
)


class Curriculum:
    """Courses and which course each (major, term-in-programme, slot) is."""

    def __init__(self, ctx: Ctx, acad: Academic) -> None:
        rng = ctx.sub_rng("courses")
        self.kch: list[str] = []
        self.name: list[str] = []
        self.xf: list[float] = []
        self.kcxzm: list[str] = []
        self.unit_hr: list[str] = []
        self.unit_acad: list[str] = []
        self.five: list[bool] = []
        self.decimal: list[bool] = []
        acad_code = {u.hr: u.acad for u in acad.units}
        gen_by_sem: dict[int, list[int]] = {}
        for i, (name, xf, _h, unit, sems) in enumerate(GENERAL_COURSES, start=1):
            cid = self._add(
                f"G{i:04d}",
                name,
                xf,
                "03",
                unit,
                acad_code[unit],
                any(w in name for w in ("体育", "形势", "心理", "军事", "就业")),
                False,
            )
            for s in sems:
                gen_by_sem.setdefault(s, []).append(cid)
        majors = acad.majors
        max_sem = max(2 * m.xz for m in majors)
        self.width = 8
        self.ft = np.full((len(majors), max_sem, self.width), -1, dtype=np.int32)
        self.adult = np.full((len(majors), max_sem, self.width), -1, dtype=np.int32)
        for m in majors:
            used_names: set[str] = set()
            for sem in range(1, 2 * m.xz + 1):
                slots: list[int] = []
                if m.pycc in ("1", "2"):
                    gens = [g for g in gen_by_sem.get(sem, []) if not (m.pycc == "2" and sem > 4)]
                    slots.extend(gens[:4])
                last = sem == 2 * m.xz
                if m.pycc == "3":
                    n_major = 4 if sem <= 4 else 1
                elif last:
                    n_major = 2
                else:
                    n_major = max(2, 8 - len(slots))
                for k in range(1, n_major + 1):
                    if last and m.pycc != "3":
                        cname = "毕业设计(论文)" if k == 1 else "毕业实习"
                    elif m.pycc == "3" and sem > 4:
                        cname = "学位论文"
                    else:
                        while True:
                            cname = f"{rng.choice(COURSE_PREFIXES)}{m.name[: rng.choice([2, 3, 4])]}{rng.choice(COURSE_STEMS)}"
                            if cname not in used_names:
                                break
                    used_names.add(cname)
                    xf = rng.choice([2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0]) if not last else 6.0
                    cid = self._add(
                        f"Z{m.zyh}{sem:02d}{k}",
                        cname,
                        xf,
                        "01",
                        m.unit.hr,
                        m.unit.acad,
                        rng.random() < 0.18 or last,
                        rng.random() < 0.15,
                    )
                    slots.append(cid)
                for j, cid in enumerate(slots[: self.width]):
                    self.ft[m.idx, sem - 1, j] = cid
                majors_only = [c for c in slots if self.kcxzm[c] == "01"][:5]
                for j, cid in enumerate(majors_only):
                    self.adult[m.idx, sem - 1, j] = cid
        # electives per major unit
        self.electives: dict[str, list[int]] = {}
        for u in sorted({m.unit.hr for m in majors}):
            uacad = acad_code[u]
            lst = []
            for k in range(1, 13):
                cname = f"{rng.choice(['', '现代', '应用', '专题:'])}{rng.choice(['人工智能', '数据分析', '沟通与写作', '管理', '艺术欣赏', '创新思维', '工程伦理', '职业素养', '科技前沿', '经济学'])}{rng.choice(['导论', '实务', '选讲', '基础', '概论'])}"
                lst.append(self._add(f"X{u}{k:03d}", cname, 2.0, "02", u, uacad, rng.random() < 0.4, False))
            self.electives[u] = lst
        self.difficulty = ctx.sub_np("difficulty").normal(0.0, 0.6, len(self.kch))

    def _add(
        self,
        kch: str,
        name: str,
        xf: float,
        kcxzm: str,
        unit_hr: str,
        unit_acad: str,
        five: bool,
        decimal: bool,
    ) -> int:
        self.kch.append(kch)
        self.name.append(name)
        self.xf.append(xf)
        self.kcxzm.append(kcxzm)
        self.unit_hr.append(unit_hr)
        self.unit_acad.append(unit_acad)
        self.five.append(five)
        self.decimal.append(decimal)
        return len(self.kch) - 1

    def table(self, ctx: Ctx) -> pa.Table:
        rng = ctx.sub_rng("kcxx")
        base = dt.date(ctx.scale.first_year - 6, 7, 10)
        rows = [
            (k, n, x, int(x * 16), z, u, office_ts(rng, base + dt.timedelta(days=rng.randint(0, 40))))
            for k, n, x, z, u in zip(self.kch, self.name, self.xf, self.kcxzm, self.unit_acad, strict=True)
        ]
        return rows_to_table("kcxx", rows)


def _terms(ctx: Ctx) -> list[tuple[int, int]]:
    sc = ctx.scale
    out = [(a, h) for a in range(sc.first_year, sc.last_year + 1) for h in (1, 2)]
    out.append((sc.last_year + 1, 1))  # current term: sections only, no grades yet
    return out


def _term_dates(a: int, h: int) -> tuple[dt.date, dt.date, dt.date]:
    """(start, exam, resit) dates of a term."""
    if h == 1:
        return dt.date(a, 9, 1), dt.date(a + 1, 1, 10), dt.date(a + 1, 3, 5)
    return dt.date(a + 1, 2, 24), dt.date(a + 1, 6, 28), dt.date(a + 1, 8, 30)


def _enrolments(ctx: Ctx, acad: Academic, terms: list[tuple[int, int]]):
    """(student, term, sem, major, class key, adult) for every student-term taught."""
    today = ctx.today
    class_index = {k: i for i, k in enumerate(sorted(acad.classes))}
    cols: dict[str, list[int]] = {"s": [], "t": [], "sem": [], "m": [], "c": [], "adult": []}
    tdates = [_term_dates(a, h) for a, h in terms]
    for st in acad.students:
        group = {"1": "F", "2": "A", "3": "H"}[st.xxxs]
        gaps = []
        pending = None
        for e in st.events:
            if e.ydlbm in ("11", "15"):
                pending = e.date
            elif e.ydlbm == "12" and pending is not None:
                gaps.append((pending, e.date, max(1, round((e.date - pending).days / 365))))
                pending = None
        for ti, ((a, h), (start, exam, _r)) in enumerate(zip(terms, tdates, strict=True)):
            if st.rxrq > start + dt.timedelta(days=10):
                continue
            end_needed = exam if exam <= today else today
            if st.leave_date is not None and st.leave_date <= end_needed:
                continue
            if pending is not None and pending <= exam:
                continue
            skip = False
            delay = 0
            for lo, hi, yrs in gaps:
                if lo <= exam and hi > start:
                    skip = True
                if hi <= start:
                    delay += yrs
            if skip:
                continue
            sem = 2 * (a - st.nj) + h - 2 * delay
            m = st.major_at(start + dt.timedelta(days=7))
            if sem < 1 or sem > 2 * m.xz:
                continue
            cols["s"].append(st.idx)
            cols["t"].append(ti)
            cols["sem"].append(sem)
            cols["m"].append(m.idx)
            cols["c"].append(class_index[(st.nj, m.idx, group, st.classes.get(m.idx, 1))])
            cols["adult"].append(0 if st.fulltime else 1)
    return {k: np.asarray(v, dtype=np.int64) for k, v in cols.items()}


def generate_teaching(ctx: Ctx, acad: Academic, hr: HR, manifest: Manifest) -> dict[str, pa.Table]:
    """kcxx, jxrw and cjxx."""
    cur = Curriculum(ctx, acad)
    terms = _terms(ctx)
    n_terms_graded = len(terms) - 1
    e = _enrolments(ctx, acad, terms)
    g = ctx.sub_np("grades")
    n_courses = len(cur.kch)
    # expand student-terms into course rows
    ft_slots = cur.ft[e["m"], e["sem"] - 1]  # (P, W)
    ad_slots = cur.adult[e["m"], e["sem"] - 1]
    slots = np.where(e["adult"][:, None] == 1, ad_slots, ft_slots)
    P, W = slots.shape
    pr = np.repeat(np.arange(P), W)
    course = slots.reshape(-1)
    keep = course >= 0
    pr, course = pr[keep], course[keep]
    classkey = e["c"][pr]
    # electives: full-time, from the third term up to the one before last
    majors: list[Major] = acad.majors
    xz2 = np.array([2 * m.xz for m in majors])[e["m"]]
    unit_of_major = [m.unit.hr for m in majors]
    elig = np.nonzero((e["adult"] == 0) & (e["sem"] >= 3) & (e["sem"] < xz2))[0]
    el_course = np.empty(len(elig), dtype=np.int64)
    el_units = np.array([unit_of_major[mi] for mi in e["m"][elig]])
    pick = g.integers(0, 12, len(elig))
    for u, lst in cur.electives.items():
        sel = el_units == u
        el_course[sel] = np.asarray(lst)[pick[sel]]
    el_chunk = -1 - (e["s"][elig] % 3)
    pr = np.concatenate([pr, elig])
    course = np.concatenate([course, el_course])
    classkey = np.concatenate([classkey, el_chunk])
    term = e["t"][pr]
    student = e["s"][pr]
    # sections
    K = 1_000_000
    skey = (term * n_courses + course) * K + (classkey + 100)
    sec_keys, sec_of_row = np.unique(skey, return_inverse=True)
    sec_tc = sec_keys // K
    sec_term = sec_tc // n_courses
    sec_course = sec_tc % n_courses
    grp_start = np.r_[0, np.nonzero(np.diff(sec_tc))[0] + 1]
    grp_id = np.repeat(np.arange(len(grp_start)), np.diff(np.r_[grp_start, len(sec_tc)]))
    sec_no = np.arange(len(sec_tc)) - grp_start[grp_id] + 1
    n_sec = len(sec_keys)
    xkrs = np.bincount(sec_of_row, minlength=n_sec)
    # first sittings (graded terms only)
    graded = term < n_terms_graded
    st_ability = np.array([s.ability for s in acad.students])
    adult_bonus = np.array([0.0 if s.fulltime else 3.0 for s in acad.students])
    five = np.asarray(cur.five)
    decimal = np.asarray(cur.decimal)

    def draw(stud, crs, base, spread):
        raw = (
            base
            + 9.0 * st_ability[stud]
            - 5.0 * cur.difficulty[crs]
            + adult_bonus[stud]
            + spread * g.standard_normal(len(stud))
        )
        raw = np.clip(raw, 0.0, 100.0)
        s10 = np.where(decimal[crs], np.round(raw * 10), np.round(raw) * 10).astype(np.int64)
        lvl = np.select([raw >= 90, raw >= 80, raw >= 70, raw >= 60], [0, 1, 2, 3], 4)
        code = np.where(five[crs], 1001 + lvl, s10)
        return code

    def passed(code):
        return ((code < 1001) & (code >= 600)) | ((code >= 1001) & (code <= 1004))

    gi = np.nonzero(graded)[0]
    f_stud, f_course, f_sec, f_term = student[gi], course[gi], sec_of_row[gi], term[gi]
    f_code = draw(f_stud, f_course, 76.0, 8.0)
    u = g.random(len(gi))
    f_code = np.where(u < 0.006, K_ABSENT, np.where(u < 0.009, K_DEFER, f_code))
    # resits: failed, absent or deferred first sittings
    need = ~passed(f_code)
    r_idx = np.nonzero(need & (g.random(len(gi)) < 0.97))[0]
    r_code = draw(f_stud[r_idx], f_course[r_idx], 62.0, 9.0)
    r_code = np.where(g.random(len(r_idx)) < 0.02, K_ABSENT, r_code)
    # resit of a spring term falls in late August: only if that is before the clock
    today = ctx.today
    resit_ok = np.array([_term_dates(*terms[t])[2] <= today for t in range(len(terms))])
    r_idx_ok = resit_ok[f_term[r_idx]]
    r_idx, r_code = r_idx[r_idx_ok], r_code[r_idx_ok]
    # retakes a year later for those who failed the resit
    fail_r = ~passed(r_code)
    t_idx = r_idx[fail_r & (g.random(len(r_idx)) < 0.75)]
    t_term = f_term[t_idx] + 2
    far = dt.date(9999, 1, 1).toordinal()
    leave_ord = np.array([s.leave_date.toordinal() if s.leave_date else far for s in acad.students])
    exam_ord = np.array([_term_dates(*tm)[1].toordinal() for tm in terms] + [far, far])
    ok = (t_term < n_terms_graded) & (leave_ord[f_stud[t_idx]] > exam_ord[t_term])
    t_idx, t_term = t_idx[ok], t_term[ok]
    t_code = draw(f_stud[t_idx], f_course[t_idx], 72.0, 8.0)
    # retake sections: one 'CX' section per (term, course)
    cx_key = t_term * n_courses + f_course[t_idx]
    cx_keys, cx_of_row = np.unique(cx_key, return_inverse=True)
    n_cx = len(cx_keys)
    # soft-deleted wrong entries
    d_idx = np.nonzero(g.random(len(gi)) < 0.003)[0]
    d_code = draw(f_stud[d_idx], f_course[d_idx], 76.0, 15.0)

    # ---------------- teachers for sections
    rng = ctx.sub_rng("teachers")
    all_sec_term = np.concatenate([sec_term, cx_keys // n_courses])
    all_sec_course = np.concatenate([sec_course, cx_keys % n_courses])
    teacher, jslx = _assign_teachers(ctx, rng, hr, cur, terms, all_sec_term, all_sec_course)
    # jxbh strings
    jx = []
    for t, c, no in zip(sec_term.tolist(), sec_course.tolist(), sec_no.tolist(), strict=True):
        a, h = terms[t]
        jx.append(f"{a}{h}-{cur.kch[c]}-{no:02d}")
    for t, c in zip((cx_keys // n_courses).tolist(), (cx_keys % n_courses).tolist(), strict=True):
        a, h = terms[t]
        jx.append(f"{a}{h}-{cur.kch[c]}-CX")
    n_all = len(jx)
    xkrs_all = np.concatenate([xkrs, np.bincount(cx_of_row, minlength=n_cx)])
    # section timestamps: tasks set up two weeks before term; grades entered after the exam
    task_ts, grade_ts = [], []
    for i in range(n_all):
        t = int(all_sec_term[i])
        start, exam, _r = _term_dates(*terms[t])
        task_ts.append(ts(start - dt.timedelta(days=14), 10 * 3600 + (i % 7) * 60))
        gd = exam + dt.timedelta(days=rng.randint(2, 12))
        grade_ts.append(office_ts(rng, gd))
    xnxq_list = [term_name(a, h) for a, h in terms]
    jxrw_rows = []
    for i in range(n_all):
        t = int(all_sec_term[i])
        tch, lx = teacher[i], jslx[i]
        jxrw_rows.append(
            (jx[i], xnxq_list[t], cur.kch[int(all_sec_course[i])], tch, lx, int(xkrs_all[i]), task_ts[i])
        )
    jxrw = rows_to_table("jxrw", jxrw_rows)

    # ---------------- cjxx assembly
    resit_ts_of: dict[tuple[int, int], int] = {}
    extra_ts: list[str] = []

    def resit_ts(t: int, c: int) -> int:
        key = (t, c)
        if key not in resit_ts_of:
            d = _term_dates(*terms[t])[2] + dt.timedelta(days=rng.randint(1, 8))
            extra_ts.append(office_ts(rng, min(d, today)))
            resit_ts_of[key] = n_all + len(extra_ts) - 1
        return resit_ts_of[key]

    rk_keys, rk_inv = np.unique(f_term[r_idx] * n_courses + f_course[r_idx], return_inverse=True)
    rk_ts = np.array(
        [resit_ts(int(k) // n_courses, int(k) % n_courses) for k in rk_keys.tolist()], dtype=np.int64
    )
    r_ts = rk_ts[rk_inv] if len(rk_keys) else np.zeros(0, dtype=np.int64)
    # soft-deleted rows: deleted a day or two after entry
    d_ts = []
    for sec in f_sec[d_idx].tolist():
        d_ts.append(len(grade_ts) + len(extra_ts))
        base = dt.datetime.strptime(grade_ts[sec], "%Y-%m-%d %H:%M:%S") + dt.timedelta(
            days=1, minutes=rng.randint(5, 600)
        )
        extra_ts.append(ts(base))
    all_ts = grade_ts + extra_ts
    parts = {
        "stud": [f_stud, f_stud[r_idx], f_stud[t_idx], f_stud[d_idx]],
        "sec": [f_sec, f_sec[r_idx], n_sec + cx_of_row, f_sec[d_idx]],
        "course": [f_course, f_course[r_idx], f_course[t_idx], f_course[d_idx]],
        "term": [f_term, f_term[r_idx], t_term, f_term[d_idx]],
        "code": [f_code, r_code, t_code, d_code],
        "ks": [
            np.zeros(len(gi), np.int64),
            np.ones(len(r_idx), np.int64),
            np.full(len(t_idx), 2, np.int64),
            np.zeros(len(d_idx), np.int64),
        ],
        "del": [
            np.zeros(len(gi), np.int64),
            np.zeros(len(r_idx), np.int64),
            np.zeros(len(t_idx), np.int64),
            np.ones(len(d_idx), np.int64),
        ],
        "ts": [f_sec, r_ts, n_sec + cx_of_row, np.asarray(d_ts, dtype=np.int64)],
    }
    cj = {k: np.concatenate(v) for k, v in parts.items()}
    # corrections entered later than the section's batch (updated in place)
    n_rows = len(cj["stud"])
    corr = np.nonzero(g.random(n_rows) < 0.004)[0]
    for i in corr.tolist():
        base = dt.datetime.strptime(all_ts[cj["ts"][i]], "%Y-%m-%d %H:%M:%S") + dt.timedelta(
            days=rng.randint(3, 40), minutes=rng.randint(0, 400)
        )
        all_ts.append(ts(min(base, ctx.now)))
        cj["ts"][i] = len(all_ts) - 1
    # defects: out-of-range scores and duplicated rows
    numeric_first = np.nonzero((cj["ks"] == 0) & (cj["del"] == 0) & (cj["code"] < 1001))[0]
    n_bad = ctx.defect_count(n_rows, factor=0.01, cap=300)
    g2 = ctx.sub_np("grade-defects")
    bad = (
        np.sort(g2.choice(numeric_first, size=min(n_bad, len(numeric_first)), replace=False))
        if n_bad
        else np.array([], np.int64)
    )
    n_dup = ctx.defect_count(n_rows, factor=0.01, cap=300)
    dup_pool = np.setdiff1d(np.nonzero(cj["del"] == 0)[0], bad)
    dup = (
        np.sort(g2.choice(dup_pool, size=min(n_dup, len(dup_pool)), replace=False))
        if n_dup
        else np.array([], np.int64)
    )
    cj["code"][bad] = K_BAD
    for k in cj:
        cj[k] = np.concatenate([cj[k], cj[k][dup]])
    cjid = np.arange(1, len(cj["stud"]) + 1, dtype=np.int64) + 10_000_000
    xh_dict = pa.array([s.xh for s in acad.students])
    jx_dict = pa.array(jx)
    kch_dict = pa.array(cur.kch)
    xnxq_dict = pa.array(xnxq_list)
    kscj_dict = pa.array(KSCJ_DICT)
    ts_dict = pa.array(all_ts)

    def dec(idx, d):
        return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), d).cast(pa.string())

    code = cj["code"]
    jd = np.where(
        code < 1001,
        np.where(code >= 600, np.round((code / 10.0 - 50.0) / 10.0, 2), 0.0),
        np.select([code == 1001, code == 1002, code == 1003, code == 1004], [4.5, 3.5, 2.5, 1.5], 0.0),
    )
    jd_null = (code == K_DEFER) | (g.random(len(code)) < 0.03)
    jd = np.where(code == K_BAD, 5.5, jd)
    cjxx = pa.table(
        {
            "cjid": pa.array(cjid),
            "xh": dec(cj["stud"], xh_dict),
            "jxbh": dec(cj["sec"], jx_dict),
            "kch": dec(cj["course"], kch_dict),
            "xnxq": dec(cj["term"], xnxq_dict),
            "kscj": dec(code, kscj_dict),
            "jd": pa.array(jd, mask=jd_null),
            "ksxzm": dec(cj["ks"], pa.array(["01", "02", "03"])),
            "sfsc": dec(cj["del"], pa.array(["0", "1"])),
            "gxsj": dec(cj["ts"], ts_dict),
        }
    )
    n_base = n_rows
    for i in bad.tolist():
        manifest.add(
            "score_out_of_range",
            "academic",
            "cjxx",
            {"cjid": int(cjid[i])},
            "kscj",
            "numeric score '105' above 100",
        )
    for j, i in enumerate(dup.tolist()):
        manifest.add(
            "duplicate_grade_row",
            "academic",
            "cjxx",
            {"cjid": int(cjid[n_base + j])},
            None,
            f"exact copy of cjid {int(cjid[i])} (same xh, jxbh, ksxzm, kscj, gxsj)",
        )
    return {"kcxx": cur.table(ctx), "jxrw": jxrw, "cjxx": cjxx}


def _assign_teachers(
    ctx: Ctx, rng, hr: HR, cur: Curriculum, terms, sec_term: np.ndarray, sec_course: np.ndarray
):
    today = ctx.today
    cache: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    all_units = sorted({s.dwh for s in hr.staff if s.jzglbm == "01"})

    def cands(unit: str, t: int) -> tuple[list[str], list[str]]:
        key = (unit, t)
        if key not in cache:
            start, exam, _ = _term_dates(*terms[t])
            end = min(exam, today)
            own = [
                s.gh
                for s in hr.staff
                if s.jzglbm == "01" and s.dwh == unit and s.employed_at(start) and s.employed_at(end)
            ]
            ext = [
                x.wpbh
                for x in hr.externals
                if x.pdwh == unit
                and x.start <= start + dt.timedelta(days=20)
                and (x.end is None or x.end >= end)
            ]
            cache[key] = (own, ext)
        return cache[key]

    teachers: list[str | None] = []
    kinds: list[str | None] = []
    last_term = len(terms) - 1
    for t, c in zip(sec_term.tolist(), sec_course.tolist(), strict=True):
        own, ext = cands(cur.unit_hr[c], t)
        if t == last_term and rng.random() < 0.01:
            teachers.append(None)
            kinds.append(None)
            continue
        if ext and (rng.random() < 0.14 or not own):
            teachers.append(rng.choice(ext))
            kinds.append("2")
        elif own:
            teachers.append(rng.choice(own))
            kinds.append("1")
        else:
            pool = cands(rng.choice(all_units), t)[0] or [s.gh for s in hr.staff if s.jzglbm == "01"]
            teachers.append(rng.choice(pool))
            kinds.append("1")
    return teachers, kinds
