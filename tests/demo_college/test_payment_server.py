"""The payment API server against payment_api.md: auth, paging, ordering, updated_since, faults."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from demo_college.payment_server import PaymentServer, parse_instant

TOKEN = "test-token"
H = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
def server(small_college: Path) -> Iterator[PaymentServer]:
    srv = PaymentServer(small_college / "payment" / "bills.jsonl", token=TOKEN).start()
    try:
        yield srv
    finally:
        srv.stop()


def _all_bills(small_college: Path) -> list[dict]:
    lines = (small_college / "payment" / "bills.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines]


def _key(b: dict) -> tuple[float, str]:
    return parse_instant(b["updated_at"]), b["bill_id"]


def _read_all(srv: PaymentServer, params: str = "", size: int = 1000, on_page=None) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        q = f"page_size={size}" + (f"&cursor={cursor}" if cursor else "") + params
        for _attempt in range(50):
            r = requests.get(f"{srv.url}/api/v1/bills?{q}", headers=H, timeout=10)
            if r.status_code in (429, 500):
                time.sleep(float(r.headers.get("Retry-After", "0")) * 0.01)
                continue
            break
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if on_page:
            on_page(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_auth_and_health(server: PaymentServer) -> None:
    assert requests.get(f"{server.url}/api/v1/health", timeout=5).status_code == 401
    assert (
        requests.get(
            f"{server.url}/api/v1/bills", headers={"Authorization": "Bearer nope"}, timeout=5
        ).status_code
        == 401
    )
    r = requests.get(f"{server.url}/api/v1/health", headers=H, timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_cursor_reads_every_bill_once_in_order(server: PaymentServer, small_college: Path) -> None:
    expected = sorted(_all_bills(small_college), key=_key)
    totals = []
    got = _read_all(server, on_page=lambda b: totals.append(b["total"]))
    assert [b["bill_id"] for b in got] == [b["bill_id"] for b in expected]
    assert got == expected
    assert set(totals) == {len(expected)}


def test_default_and_capped_page_size(server: PaymentServer) -> None:
    r = requests.get(f"{server.url}/api/v1/bills", headers=H, timeout=10).json()
    assert len(r["items"]) == 500 and r["next_cursor"]
    r = requests.get(f"{server.url}/api/v1/bills?page_size=5000", headers=H, timeout=10).json()
    assert len(r["items"]) == 1000
    assert requests.get(f"{server.url}/api/v1/bills?page_size=0", headers=H, timeout=10).status_code == 400


def test_updated_since_inclusive_with_offsets(server: PaymentServer, small_college: Path) -> None:
    bills = _all_bills(small_college)
    pivot = sorted({b["updated_at"] for b in bills})[len(bills) // 3 % 50 + 100]
    expected = sorted((b for b in bills if b["updated_at"] >= pivot), key=_key)
    assert any(b["updated_at"] == pivot for b in expected)
    as_utc = dt.datetime.fromisoformat(pivot).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    naive = pivot[:-6]
    for since in (pivot, as_utc, naive):
        got = _read_all(server, params=f"&updated_since={quote(since, safe='')}")
        assert [b["bill_id"] for b in got] == [b["bill_id"] for b in expected], since
    r = requests.get(
        f"{server.url}/api/v1/bills?updated_since={quote(pivot, safe='')}", headers=H, timeout=10
    ).json()
    assert r["total"] == len(expected)
    assert (
        requests.get(f"{server.url}/api/v1/bills?updated_since=yesterday", headers=H, timeout=10).status_code
        == 400
    )


def test_bill_updated_mid_read_is_read_again(server: PaymentServer, small_college: Path) -> None:
    bills = sorted(_all_bills(small_college), key=_key)
    victim = bills[10]["bill_id"]
    pages = []

    def on_page(body: dict) -> None:
        pages.append(body)
        if len(pages) == 2:
            server.update_bill(victim, amount_paid="0.00", status="refunded")

    got = _read_all(server, size=1000, on_page=on_page)
    ids = [b["bill_id"] for b in got]
    assert set(ids) == {b["bill_id"] for b in bills}
    assert ids.count(victim) == 2 and got[-1]["bill_id"] == victim and got[-1]["status"] == "refunded"
    assert got[-1]["updated_at"] > bills[-1]["updated_at"]


def test_legacy_page_numbers(server: PaymentServer, small_college: Path) -> None:
    bills = sorted(_all_bills(small_college), key=_key)
    r = requests.get(f"{server.url}/api/v1/bills?page=2&page_size=100", headers=H, timeout=10).json()
    assert [b["bill_id"] for b in r["items"]] == [b["bill_id"] for b in bills[100:200]]
    assert r["next_cursor"] is None and r["total"] == len(bills)


def test_faults_429_with_retry_after(small_college: Path) -> None:
    srv = PaymentServer(
        small_college / "payment" / "bills.jsonl", token=TOKEN, fault_rate=0.4, seed=3
    ).start()
    try:
        codes = []
        retry = set()
        for _ in range(40):
            r = requests.get(f"{srv.url}/api/v1/bills?page_size=10", headers=H, timeout=10)
            codes.append(r.status_code)
            if r.status_code == 429:
                retry.add(r.headers.get("Retry-After"))
        assert 429 in codes and 200 in codes and 500 in codes
        assert retry == {"1"}
        got = _read_all(srv, size=1000)
        assert len(got) == len(_all_bills(small_college))
    finally:
        srv.stop()
