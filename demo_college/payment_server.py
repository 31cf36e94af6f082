"""A local HTTP server for the unified payment platform API (``payment_api.md``).

Bearer-token auth (401 without), ``GET /api/v1/health``, ``GET /api/v1/bills`` with
inclusive ``updated_since`` (offsets; Beijing time without one), an opaque cursor that
continues strictly after the last ``(updated_at, bill_id)`` returned, ``page_size`` up to
1000 (default 500), ``total``, and legacy ``page=n``; results ordered by
``(updated_at, bill_id)``.  Optional fault injection answers 429 with ``Retry-After``
and now and then 500, deterministically for a seed.

In process::

    with PaymentServer("DIR/payment/bills.jsonl", token="T") as srv:
        requests.get(srv.url + "/api/v1/bills", headers={"Authorization": "Bearer T"})
        srv.update_bill("2025010000001", amount_paid="100.00", status="partial")

Command line: ``python -m demo_college.payment_server --data bills.jsonl --port 8765 --token T``.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import datetime as dt
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

BEIJING = dt.timezone(dt.timedelta(hours=8))
MAX_PAGE = 1000
DEFAULT_PAGE = 500


def parse_instant(text: str) -> float:
    """Epoch seconds of an ISO-8601 timestamp; no offset means Beijing time."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=BEIJING)
    return d.timestamp()


class BillStore:
    """Bills kept sorted by (updated_at instant, bill_id)."""

    def __init__(self, bills: list[dict[str, Any]]) -> None:
        self.lock = threading.Lock()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.keys: list[tuple[float, str]] = []
        for b in bills:
            self.by_id[b["bill_id"]] = dict(b)
        self.keys = sorted((parse_instant(b["updated_at"]), bid) for bid, b in self.by_id.items())

    @classmethod
    def from_jsonl(cls, path: Path) -> BillStore:
        with Path(path).open(encoding="utf-8") as fh:
            return cls([json.loads(line) for line in fh if line.strip()])

    def page(
        self, since: float | None, after: tuple[float, str] | None, offset: int, size: int
    ) -> tuple[list[dict[str, Any]], int, tuple[float, str] | None]:
        with self.lock:
            lo = 0 if since is None else bisect.bisect_left(self.keys, (since, ""))
            total = len(self.keys) - lo
            start = lo if after is None else max(lo, bisect.bisect_right(self.keys, after))
            start += offset
            chunk = self.keys[start : start + size]
            items = [dict(self.by_id[bid]) for _, bid in chunk]
            more = start + size < len(self.keys)
            last = chunk[-1] if chunk and more else None
            return items, total, last

    def update(self, bill_id: str, **changes: Any) -> dict[str, Any]:
        """Change a bill and bump its ``updated_at`` to now (after every other bill)."""
        with self.lock:
            b = self.by_id[bill_id]
            old = (parse_instant(b["updated_at"]), bill_id)
            i = bisect.bisect_left(self.keys, old)
            if i < len(self.keys) and self.keys[i] == old:
                del self.keys[i]
            now = dt.datetime.now(BEIJING).replace(microsecond=0)
            latest = self.keys[-1][0] if self.keys else 0.0
            if now.timestamp() <= latest:
                now = dt.datetime.fromtimestamp(int(latest) + 1, BEIJING)
            b.update(changes)
            b["updated_at"] = now.isoformat()
            bisect.insort(self.keys, (now.timestamp(), bill_id))
            return dict(b)


def encode_cursor(key: tuple[float, str], since: float | None) -> str:
    raw = json.dumps([key[0], key[1], since]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(c: str) -> tuple[tuple[float, str], float | None]:
    raw = base64.urlsafe_b64decode(c + "=" * (-len(c) % 4))
    t, bid, since = json.loads(raw)
    return (float(t), str(bid)), (None if since is None else float(since))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        srv = self.server
        if self.headers.get("Authorization", "") != f"Bearer {srv.token}":
            self._send(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})
            return
        url = urlparse(self.path)
        if url.path == "/api/v1/health":
            self._send(200, {"status": "ok"})
            return
        if url.path != "/api/v1/bills":
            self._send(404, {"error": "not found"})
            return
        fault = srv.fault()
        if fault == 429:
            self._send(429, {"error": "too many requests"}, {"Retry-After": str(srv.retry_after)})
            return
        if fault == 500:
            self._send(500, {"error": "internal error"})
            return
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            size = int(q.get("page_size", DEFAULT_PAGE))
            if size < 1:
                raise ValueError("page_size must be at least 1")
            size = min(size, MAX_PAGE)
            since = parse_instant(q["updated_since"]) if q.get("updated_since") else None
            after = None
            offset = 0
            if q.get("cursor"):
                after, c_since = decode_cursor(q["cursor"])
                if since is None:
                    since = c_since
            elif q.get("page"):
                n = int(q["page"])
                if n < 1:
                    raise ValueError("page starts at 1")
                offset = (n - 1) * size
        except (ValueError, KeyError, json.JSONDecodeError, TypeError) as exc:
            self._send(400, {"error": f"bad request: {exc}"})
            return
        items, total, last = srv.store.page(since, after, offset, size)
        nxt = None
        if last is not None and not q.get("page"):
            nxt = encode_cursor(last, since)
        body: dict[str, Any] = {"items": items, "next_cursor": nxt, "total": total}
        if q.get("page"):
            body["page"] = int(q["page"])
        self._send(200, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        addr: tuple[str, int],
        store: BillStore,
        token: str,
        fault_rate: float,
        seed: int,
        retry_after: int,
    ) -> None:
        super().__init__(addr, _Handler)
        self.store = store
        self.token = token
        self.fault_rate = fault_rate
        self.retry_after = retry_after
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()

    def fault(self) -> int | None:
        if self.fault_rate <= 0:
            return None
        with self._rng_lock:
            r = self._rng.random()
        if r < self.fault_rate * 0.8:
            return 429
        if r < self.fault_rate:
            return 500
        return None


class PaymentServer:
    """The payment API on loopback, in a background thread."""

    def __init__(
        self,
        data_path: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "demo-token",
        fault_rate: float = 0.0,
        seed: int = 7,
        retry_after: int = 1,
    ) -> None:
        self.store = BillStore.from_jsonl(Path(data_path))
        self.token = token
        self._server = _Server((host, port), self.store, token, fault_rate, seed, retry_after)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> PaymentServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="payment-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def update_bill(self, bill_id: str, **changes: Any) -> dict[str, Any]:
        """Change a bill as the platform would; its ``updated_at`` becomes now."""
        return self.store.update(bill_id, **changes)

    def set_fault_rate(self, rate: float) -> None:
        self._server.fault_rate = rate

    def __enter__(self) -> PaymentServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Serve the demo college's payment API on loopback.")
    ap.add_argument("--data", type=Path, required=True, help="payment/bills.jsonl")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--token", required=True)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    srv = PaymentServer(args.data, args.host, args.port, args.token, args.fault_rate, args.seed)
    print(f"payment API on {srv.url} ({len(srv.store.keys)} bills)", flush=True)
    try:
        srv._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv._server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
