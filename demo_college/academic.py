"""Academic affairs system (教务/学籍): units, majors, classes, students and their history.

Students are simulated cohort by cohort: enrolment in early September, leave and
return, change of major, withdrawal, expulsion, transfer out, death, admission
cancelled, graduation (with degree and destination).  The current state in
``xsjbsj`` is derived from that history as of the college's clock.  Courses,
teaching tasks and grades are in :mod:`demo_college.teaching` (they need teachers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from demo_college.common import Ctx, add_years, census, office_ts, rand_date, rows_to_table, ts
from demo_college.idcards import Person, PersonFactory, make_phone
from demo_college.names import (
    ABROAD,
    DESTINATION_EMPLOYERS,
    FOREIGN_COUNTRIES,
    FURTHER_STUDY,
    GENERAL_UNITS,
    HMT_REGIONS,
    MAJOR_UNITS,
    OTHER_UNITS,
)

LEAVING = ("14", "16", "18", "19", "20")


@dataclass
class Unit:
    hr: str  # zzjg.dwh
    acad: str  # dm_yxs.yxsh (a stray code for a few units)
    name: str
    short: str
    teaching: bool
    dwlbm: str


@dataclass
class Major:
    idx: int
    zyh: str
    name: str
    gb: str
    unit: Unit
    pycc: str
    xz: int
    adult: bool = False


@dataclass
class Event:
    ydlbm: str
    date: dt.date
    major_before: Major | None = None
    major_after: Major | None = None
    reason: str = ""


@dataclass
class Student:
    idx: int
    xh: str
    person: Person
    gjdqm: str
    nj: int
    rxrq: dt.date
    stream: str  # ug jc ms pt co
    xxxs: str
    pycc: str
    major0: Major
    events: list[Event] = field(default_factory=list)
    grad_date: dt.date | None = None  # byxx.byrq
    byjlm: str | None = None
    xwm: str | None = None
    qx: tuple[str, str | None] | None = None
    leave_date: dt.date | None = None  # first leaving event (xjyd or byxx), None = still here
    ability: float = 0.0
    classes: dict[int, int] = field(default_factory=dict)  # major idx -> class number

    @property
    def fulltime(self) -> bool:
        return self.xxxs == "1"

    def major_at(self, d: dt.date) -> Major:
        m = self.major0
        for e in self.events:
            if e.ydlbm == "13" and e.date <= d and e.major_after is not None:
                m = e.major_after
        return m

    def registered_at(self, d: dt.date) -> bool:
        return self.rxrq <= d and (self.leave_date is None or self.leave_date > d)


@dataclass
class Academic:
    units: list[Unit]
    majors: list[Major]
    students: list[Student]
    classes: dict[tuple[int, int, str, int], str]  # (nj, major idx, stream group, k) -> bh
    stray_codes: dict[str, str]


def build_units(ctx: Ctx) -> list[Unit]:
    """Units: teaching units with majors, general-course units, non-teaching units."""
    sel = [u for u in MAJOR_UNITS if ctx.scale.units is None or u[0] in ctx.scale.units]
    units: list[Unit] = []
    for i, (code, name, short, _m) in enumerate(sel):
        acad = "0" + code if i in (2, 7) else code
        units.append(Unit(code, acad, name, short, True, "01"))
    for code, name, short in GENERAL_UNITS:
        units.append(Unit(code, code, name, short, True, "01"))
    for code, name, lb in OTHER_UNITS:
        units.append(Unit(code, code, name, name[:4], False, lb))
    return units


def build_majors(ctx: Ctx, units: list[Unit]) -> list[Major]:
    by_code = {u.hr: u for u in units}
    majors: list[Major] = []
    rng = ctx.sub_rng("majors")
    for code, _name, _short, mlist in MAJOR_UNITS:
        if code not in by_code:
            continue
        unit = by_code[code]
        chosen = mlist
        if ctx.scale.majors_per_unit is not None:
            ug = [m for m in mlist if m[2] == "1"][:2]
            jc = [m for m in mlist if m[2] == "2"][:1]
            ms = [m for m in mlist if m[2] == "3"][:1]
            chosen = ug + jc + ms
        for k, (mname, gb, pycc, xz) in enumerate(chosen, start=1):
            zyh = f"{code[1:]}{k:02d}"
            majors.append(Major(len(majors), zyh, mname, gb, unit, pycc, xz))
    # adult-education programmes run in about 40% of the bachelor/junior majors
    cands = [m for m in majors if m.pycc in ("1", "2")]
    n_adult = max(3, int(len(cands) * 0.4))
    for m in rng.sample(cands, n_adult):
        m.adult = True
    return majors


def _weights(rng, n: int) -> list[float]:
    return [rng.uniform(0.6, 1.4) for _ in range(n)]


def generate_students(ctx: Ctx, units: list[Unit], majors: list[Major]) -> Academic:
    """Every cohort from first_year-5 to last_year+1 with its whole history up to the clock."""
    rng = ctx.sub_rng("students")
    people = PersonFactory(ctx.sub_rng("student-people"))
    sc = ctx.scale
    today = ctx.today
    students: list[Student] = []
    classes: dict[tuple[int, int, str, int], str] = {}
    by_stream: dict[str, list[Major]] = {
        "ug": [m for m in majors if m.pycc == "1"],
        "jc": [m for m in majors if m.pycc == "2"],
        "ms": [m for m in majors if m.pycc == "3"],
        "pt": [m for m in majors if m.adult],
        "co": [m for m in majors if m.adult],
    }
    mweights = {s: _weights(rng, len(v)) for s, v in by_stream.items()}
    for nj in range(sc.first_year - 5, sc.last_year + 2):
        growth = 1.025 ** (nj - sc.last_year)
        seq = 0
        for stream in ("ug", "jc", "ms", "pt", "co"):
            pool = by_stream[stream]
            if not pool:
                continue
            total = max(1, round(sc.intake[stream] * growth * rng.uniform(0.97, 1.03)))
            w = mweights[stream]
            wsum = sum(w)
            for mi, major in enumerate(pool):
                n = max(1, round(total * w[mi] / wsum))
                group = {"ug": "F", "jc": "F", "ms": "F", "pt": "A", "co": "H"}[stream]
                size = {"F": 45, "A": 60, "H": 70}[group] if stream != "ms" else 30
                n_classes = max(1, -(-n // size))
                for i in range(n):
                    seq += 1
                    xh = f"{nj}{seq:06d}"
                    st = _make_student(ctx, rng, people, len(students), xh, nj, stream, major)
                    st.classes[major.idx] = 1 + i % n_classes
                    students.append(st)
                for k in range(1, n_classes + 1):
                    classes[(nj, major.idx, group, k)] = _class_code(nj, major, group, k)
    for st in students:
        _simulate(ctx, rng, st, by_stream, today)
        group = {"1": "F", "2": "A", "3": "H"}[st.xxxs]
        for e in st.events:
            if e.ydlbm == "13" and e.major_after is not None:
                key = (st.nj, e.major_after.idx, group, 1)
                classes.setdefault(key, _class_code(st.nj, e.major_after, group, 1))
                st.classes[e.major_after.idx] = 1
    stray = {u.acad: u.hr for u in units if u.acad != u.hr}
    return Academic(units, majors, students, classes, stray)


def _class_code(nj: int, major: Major, group: str, k: int) -> str:
    return f"{nj}{major.zyh}{'' if group == 'F' else group}{k:02d}"


def _make_student(
    ctx: Ctx, rng, people: PersonFactory, idx: int, xh: str, nj: int, stream: str, major: Major
) -> Student:
    if stream in ("ug", "jc"):
        age = rng.choice([17, 18, 18, 18, 19, 19, 20])
    elif stream == "ms":
        age = rng.choice([22, 23, 23, 24, 25, 26, 28])
    else:
        age = rng.randint(20, 42)
    birth = rand_date(rng, dt.date(nj - age - 1, 9, 2), dt.date(nj - age, 9, 1))
    r = rng.random()
    gjdqm = "156"
    if stream in ("ug", "jc", "ms"):
        p_int = {"ug": 0.025, "jc": 0.006, "ms": 0.06}[stream]
        if r < p_int:
            gjdqm = rng.choice(FOREIGN_COUNTRIES)
        elif r < p_int + 0.004:
            gjdqm = rng.choice(HMT_REGIONS)
    person = people.citizen(birth) if gjdqm == "156" else people.foreigner(birth, gjdqm)
    rxrq = dt.date(nj, 9, rng.randint(1, 8))
    xxxs = {"pt": "2", "co": "3"}.get(stream, "1")
    st = Student(idx, xh, person, gjdqm, nj, rxrq, stream, xxxs, major.pycc, major)
    st.ability = rng.gauss(0.0, 1.0)
    return st


def _simulate(ctx: Ctx, rng, st: Student, by_stream: dict[str, list[Major]], today: dt.date) -> None:
    """Draw the student's life events; keep those dated up to the clock."""
    xz = st.major0.xz
    adult = not st.fulltime
    start = st.rxrq
    planned_end = dt.date(st.nj + xz, 6, 20 if st.pycc == "3" else 30)
    events: list[Event] = []
    delay = 0
    r = rng.random()
    if r < 0.004:  # admission cancelled (e.g. failed the entrance re-examination)
        d = rand_date(rng, dt.date(st.nj, 9, 15), dt.date(st.nj, 11, 30))
        events.append(Event("20", d, st.major0, None, "新生入学复查不合格，取消入学资格"))
        _finish(st, events, None, today)
        return
    # change of major after the first year (full-time bachelor/junior only)
    if st.fulltime and st.pycc in ("1", "2") and rng.random() < 0.025:
        others = [m for m in by_stream["ug" if st.pycc == "1" else "jc"] if m is not st.major0 and m.xz == xz]
        if others:
            new = rng.choice(others)
            d = dt.date(st.nj + 1, 9, rng.randint(1, 6))
            events.append(Event("13", d, st.major0, new, "本人申请转专业"))
    # leave and return
    if rng.random() < (0.03 if not adult else 0.02):
        y = rng.randint(0, max(0, xz - 2))
        d = rand_date(rng, dt.date(st.nj + y, 10, 8), dt.date(st.nj + y + 1, 5, 20))
        if not events or d > events[-1].date:
            events.append(
                Event("11", d, None, None, rng.choice(["因病休学", "因病休学", "创业休学", "家庭原因"]))
            )
            if rng.random() < 0.85:
                if d.month >= 8:
                    back = dt.date(d.year + 1, 9, rng.randint(1, 10))
                else:
                    back = dt.date(d.year + 1, 2, rng.randint(20, 28))
                events.append(Event("12", back, None, None, "休学期满复学"))
                delay = 1
            else:
                wd = add_years(d, 1)
                events.append(Event("14", wd, None, None, "休学期满未复学，按退学处理"))
                _finish(st, events, None, today)
                return
    elif st.fulltime and st.gjdqm == "156" and rng.random() < 0.004:
        d = dt.date(st.nj + 1, 9, rng.randint(5, 15))
        if not events or d > events[-1].date:
            events.append(Event("15", d, None, None, "应征入伍，保留学籍"))
            events.append(Event("12", dt.date(st.nj + 3, 9, rng.randint(1, 8)), None, None, "退役复学"))
            delay = 2
    last = events[-1].date if events else start
    end = dt.date(planned_end.year + delay, planned_end.month, planned_end.day)
    r = rng.random()
    p_wd = 0.07 if adult else 0.022
    terminal = None
    if r < p_wd:
        terminal = "14"
    elif r < p_wd + 0.002:
        terminal = "16"
    elif r < p_wd + 0.005:
        terminal = "18"
    elif r < p_wd + 0.0052:
        terminal = "19"
    if terminal is not None:
        lo = max(last + dt.timedelta(days=20), start + dt.timedelta(days=40))
        hi = end - dt.timedelta(days=30)
        if lo < hi:
            d = rand_date(rng, lo, hi)
            reason = {
                "14": rng.choice(["本人申请退学", "学业成绩未达要求", "家庭经济原因申请退学"]),
                "16": "严重违纪，给予开除学籍处分",
                "18": "转学至外省高校",
                "19": "因病去世",
            }[terminal]
            events.append(Event(terminal, d, None, None, reason))
            _finish(st, events, None, today)
            return
    # conclusion
    r = rng.random()
    byjlm = "01" if r < 0.965 else ("02" if r < 0.99 else "03")
    st.byjlm = byjlm
    if byjlm == "01":
        if st.pycc == "1" and rng.random() < (0.965 if st.fulltime else 0.93):
            st.xwm = "4"
        elif st.pycc == "3" and rng.random() < 0.97:
            st.xwm = "3"
    if byjlm in ("01", "02") and rng.random() < 0.99:
        st.qx = _destination(rng, st)
    _finish(st, events, end, today)


