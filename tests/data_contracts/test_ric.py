"""The contracts' GB 11643 check (runner.ric_is_valid, birth-place lookup memoised) must agree with
python-stdnum's own ``ric.is_valid`` on every input."""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import ric

from data_contracts.runner import ric_is_valid


def _numbers(n: int, seed: int = 11643) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        prefix = f"{rng.randint(11, 65):02d}{rng.randint(1, 20):02d}{rng.randint(1, 30):02d}"
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
        body = f"{prefix}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        check = ric.calc_check_digit(body + "0")
        if rng.random() < 0.2:  # a wrong check character
            check = rng.choice([c for c in "0123456789X" if c != check])
        number = body + check
        if rng.random() < 0.1:  # lower-case x, blanks and separators that compact() removes
            number = f" {number[:6]}-{number[6:].lower()} "
        out.append(number)
    # counties valid only for some years (110103 崇文区 until 2010), impossible dates, junk
    out += ["11010319900101001" + "0", "11010320150101001" + "0", "110103199002300010", "", "X", "abc"]
    out += [b[:17] + ric.calc_check_digit(b) for b in ("110103199001010010", "110103201501010010")]
    return out


def _stdnum_valid(number: str) -> bool:
    try:
        return ric.is_valid(number)
    except KeyError:  # stdnum raises it for an address code naming a province or city, not a county
        return False


def test_agrees_with_stdnum() -> None:
    numbers = _numbers(5000)
    expected = [_stdnum_valid(x) for x in numbers]
    assert [ric_is_valid(x) for x in numbers] == expected
    # both outcomes occur, including the birth-year dependent county
    assert sum(expected) > 100 and expected.count(False) > 1000
    assert ric_is_valid(numbers[-2]) and not ric_is_valid(numbers[-1])
