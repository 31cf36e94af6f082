"""People: Chinese names and GB 11643 citizen ID numbers that agree with birth date and sex.

Address codes come from python-stdnum's own table (``stdnum/cn/loc.dat``): only county
codes valid for every birth year are used, so ``stdnum.cn.ric.is_valid`` accepts them.
Check digits are computed with ``stdnum.cn.ric.calc_check_digit``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import stdnum.cn
from stdnum.cn import ric

from demo_college.names import ETHNICITIES, GIVEN_FEMALE, GIVEN_MALE, SURNAMES

#: provinces the college recruits from, with weights (a college in Jiangsu)
PROVINCE_WEIGHTS: dict[str, float] = {
    "32": 60,
    "34": 6,
    "37": 5,
    "41": 5,
    "33": 4,
    "36": 3,
    "42": 3,
    "43": 2,
    "51": 2,
    "13": 2,
    "14": 1,
    "45": 1,
    "35": 1,
    "53": 1,
    "62": 1,
    "22": 1,
    "23": 1,
    "31": 1,
    "11": 0.5,
}


@cache
def address_codes() -> dict[str, list[tuple[str, int, int]]]:
    """County-level address codes with the birth years they are valid for, by 2-digit province."""
    path = Path(stdnum.cn.__file__).parent / "loc.dat"
    out: dict[str, list[tuple[str, int, int]]] = {}
    prov = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            prov = line.split()[0]
            continue
        code, _, rest = line.strip().partition(" ")
        if len(code) != 4 or code[2:] == "00" or "市辖区" in rest or 'county="' not in rest:
            continue
        county = rest.split('county="', 1)[1].split('"', 1)[0]
        for part in county.split(","):
            if part.startswith("["):
                rng_txt = part[1:].split("]", 1)[0]
                lo, _, hi = rng_txt.partition("-")
                out.setdefault(prov, []).append((prov + code, int(lo or 1900), int(hi or 2100)))
            else:
                out.setdefault(prov, []).append((prov + code, 1900, 2100))
    return out


_PROVS = list(PROVINCE_WEIGHTS)
_PROV_W = list(PROVINCE_WEIGHTS.values())


def make_ric(rng: random.Random, birth: dt.date, male: bool, province: str | None = None) -> str:
    """A valid 18-character citizen ID number for this birth date and sex."""
    codes = address_codes()
    if province is None or province not in codes:
        province = rng.choices(_PROVS, weights=_PROV_W)[0]
    addr = rng.choice(_candidates(province, birth.year))
    seq = rng.randrange(1, 500) * 2 + (1 if male else 0)
    body = f"{addr}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@cache
def _candidates(province: str, year: int) -> list[str]:
    return [c for c, lo, hi in address_codes()[province] if lo <= year <= hi]


def wrong_check_digit(number: str) -> str:
    """The same number with a check digit that is wrong."""
    good = ric.calc_check_digit(number)
    for cand in "0123456789X":
        if cand != good and cand != number[-1].upper():
            return number[:-1] + cand
    raise AssertionError("unreachable")


_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_W = [w for _, w in SURNAMES]
_ETH_LIST = [e for e, _ in ETHNICITIES]
_ETH_W = [w for _, w in ETHNICITIES]


def make_name(rng: random.Random, male: bool) -> str:
    """A plausible Chinese name: surname + one or two given-name characters."""
    surname = rng.choices(_SURNAME_LIST, weights=_SURNAME_W)[0]
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    n = 1 if rng.random() < 0.28 else 2
    return surname + "".join(rng.choice(pool) for _ in range(n))


def make_ethnicity(rng: random.Random) -> str:
    return rng.choices(_ETH_LIST, weights=_ETH_W)[0]


def make_phone(rng: random.Random) -> str:
    prefix = rng.choice(
        [
            "130",
            "131",
            "132",
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "152",
            "157",
            "158",
            "159",
            "177",
            "180",
            "181",
            "182",
            "187",
            "188",
            "189",
            "191",
            "199",
        ]
    )
    return prefix + f"{rng.randrange(0, 10**8):08d}"


@dataclass
class Person:
    """A natural person: the same one may appear in several systems."""

    xm: str
    male: bool
    birth: dt.date
    mzm: str
    sfzjlxm: str
    sfzjh: str

    @property
    def xbm(self) -> str:
        return "1" if self.male else "2"


class PersonFactory:
    """Makes people with unique ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def citizen(self, birth: dt.date, male: bool | None = None) -> Person:
        rng = self.rng
        if male is None:
            male = rng.random() < 0.5
        while True:
            num = make_ric(rng, birth, male)
            if num not in self.used:
                self.used.add(num)
                break
        return Person(make_name(rng, male), male, birth, make_ethnicity(rng), "1", num)

    def foreigner(self, birth: dt.date, country: str, male: bool | None = None) -> Person:
        rng = self.rng
        if male is None:
            male = rng.random() < 0.55
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        while True:
            if country in ("344", "446"):
                num = ("H" if country == "344" else "M") + f"{rng.randrange(10**8):08d}"
                doc = "9"
            elif country == "158":
                num = f"{rng.randrange(10**8):08d}"
                doc = "9"
            else:
                num = rng.choice(letters) + rng.choice(letters) + f"{rng.randrange(10**7):07d}"
                doc = "6"
            if num not in self.used:
                self.used.add(num)
                break
        if country in ("344", "446", "158"):
            name = make_name(rng, male)
        else:
            syll = [
                "AN",
                "BAO",
                "KIM",
                "LEE",
                "NGUYEN",
                "TRAN",
                "SOK",
                "SOMCHAI",
                "BAT",
                "ALI",
                "KHAN",
                "PARK",
                "CHOI",
                "LE",
                "PHAM",
                "ERDENE",
                "AIDOS",
                "RAHMAN",
            ]
            name = f"{rng.choice(syll)} {rng.choice(syll)}"
        return Person(name, male, birth, "", doc, num)