def _destination(rng, st: Student) -> tuple[str, str | None]:
    if not st.fulltime:
        return ("10", rng.choice(DESTINATION_EMPLOYERS)) if rng.random() < 0.95 else ("42", None)
    table = [
        ("10", 0.55),
        ("11", 0.13),
        ("12", 0.02),
        ("20", 0.13),
        ("21", 0.03),
        ("30", 0.01),
        ("40", 0.09),
        ("41", 0.03),
        ("42", 0.01),
    ]
    code = rng.choices([c for c, _ in table], weights=[w for _, w in table])[0]
    if code in ("10", "12"):
        return code, rng.choice(DESTINATION_EMPLOYERS)
    if code == "20":
        return code, rng.choice(FURTHER_STUDY)
    if code == "21":
        return code, rng.choice(ABROAD)
    return code, None


def _finish(st: Student, events: list[Event], grad: dt.date | None, today: dt.date) -> None:
    st.events = [e for e in events if e.date <= today]
    leaving = [e.date for e in st.events if e.ydlbm in LEAVING]
    if grad is not None and grad <= today:
        st.grad_date = grad
        leaving.append(grad)
    else:
        st.byjlm = st.xwm = None
        st.qx = None
    st.leave_date = min(leaving) if leaving else None


def status_of(st: Student) -> str:
    """xjztm as of the clock, from the history."""
    if st.grad_date is not None:
        return {"01": "04", "02": "05", "03": "03"}[st.byjlm or "01"]
    code = "01"
    for e in st.events:
        if e.ydlbm in ("14", "18", "19", "20"):
            return "03"
        if e.ydlbm == "16":
            return "06"
        if e.ydlbm == "11":
            code = "02"
        elif e.ydlbm == "15":
            code = "07"
        elif e.ydlbm == "12":
            code = "01"
    return code


