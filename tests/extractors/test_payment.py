"""Payment API client against the real local server (demo_college.payment_server) with faults on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from extractors.payment import PaymentClient, PaymentError, extract_payment
from orchestration.settings import PaymentSource

payment_server = pytest.importorskip("demo_college.payment_server")

TOKEN = "t0ken-for-tests"


def make_bills(path: Path, n: int = 300) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            # many bills share one updated_at (10 per second)
            ts = f"2026-09-{1 + i // 200:02d}T10:{(i // 10) % 60:02d}:00+08:00"
            fh.write(
                json.dumps(
                    {
                        "bill_id": f"B{i:05d}",
                        "student_no": f"2025{i:06d}",
                        "item_code": "01",
                        "academic_year": "2026-2027",
                        "amount_due": "12800.00",
                        "amount_waived": "0.00",
                        "amount_paid": "0.00",
                        "status": "unpaid",
                        "paid_at": None,
                        "updated_at": ts,
                    }
                )
                + "\n"
            )
    return path


class UpdatingSession(requests.Session):
    """Changes bills on the server while the client pages (after the 2nd page)."""

    def __init__(self, server, bill_ids: list[str]):
        super().__init__()
        self.server, self.bill_ids, self.pages = server, bill_ids, 0

    def get(self, url, **kw):  # type: ignore[override]
        resp = super().get(url, **kw)
        if resp.status_code == 200 and "/bills" in url:
            self.pages += 1
            if self.pages == 2:
                for bid in self.bill_ids:
                    self.server.update_bill(
                        bid, amount_paid="12800.00", status="paid", paid_at="2026-11-26T09:00:00+08:00"
                    )
        return resp


@pytest.fixture
def server(tmp_path):
    srv = payment_server.PaymentServer(
        make_bills(tmp_path / "bills.jsonl"), token=TOKEN, fault_rate=0.3, seed=11, retry_after=1
    )
    with srv:
        yield srv


def current_bills(con) -> dict[str, tuple]:
    rows = con.execute("""select bill_id, status, amount_paid, updated_at from raw.payment__bills
        qualify row_number() over (partition by bill_id order by updated_at::timestamptz desc, _loaded_at desc) = 1
        """).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_faults_and_updates_while_paging_lose_nothing(warehouse, server):
    sleeps: list[float] = []
    updated = ["B00003", "B00010", "B00042"]  # on the first page: updated after it was read
    client = PaymentClient(
        server.url,
        TOKEN,
        page_size=25,
        max_retries=8,
        backoff_s=0.01,
        session=UpdatingSession(server, updated),
        sleep=sleeps.append,
    )
    [res] = extract_payment(
        warehouse, PaymentSource(base_url=server.url), mode="full", run_id="p1", client=client
    )
    assert res.status == "ok"
    assert client.retries_done > 0 and 1.0 in sleeps  # 429 Retry-After honoured, 500s retried
    cur = current_bills(warehouse)
    assert (
        len(cur)
        == 300
        == warehouse.execute("select count(distinct bill_id) from raw.payment__bills").fetchone()[0]
    )
    for bid in updated:
        assert cur[bid][:2] == ("paid", "12800.00")
    assert res.rows_read == 303 and res.rows_new_versions == 300  # read twice, landed once
    assert "3 bills read more than once" in res.message
    client.close()


def test_incremental_picks_up_changes_and_reruns_change_nothing(warehouse, server):
    src = PaymentSource(base_url=server.url)

    def client():
        return PaymentClient(
            server.url, TOKEN, page_size=50, max_retries=8, backoff_s=0.01, sleep=lambda s: None
        )

    extract_payment(warehouse, src, mode="full", run_id="p1", client=client())
    server.update_bill("B00100", status="partial", amount_paid="100.00")
    server.update_bill("B00200", status="refunded", amount_paid="0.00")
    [res] = extract_payment(warehouse, src, mode="incremental", run_id="p2", client=client())
    assert res.rows_new_versions == 2
    assert res.rows_read <= 3 + 10  # from the largest updated_at landed, inclusive
    ops = warehouse.execute(
        "select bill_id, _op from raw.payment__bills where _run_id='p2' order by 1"
    ).fetchall()
    assert ops == [("B00100", "U"), ("B00200", "U")]
    for run in ("p3", "p4"):
        [res] = extract_payment(warehouse, src, mode="incremental", run_id=run, client=client())
        assert res.rows_new_versions == 0
    assert warehouse.execute("select count(*) from raw.payment__bills").fetchone()[0] == 302


def test_bad_token_is_a_clear_error_without_the_token(warehouse, server, monkeypatch):
    monkeypatch.setenv("CDW_PAY_TOKEN", "wrong-secret-token")
    src = PaymentSource(base_url=server.url, token_env="CDW_PAY_TOKEN", max_retries=1)
    with pytest.raises(PaymentError) as err:
        extract_payment(warehouse, src, mode="full", run_id="p1")
    assert "refused the bearer token" in str(err.value) and "wrong-secret" not in str(err.value)
    assert warehouse.execute("select count(*) from raw.payment__bills").fetchone()[0] == 0


def test_retries_are_bounded(warehouse, server):
    server.set_fault_rate(1.0)
    client = PaymentClient(server.url, TOKEN, max_retries=2, backoff_s=0.01, sleep=lambda s: None)
    with pytest.raises(PaymentError, match="still failing after 3 attempts"):
        extract_payment(
            warehouse, PaymentSource(base_url=server.url), mode="full", run_id="p1", client=client
        )
    client.close()
    server.set_fault_rate(0.0)
