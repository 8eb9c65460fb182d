"""Overload protection (`--max-requests-inflight`, `--max-mutating-requests-inflight`): beyond the
limit a request is answered 429 TooManyRequests with `Retry-After: 1` at once, while watches (long-running)
and system:masters are not held back."""
from __future__ import annotations

import threading
from pathlib import Path

import requests

from e2e_harness import Cluster, KyvernProcess, read_kubeconfig

# A GET at a resourceVersion far ahead waits (up to 3 s) for the cache to reach it: a slow request.
SLOW = "/api/v1/nodes/no-such-node?resourceVersion=999999999"


def test_burst_beyond_the_limit_gets_429(tmp_path: Path):
    server = KyvernProcess(tmp_path / "data", extra_args=("--max-requests-inflight", "2",
                                                           "--max-mutating-requests-inflight", "1"))
    server.start()
    try:
        c = Cluster(server, tmp_path / "client")
        # The server's node agent identity is in system:nodes (allowed to read nodes), not
        # system:masters (which is exempt, as upstream).
        node = read_kubeconfig(server.data_dir / "agent.kubeconfig", tmp_path / "node-creds")

        def node_session() -> requests.Session:
            s = c.new_session(authenticated=False)
            s.cert = (str(node.cert_path), str(node.key_path))
            return s

        results: list[requests.Response] = []
        lock = threading.Lock()
        start = threading.Barrier(12)

        def slow_get():
            s = node_session()
            start.wait()
            r = s.get(c.base_url + SLOW, timeout=30)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=slow_get) for _ in range(12)]
        for t in threads:
            t.start()

        # While the two slots are held: a watch (long-running) is still served, and so is the admin.
        watch = node_session().get(c.base_url + "/api/v1/nodes", params={"watch": "true", "timeoutSeconds": "1"},
                                   stream=True, timeout=10)
        assert watch.status_code == 200, watch.text
        watch.close()
        assert c.get("/api/v1/namespaces/default").status_code == 200

        for t in threads:
            t.join(timeout=30)
        codes = sorted(r.status_code for r in results)
        refused = [r for r in results if r.status_code == 429]
        assert len(results) == 12
        assert len(refused) >= 8, codes
        assert 1 <= len(results) - len(refused) <= 2, codes
        for r in refused:
            assert r.headers.get("Retry-After") == "1"
            body = r.json()
            assert body["kind"] == "Status" and body["reason"] == "TooManyRequests" and body["code"] == 429
            assert body["message"] == "Too many requests, please try again later."
            assert body["details"]["retryAfterSeconds"] == 1

        # The gauge is back at zero, and the refusals are counted with their code, as upstream.
        metrics = c.get("/metrics").text
        assert 'apiserver_current_inflight_requests{request_kind="readOnly"} 0' in metrics
        assert 'code="429"' in metrics

        # Once the burst is over, requests are served again.
        assert node_session().get(c.base_url + "/api/v1/nodes", timeout=10).status_code == 200
        c.close()
    finally:
        assert server.stop() == 0
