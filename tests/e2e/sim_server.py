"""A throw-away `kyvern server` with simulated nodes (`kyvern agent --simulate N`), for controller tests
that must not leak nodes into the shared server. Everything is stopped and removed on exit."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from e2e_harness import Cluster, KyvernProcess, ServerStartError, wait_until


def ready_nodes(c: Cluster) -> list[str]:
    items = c.get("/api/v1/nodes").json().get("items", [])
    return [n["metadata"]["name"] for n in items
            if any(x["type"] == "Ready" and x["status"] == "True" for x in n.get("status", {}).get("conditions", []))]


@contextmanager
def server_with_simulated_nodes(kyvern_bin: Path, prefix: str, nodes: int = 3):
    root = Path(tempfile.mkdtemp(prefix=f"kyvern-e2e-{prefix}-"))
    proc = KyvernProcess(root / "data", binary=kyvern_bin)
    agent = None
    cluster = None
    try:
        try:
            proc.start()
        except ServerStartError as e:
            pytest.fail(str(e), pytrace=False)
        cluster = Cluster(proc, root / "client")
        log = open(root / "agent.log", "ab")
        agent = subprocess.Popen([str(kyvern_bin), "agent", "--simulate", str(nodes), "--kubeconfig",
                                  str(proc.kubeconfig_path), "--node-name-prefix", prefix],
                                 stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_until(f"{nodes} Ready simulated nodes", lambda: len(ready_nodes(cluster)) == nodes, timeout=90, interval=0.2)
        yield cluster
    finally:
        if agent is not None:
            agent.terminate()
            try:
                agent.wait(10)
            except subprocess.TimeoutExpired:
                agent.kill()
        if cluster is not None:
            cluster.close()
        proc.stop()
        shutil.rmtree(root, ignore_errors=True)