FTE_WEIGHT = {"2": 0.3, "3": 0.1}


def fte_weight(st: Student) -> float:
    if st.xxxs in FTE_WEIGHT:
        return FTE_WEIGHT[st.xxxs]
    if st.gjdqm not in ("156", "344", "446", "158"):
        return 3.0
    return 1.5 if st.pycc == "3" else 1.0


def census_fte(acad: Academic, years: list[int]) -> dict[int, tuple[int, float]]:
    """(registered, fte) at each census date."""
    out = {}
    for y in years:
        c = census(y)
        reg = [s for s in acad.students if s.registered_at(c)]
        out[y] = (len(reg), sum(fte_weight(s) for s in reg))
    return out


# ---------------------------------------------------------------------------------------------
# tables


def unit_tables(ctx: Ctx, acad: Academic) -> dict[str, pa.Table]:
    rng = ctx.sub_rng("acad-units")
    sc = ctx.scale
    base = dt.date(sc.first_year - 6, 7, 1)
    rows = []
    for u in acad.units:
        if u.teaching:
            rows.append(
                (
                    u.acad,
                    u.name,
                    u.short,
                    "1",
                    "1",
                    office_ts(rng, rand_date(rng, base, base + dt.timedelta(60))),
                )
            )
    rows.append(("203", "教务处", "教务处", "0", "1", office_ts(rng, base)))
    rows.append(("208", "继续教育学院", "继教院", "0", "1", office_ts(rng, base)))
    rows.append(("100", "基础部", "基础部", "1", "0", office_ts(rng, dt.date(sc.first_year - 6, 7, 15))))
    dm = rows_to_table("dm_yxs", rows)
    zrows = []
    for m in acad.majors:
        gb = m.gb if not (m.pycc == "2" and m.idx % 5 == 4) else None
        zrows.append((m.zyh, m.name, gb, m.unit.acad, m.pycc, m.xz, "1", office_ts(rng, base)))
    # two majors that stopped recruiting long ago
    first = acad.majors[0]
    zrows.append(
        (
            f"{first.unit.hr[1:]}90",
            "机电一体化技术(停招)",
            None,
            first.unit.acad,
            "2",
            3,
            "0",
            office_ts(rng, dt.date(sc.first_year - 5, 6, 30)),
        )
    )
    zrows.append(
        (
            f"{first.unit.hr[1:]}91",
            "模具设计与制造(停招)",
            "460113",
            first.unit.acad,
            "2",
            3,
            "0",
            office_ts(rng, dt.date(sc.first_year - 5, 6, 30)),
        )
    )
    zy = rows_to_table("zyxx", zrows)
    brows = []
    majors = acad.majors
    for (nj, mi, group, k), bh in sorted(acad.classes.items(), key=lambda kv: kv[1]):
        m = majors[mi]
        suffix = {"F": "", "A": "业余", "H": "函授"}[group]
        brows.append(
            (bh, f"{m.name}{nj % 100:02d}级{suffix}{k}班", m.zyh, nj, ts(dt.date(nj, 8, 25), 9 * 3600))
        )
    bj = rows_to_table("bjxx", brows)
    return {"dm_yxs": dm, "zyxx": zy, "bjxx": bj}


