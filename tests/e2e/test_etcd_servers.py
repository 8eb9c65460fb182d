"""Kyvern on etcd: state kept in a real etcd, and two servers on one etcd serving the same API, with
one scheduler and one controller manager between them (Lease leader election)."""
from __future__ import annotations

import json
import threading
import time

import pytest

from e2e_harness import wait_until
from etcd_cluster import EtcdCluster


@pytest.fixture
def etcd():
    cluster = EtcdCluster(1)
    yield cluster
    cluster.close()


def uid_of(c, kind: str, name: str, ns: str = "default") -> str:
    return json.loads(c.kubectl("get", kind, name, "-n", ns, "-o", "json").stdout)["metadata"]["uid"]


def test_state_lives_in_etcd_and_survives_a_kill(etcd, server_factory):
    p = server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent")
    c = server_factory.client(p)
    c.kubectl("create", "configmap", "kept", "--from-literal=a=1")
    uid = uid_of(c, "configmap", "kept")
    assert "using etcd" in p.log_tail(200)
    p.kill9()
    p.start()
    assert uid_of(c, "configmap", "kept") == uid
    # the data is etcd's, not in the data directory
    assert not (p.data_dir / "state.db").exists()


def test_two_servers_on_one_etcd_serve_the_same_state_and_share_the_control_loops(etcd, server_factory):
    a = server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent", "--token", "s3cret")
    b = server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent", "--token", "s3cret")
    ca, cb = server_factory.client(a), server_factory.client(b)
    # one CA, one admin token, one node token: A's kubeconfig works against B
    assert (a.data_dir / "pki" / "ca.crt").read_text() == (b.data_dir / "pki" / "ca.crt").read_text()
    assert (a.data_dir / "node-token").read_text() == (b.data_dir / "node-token").read_text()
    out = ca.kubectl("--server", b.base_url, "get", "namespace", "default", "-o", "name").stdout.strip()
    assert out == "namespace/default"
    # a server with another token cannot open the shared credentials and does not start
    wrong = server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent", "--token", "other",
                               start=False)
    with pytest.raises(Exception):
        wrong.start(timeout=15)
    assert "--token does not open the cluster credentials" in wrong.log_text()
    # a watch through B sees a write through A
    seen: list[dict] = []
    stop = threading.Event()

    def watch():
        r = cb.request("GET", "/api/v1/namespaces/default/configmaps", params={"watch": "1", "timeoutSeconds": "20"},
                       stream=True, timeout=30)
        for line in r.iter_lines():
            if line:
                seen.append(json.loads(line))
            if stop.is_set():
                break
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    time.sleep(1)
    ca.kubectl("create", "configmap", "shared", "--from-literal=k=v")
    assert uid_of(cb, "configmap", "shared") == uid_of(ca, "configmap", "shared")
    wait_until("B's watch sees A's write",
               lambda: any(e["type"] == "ADDED" and e["object"]["metadata"]["name"] == "shared" for e in seen),
               timeout=15)
    stop.set()
    # a Deployment created through B is turned into one ReplicaSet and exactly 3 pods, by one
    # controller manager, whichever server it runs in
    cb.kubectl("create", "deployment", "web", "--image=busybox", "--replicas=3")
    wait_until("3 pods", lambda: len(json.loads(ca.kubectl("get", "pods", "-o", "json").stdout)["items"]) == 3,
               timeout=30)
    time.sleep(2)
    assert len(json.loads(ca.kubectl("get", "rs", "-o", "json").stdout)["items"]) == 1
    assert len(json.loads(cb.kubectl("get", "pods", "-o", "json").stdout)["items"]) == 3
    # one holder per control loop, and each holder is one of the two servers' loops
    leases = {l["metadata"]["name"]: l["spec"].get("holderIdentity")
              for l in json.loads(ca.kubectl("get", "lease", "-n", "kube-system", "-o", "json").stdout)["items"]}
    assert leases.get("kube-controller-manager") and leases.get("kube-scheduler"), leases
    # server A dies: whatever loops it held, B's take over once their Leases run out (15 s)
    a.kill9()
    cb.kubectl("scale", "deployment", "web", "--replicas=5")
    wait_until("5 pods after server A died",
               lambda: len(json.loads(cb.kubectl("get", "pods", "-o", "json").stdout)["items"]) == 5, timeout=45)
    time.sleep(2)
    assert len(json.loads(cb.kubectl("get", "pods", "-o", "json").stdout)["items"]) == 5
