"""`campus-dw serve` starts the dashboards and the Dagster UI on loopback, with the job definitions loaded."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()


def test_serve_starts_dashboards_and_dagster_ui(small_pipeline, tmp_path):
    cfg, outcome = small_pipeline
    assert outcome.success
    st_port, dg_port = _free_port(), _free_port()
    served = tmp_path / "serve.yml"
    served.write_text(
        cfg.read_text() + f"serve: {{host: 127.0.0.1, dashboard_port: {st_port}, dagster_port: {dg_port}}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "--config", str(served), "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 150
        jobs: list[str] = []
        st_ok = False
        while time.monotonic() < deadline and not (st_ok and jobs):
            time.sleep(2)
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-2000:]
            try:
                st_ok = st_ok or _get(f"http://127.0.0.1:{st_port}/_stcore/health")[0] == 200
                query = b'{"query":"{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"}'
                status, body = _get(f"http://127.0.0.1:{dg_port}/graphql", query)
                nodes = json.loads(body)["data"]["repositoriesOrError"].get("nodes") or []
                jobs = [j["name"] for n in nodes for j in n["jobs"]]
            except (OSError, KeyError, ValueError):
                continue
        assert st_ok, "the dashboards did not answer"
        assert {"full_refresh", "incremental_refresh", "finance_only", "payment_only"} <= set(jobs)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
