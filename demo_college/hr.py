"""Human resources system (人事): units, staff with title history, external teachers, payroll.

Staffing follows the students: at every census date the number of full-time
teachers employed is set so that the student-teacher ratio (kpis.md) lands at a
target between about 18 and 20.5.  Staff join (mostly in summer) and leave
(resignations, retirements at 60, or 55 for women outside teaching); titles
progress over the years (``zcbd``), the first row being the title held on joining;
external teachers are engaged for one to four academic years, a share of them
retired staff of the college coming back with the same ID number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from demo_college.academic import Unit
from demo_college.common import Ctx, census, office_ts, rand_date, rows_to_table, ts
from demo_college.idcards import Person, PersonFactory

TRACKS = {
    "teacher": ["014", "013", "012", "011"],
    "support": ["093", "092", "091", "090"],
    "engineer": ["063", "062", "061", "060"],
    "research": ["084", "083", "082", "081"],
    "admin": ["014", "013", "012"],
    "service": ["064", "063"],
}


@dataclass
class Staff:
    gh: str
    person: Person
    dwh: str
    jzglbm: str
    track: str
    lxrq: dt.date
    lzrq: dt.date | None = None
    dqztm: str = "01"
    yrfsm: str = "2"
    zgxlm: str = "21"
    zgxwm: str | None = "4"
    sfssx: str | None = None
    titles: list[tuple[dt.date, str]] = field(default_factory=list)  # (prrq, code)

    def employed_at(self, d: dt.date) -> bool:
        return self.lxrq <= d and (self.lzrq is None or self.lzrq > d)

    def title_at(self, d: dt.date) -> str | None:
        t = None
        for prrq, code in self.titles:
            if prrq <= d:
                t = code
        return t


@dataclass
class External:
    wpbh: str
    person: Person
    title: str | None
    degree: str | None
    pdwh: str
    start: dt.date
    end: dt.date | None


@dataclass
class HR:
    staff: list[Staff]
    externals: list[External]
    targets: dict[int, tuple[float, int, int]]  # year -> (ratio target, ft target, ext target)


def _unit_weights(units: list[Unit], students_by_unit: dict[str, int]) -> list[tuple[str, float]]:
    total = sum(students_by_unit.values()) or 1
    out = []
    for u in units:
        if not u.teaching:
            continue
        if u.hr == "111":
            out.append((u.hr, 0.07))
        elif u.hr == "112":
            out.append((u.hr, 0.15))
        else:
            out.append((u.hr, 0.78 * students_by_unit.get(u.hr, 0) / total))
    return out


def generate_hr(
    ctx: Ctx,
    units: list[Unit],
    fte: dict[int, tuple[int, float]],
    students_by_unit: dict[str, int],
    used_ids: set[str],
) -> HR:
    rng = ctx.sub_rng("hr")
    people = PersonFactory(ctx.sub_rng("hr-people"))
    people.used = used_ids
    years = sorted(fte)
    today = ctx.today
    targets: dict[int, tuple[float, int, int]] = {}
    for y in years:
        r = rng.uniform(18.3, 20.2)
        total = fte[y][1] / r
        ext = max(2, round(total * 0.17))
        ft = max(5, round(total - 0.5 * ext))
        targets[y] = (r, ft, ext)
    uw = _unit_weights(units, students_by_unit)
    unit_codes = [c for c, _ in uw]
    unit_w = [w for _, w in uw]
    counters: dict[int, int] = {}

    def new_gh(d: dt.date) -> str:
        counters[d.year] = counters.get(d.year, 0) + 1
        return f"{d.year}{counters[d.year]:04d}"

    def make(category: str, hired: dt.date, age: int) -> Staff:
        birth = rand_date(
            rng, dt.date(hired.year - age - 1, hired.month, 1), dt.date(hired.year - age, hired.month, 1)
        )
        person = people.citizen(birth)
        if category == "01":
            dwh = rng.choices(unit_codes, weights=unit_w)[0]
            track = "teacher"
        elif category == "02":
            dwh = rng.choice(["201", "202", "203", "204", "205", "206", "208"] + unit_codes)
            track = "admin"
        elif category == "03":
            dwh = rng.choice(["301", "302", "303", "303"] + unit_codes[:4])
            track = "engineer" if dwh == "302" else "support"
        elif category == "04":
            dwh = rng.choice(["401", "401", "402"])
            track = "service"
        else:
            dwh = "207"
            track = "research"
        s = Staff(new_gh(hired), person, dwh, category, track, hired)
        r = rng.random()
        s.yrfsm = "1" if r < 0.2 else ("2" if r < 0.85 else "3")
        r = rng.random()
        if category in ("01", "05"):
            if r < (0.22 if age < 40 else 0.12):
                s.zgxlm, s.zgxwm = "11", "2"
            elif r < 0.82:
                s.zgxlm, s.zgxwm = "14", "3"
            else:
                s.zgxlm, s.zgxwm = "21", "4"
            if category == "01":
                s.sfssx = "1" if rng.random() < 0.32 else "0"
        elif category in ("02", "03"):
            if r < 0.3:
                s.zgxlm, s.zgxwm = "14", "3"
            elif r < 0.88:
                s.zgxlm, s.zgxwm = "21", "4"
            else:
                s.zgxlm, s.zgxwm = "31", None
        else:
            s.zgxlm, s.zgxwm = ("31", None) if r < 0.4 else ("41", None)
        _titles(rng, s, age, today)
        return s

    def hire_date(y: int) -> dt.date:
        return rand_date(rng, dt.date(y, 6, 25), dt.date(y, 9, 20))

    def young_age() -> int:
        return rng.choices(
            [25, 26, 27, 28, 29, 30, 32, 35, 40, 45, 50], weights=[6, 10, 12, 12, 10, 8, 6, 4, 3, 2, 1]
        )[0]

    staff: list[Staff] = []
    first = years[0]
    c0 = census(first)
    # initial pool, employed at the first census
    nt_ratio = 0.46
    cats = ["02", "03", "04", "05"]
    cat_w = [0.55, 0.22, 0.18, 0.05]
    for i in range(targets[first][1] + round(targets[first][1] * nt_ratio)):
        cat = "01" if i < targets[first][1] else rng.choices(cats, weights=cat_w)[0]
        age_now = rng.choices(range(26, 60), weights=[max(1, 30 - abs(a - 36)) for a in range(26, 60)])[0]
        service = rng.randint(0, min(22, age_now - 25))
        hired = rand_date(rng, dt.date(first - service - 1, 6, 25), dt.date(first - service, 9, 20))
        if hired > c0:
            hired = c0 - dt.timedelta(days=rng.randint(10, 90))
        staff.append(make(cat, hired, age_now - (first - hired.year)))
    # earlier staff who already left before the first census
    for _ in range(max(2, round(len(staff) * 0.12))):
        cat = rng.choices(["01"] + cats, weights=[0.6, 0.22, 0.08, 0.08, 0.02])[0]
        hired = rand_date(rng, dt.date(first - 15, 7, 1), dt.date(first - 3, 9, 1))
        s = make(cat, hired, young_age())
        s.lzrq = rand_date(rng, hired + dt.timedelta(days=300), c0 - dt.timedelta(days=10))
        s.dqztm = "02"
        _truncate_titles(s)
        staff.append(s)
    retirees: dict[int, list[Staff]] = {}
    # teachers who retired shortly before the first census; some come back as external teachers
    for _ in range(max(2, round(targets[first][1] * 0.02))):
        hired = rand_date(rng, dt.date(first - 25, 7, 1), dt.date(first - 15, 9, 1))
        ret = rand_date(rng, dt.date(first - 2, 1, 1), dt.date(first, 6, 1)).replace(day=1)
        s = make("01", hired, 60 - (ret.year - hired.year))
        s.lzrq, s.dqztm = ret, "03"
        _truncate_titles(s)
        staff.append(s)
        retirees.setdefault(first, []).append(s)
    for y in years[:-1]:
        c, c_next = census(y), census(y + 1)
        emp = [s for s in staff if s.employed_at(c)]
        for s in emp:
            ret_age = 55 if (not s.person.male and s.jzglbm != "01") else 60
            b = s.person.birth
            ret = dt.date(b.year + ret_age + (1 if b.month == 12 else 0), b.month % 12 + 1, 1)
            if c < ret <= c_next:
                s.lzrq, s.dqztm = ret, "03"
                if s.jzglbm == "01" and rng.random() < 0.45:
                    retirees.setdefault(y + 1, []).append(s)
            elif rng.random() < 0.045:
                s.lzrq, s.dqztm = rand_date(rng, c + dt.timedelta(days=1), c_next), "02"
        for cat in ["01"] + cats:
            tgt = targets[y + 1][1]
            if cat != "01":
                tgt = round(targets[y + 1][1] * nt_ratio * cat_w[cats.index(cat)])
            still = [s for s in staff if s.jzglbm == cat and s.employed_at(c_next)]
            n_hire = tgt - len(still)
            if n_hire < 0:  # too many: a few more resign
                for s in rng.sample([s for s in still if s.lzrq is None], min(-n_hire, len(still))):
                    s.lzrq, s.dqztm = rand_date(rng, c + dt.timedelta(days=1), c_next), "02"
                n_hire = 0
            for _ in range(n_hire):
                staff.append(make(cat, hire_date(y + 1), young_age()))
    for s in staff:
        _truncate_titles(s)
        if s.lzrq is None and s.dqztm == "01":
            r = rng.random()
            if r < 0.015:
                s.dqztm = "04"
            elif r < 0.025:
                s.dqztm = "05"
    externals = _externals(ctx, rng, people, years, targets, retirees, unit_codes, unit_w)
    staff.sort(key=lambda s: s.gh)
    return HR(staff, externals, targets)


def _titles(rng, s: Staff, age: int, today: dt.date) -> None:
    track = TRACKS[s.track]
    if s.track in ("admin", "service") and rng.random() < 0.45:
        return
    level = 0
    if s.zgxlm == "11":
        level = 1
    if age >= 36:
        level = min(len(track) - 1, level + rng.choice([0, 1, 1, 2]))
    if age >= 45:
        level = min(len(track) - 1, level + 1)
    d = s.lxrq
    s.titles.append((d, track[level]))
    waits = [(2, 4, 0.95), (5, 8, 0.75), (5, 9, 0.45)]
    while level < len(track) - 1:
        lo, hi, p = waits[min(level, 2)]
        if s.zgxlm == "11":
            lo, hi = max(1, lo - 2), max(2, hi - 2)
        if rng.random() > p:
            break
        y = d.year + rng.randint(lo, hi)
        d = dt.date(y, 12, 1)
        if d > today:
            break
        level += 1
        s.titles.append((d, track[level]))


def _truncate_titles(s: Staff) -> None:
    if s.lzrq is not None:
        s.titles = [t for t in s.titles if t[0] < s.lzrq or t is s.titles[0]]


def _externals(
    ctx: Ctx,
    rng,
    people: PersonFactory,
    years: list[int],
    targets,
    retirees: dict[int, list[Staff]],
    unit_codes: list[str],
    unit_w: list[float],
) -> list[External]:
    exts: list[External] = []
    today = ctx.today
    n = 0

    def active(c: dt.date) -> int:
        return sum(1 for e in exts if e.start <= c and (e.end is None or e.end >= c))

    for y in years:
        c = census(y)
        need = targets[y][2] - active(c)
        back = list(retirees.get(y, []))
        while need > 0:
            n += 1
            dur = rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]
            start = rand_date(
                rng, dt.date(y - (rng.randint(0, 2) if y == years[0] else 0), 8, 20), dt.date(y, 9, 15)
            )
            end: dt.date | None = dt.date(y + dur, 7, 15)
            if end > today and rng.random() < 0.5:
                end = None
            if back:
                s = back.pop(0)
                start = max(start, s.lzrq + dt.timedelta(days=1)) if s.lzrq else start
                person = s.person
                title = s.titles[-1][1] if s.titles else None
                degree = s.zgxwm
                pdwh = s.dwh
            else:
                age = rng.randint(30, 62)
                person = people.citizen(rand_date(rng, dt.date(y - age - 1, 1, 1), dt.date(y - age, 1, 1)))
                title = rng.choices(
                    ["011", "012", "013", "061", "062", None], weights=[15, 30, 25, 12, 8, 10]
                )[0]
                degree = rng.choices(["2", "3", "4", None], weights=[15, 45, 35, 5])[0]
                pdwh = rng.choices(unit_codes, weights=unit_w)[0]
            if start > c:
                start = c
            exts.append(External(f"W{y}{n:04d}", person, title, degree, pdwh, start, end))
            need -= 1
    return exts


# ---------------------------------------------------------------------------------------------
# tables


def hr_tables(ctx: Ctx, units: list[Unit], hr: HR) -> dict[str, pa.Table]:
    rng = ctx.sub_rng("hr-tables")
    sc = ctx.scale
    today = ctx.today
    root_date = dt.date(2003, 6, 1)
    zrows = [
        (
            "000",
            "江南理工学院",
            None,
            "02",
            f"{root_date}",
            None,
            ts(dt.date(sc.first_year - 6, 7, 1), 9 * 3600),
        )
    ]
    for u in units:
        jl = rand_date(rng, dt.date(2003, 6, 1), dt.date(2012, 6, 1))
        zrows.append(
            (u.hr, u.name, "000", u.dwlbm, f"{jl}", None, office_ts(rng, dt.date(sc.first_year - 6, 7, 1)))
        )
    zrows.append(
        (
            "100",
            "基础部",
            "000",
            "01",
            "2003-06-01",
            f"{sc.first_year - 6}-06-30",
            office_ts(rng, dt.date(sc.first_year - 6, 7, 1)),
        )
    )
    zrows.sort(key=lambda r: r[0])
    srows = []
    bd_rows = []
    for s in hr.staff:
        p = s.person
        cur = s.titles[-1][1] if s.titles else None
        last_change = max([s.lxrq] + [t[0] for t in s.titles] + ([s.lzrq] if s.lzrq else []))
        srows.append(
            (
                s.gh,
                p.xm,
                p.xbm,
                f"{p.birth}",
                p.mzm,
                p.sfzjlxm,
                p.sfzjh,
                s.dwh,
                s.jzglbm,
                s.yrfsm,
                cur,
                s.zgxlm,
                s.zgxwm,
                s.sfssx,
                f"{s.lxrq}",
                f"{s.lzrq}" if s.lzrq else None,
                s.dqztm,
                office_ts(rng, min(today, last_change + dt.timedelta(days=rng.randint(0, 5)))),
            )
        )
        prev = None
        for prrq, code in s.titles:
            bd_rows.append((prrq, s.gh, prev, code))
            prev = code
    bd_rows.sort(key=lambda r: (r[0], r[1]))
    zc = [
        (100000 + i, gh, q, h, f"{d}", office_ts(rng, min(today, d + dt.timedelta(days=rng.randint(0, 20)))))
        for i, (d, gh, q, h) in enumerate(bd_rows, start=1)
    ]
    wrows = []
    for e in hr.externals:
        p = e.person
        wrows.append(
            (
                e.wpbh,
                p.xm,
                p.xbm,
                p.sfzjlxm,
                p.sfzjh,
                e.title,
                e.degree,
                e.pdwh,
                f"{e.start}",
                f"{e.end}" if e.end else None,
                office_ts(rng, min(today, e.start)),
            )
        )
    return {
        "zzjg": rows_to_table("zzjg", zrows),
        "jzgjbxx": rows_to_table("jzgjbxx", srows),
        "zcbd": rows_to_table("zcbd", zc),
        "wpjs": rows_to_table("wpjs", wrows),
        "gzff": payroll(ctx, hr),
    }


LEVEL = {
    "011": 3,
    "081": 3,
    "060": 3,
    "090": 3,
    "012": 2,
    "061": 2,
    "082": 2,
    "091": 2,
    "013": 1,
    "062": 1,
    "083": 1,
    "092": 1,
}


def payroll(ctx: Ctx, hr: HR) -> pa.Table:
    """Monthly pay for every staff member employed in the month, first_year-01 to the clock."""
    rng = ctx.sub_rng("payroll")
    today = ctx.today
    months = []
    y, m = ctx.scale.first_year, 1
    while (y, m) <= (today.year, today.month):
        if (y, m) == (today.year, today.month) and today.day < 15:
            break
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    ffid = 1
    cols: dict[str, list] = {
        c: [] for c in ("ffid", "gh", "ffny", "jbgz", "jxgz", "jt", "yfhj", "kkhj", "sfhj", "gxsj")
    }
    for y, m in months:
        start = dt.date(y, m, 1)
        end = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
        raise_f = 1.03 ** (y - ctx.scale.first_year)
        gx = ts(dt.date(y, m, 15), 9 * 3600 + 30 * 60)
        ffny = f"{y}{m:02d}"
        for s in hr.staff:
            if s.lxrq > end or (s.lzrq is not None and s.lzrq <= start):
                continue
            lvl = LEVEL.get(s.title_at(end) or "", 0)
            years = max(0, y - s.lxrq.year)
            jb = round((2600 + 650 * lvl + 45 * years) * raise_f, 2)
            jx = round((3200 + 1400 * lvl) * raise_f * rng.uniform(0.9, 1.15) * (1.6 if m == 12 else 1.0), 2)
            jt = round((800 + 150 * lvl) * raise_f, 2)
            yf = round(jb + jx + jt, 2)
            kk = round(yf * 0.205, 2)
            cols["ffid"].append(ffid)
            cols["gh"].append(s.gh)
            cols["ffny"].append(ffny)
            cols["jbgz"].append(jb)
            cols["jxgz"].append(jx)
            cols["jt"].append(jt)
            cols["yfhj"].append(yf)
            cols["kkhj"].append(kk)
            cols["sfhj"].append(round(yf - kk, 2))
            cols["gxsj"].append(gx)
            ffid += 1
    from demo_college.common import schema

    return pa.table(cols, schema=schema("gzff"))