def student_tables(ctx: Ctx, acad: Academic) -> dict[str, pa.Table]:
    """xsjbsj, xjyd, byxx, byqx from the simulated students (before defects)."""
    rng = ctx.sub_rng("acad-tables")
    sc = ctx.scale
    today = ctx.today
    srows, yrows, brows, qrows = [], [], [], []
    ydid = 100000
    all_yd: list[tuple[dt.date, str, Event, Student]] = []
    for st in acad.students:
        for e in st.events:
            all_yd.append((e.date, st.xh, e, st))
    all_yd.sort(key=lambda t: (t[0], t[1]))
    for d, xh, e, st in all_yd:
        ydid += 1
        m = st.major_at(d - dt.timedelta(days=1))
        if e.ydlbm == "13":
            q, h = e.major_before, e.major_after
            row = (ydid, xh, "13", f"{d}", q.unit.acad, q.zyh, h.unit.acad, h.zyh, e.reason)
        else:
            row = (ydid, xh, e.ydlbm, f"{d}", m.unit.acad, m.zyh, None, None, e.reason)
        yrows.append(row + (office_ts(rng, min(today, d + dt.timedelta(days=rng.randint(0, 6)))),))
    grad_batch: dict[int, str] = {}
    for st in acad.students:
        p = st.person
        m = st.major_at(today)
        group = {"1": "F", "2": "A", "3": "H"}[st.xxxs]
        bh = acad.classes.get((st.nj, m.idx, group, st.classes.get(m.idx, 1)))
        legacy = st.nj <= sc.first_year - 2
        csrq = f"{p.birth:%Y-%m-%d}" if legacy and rng.random() < 0.5 else f"{p.birth:%Y%m%d}"
        sfzjh = p.sfzjh
        if legacy and p.sfzjlxm == "1" and sfzjh.endswith("X") and rng.random() < 0.6:
            sfzjh = sfzjh[:-1] + "x"
        # last change: enrolment batch, then the latest event
        gx = ts(dt.date(st.nj, 9, 10), 2 * 3600)
        if st.events:
            gx = max(gx, office_ts(rng, min(today, st.events[-1].date + dt.timedelta(days=3))))
        if st.grad_date is not None:
            yb = st.grad_date.year
            if yb not in grad_batch:
                grad_batch[yb] = ts(dt.date(yb, 7, 3), 1 * 3600 + 30 * 60)
            gx = max(gx, grad_batch[yb])
        srows.append(
            (
                st.xh,
                p.xm,
                p.xbm,
                csrq,
                p.mzm or None,
                st.gjdqm,
                p.sfzjlxm,
                sfzjh,
                m.unit.acad,
                m.zyh,
                bh,
                st.nj,
                f"{st.rxrq}",
                st.pycc,
                st.xxxs,
                status_of(st),
                make_phone(rng) if rng.random() < 0.93 else None,
                gx,
            )
        )
        if st.grad_date is not None:
            bd = st.grad_date
            brows.append((st.xh, f"{bd}", st.byjlm, st.xwm, grad_batch[bd.year]))
            if st.qx is not None:
                qd = rand_date(rng, bd - dt.timedelta(days=60), dt.date(bd.year, 8, 31))
                qrows.append((st.xh, bd.year, st.qx[0], st.qx[1], office_ts(rng, min(qd, today))))
    return {
        "xsjbsj": rows_to_table("xsjbsj", srows),
        "xjyd": rows_to_table("xjyd", yrows),
        "byxx": rows_to_table("byxx", brows),
        "byqx": rows_to_table("byqx", qrows),
    }


def census_dates(ctx: Ctx) -> list[int]:
    return list(range(ctx.scale.first_year, ctx.scale.last_year + 2))


__all__ = [
    "Academic",
    "Major",
    "Student",
    "Unit",
    "build_majors",
    "build_units",
    "census_dates",
    "census_fte",
    "fte_weight",
    "generate_students",
    "student_tables",
    "unit_tables",
]
