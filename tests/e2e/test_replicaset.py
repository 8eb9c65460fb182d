"""ReplicaSet controller: pods to match spec.replicas, ownership, adoption and release, status, events.

Runs on a throw-away server of its own (the controller manager runs inside `kyvern server`): nothing
here schedules pods, so pods stay Pending unless a test binds them and reports them Running itself."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from conftest import ServerFactory, rand_suffix
from e2e_harness import Cluster


def _wait(predicate, timeout: float = 20, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture(scope="module")
def rs_server(kyvern_bin):
    factory = ServerFactory(kyvern_bin)
    try:
        proc = factory.new()
        yield factory.client(proc)
    finally:
        factory.cleanup()


@pytest.fixture
def rs_ns(rs_server) -> str:
    name = f"e2e-rs-{rand_suffix()}"
    rs_server.create_namespace(name)
    yield name
    rs_server.delete_namespace(name)


def _rs(name: str, replicas: int, labels: dict | None = None, min_ready: int = 0) -> str:
    labels = labels or {"app": name}
    spec = {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return json.dumps({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name}, "spec": spec})


def _pods(c: Cluster, ns: str, selector: str) -> list[dict]:
    out = c.kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "json").stdout
    return json.loads(out)["items"]


def _live(pods: list[dict]) -> list[dict]:
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _wait_pods(c: Cluster, ns: str, selector: str, count: int, timeout: float = 20) -> list[dict]:
    return _wait(lambda: (lambda ps: ps if len(ps) == count else None)(_live(_pods(c, ns, selector))),
                 timeout=timeout, what=f"{count} pods with {selector}")


def _rs_json(c: Cluster, ns: str, name: str) -> dict:
    return json.loads(c.kubectl("get", "rs", name, "-n", ns, "-o", "json").stdout)


def _owner_ref(rs: dict) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs["metadata"]["name"],
            "uid": rs["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def test_creates_pods_with_owner_references_and_events(rs_server, rs_ns):
    c, ns = rs_server, rs_ns
    assert c.kubectl("apply", "-n", ns, "-f", "-", input=_rs("web", 3)).stdout.strip() == "replicaset.apps/web created"
    pods = _wait_pods(c, ns, "app=web", 3)
    rs = _rs_json(c, ns, "web")
    for pod in pods:
        assert pod["metadata"]["name"].startswith("web-") and len(pod["metadata"]["name"]) == len("web-") + 5
        assert pod["metadata"]["generateName"] == "web-"
        assert pod["metadata"]["ownerReferences"] == [_owner_ref(rs)]
        assert pod["metadata"]["labels"] == {"app": "web"}
        assert pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    status = _wait(lambda: (lambda s: s if s.get("replicas") == 3 and s.get("observedGeneration") == 1 else None)(
        _rs_json(c, ns, "web").get("status", {})), what="status.replicas 3")
    assert status == {"replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1, "terminatingReplicas": 0}
    lines = c.kubectl("get", "rs", "web", "-n", ns, "--no-headers").stdout.split()
    assert lines[:4] == ["web", "3", "3", "0"]

    def created_events():
        ev = json.loads(c.kubectl("get", "events", "-n", ns, "-o", "json").stdout)["items"]
        ev = [e for e in ev if e["reason"] == "SuccessfulCreate"]
        return ev if len(ev) == 3 else None
    events = _wait(created_events, what="3 SuccessfulCreate events")
    assert sorted(e["message"] for e in events) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
    for e in events:
        assert e["type"] == "Normal"
        assert e["source"] == {"component": "replicaset-controller"}
        assert e["involvedObject"]["kind"] == "ReplicaSet" and e["involvedObject"]["name"] == "web"
        assert e["involvedObject"]["uid"] == rs["metadata"]["uid"]
    described = c.kubectl("describe", "rs", "web", "-n", ns).stdout
    assert "SuccessfulCreate" in described and "replicaset-controller" in described


def test_deleted_pod_is_replaced(rs_server, rs_ns):
    c, ns = rs_server, rs_ns
    c.kubectl("apply", "-n", ns, "-f", "-", input=_rs("api", 3))
    before = {p["metadata"]["name"] for p in _wait_pods(c, ns, "app=api", 3)}
    victim = sorted(before)[0]
    assert c.kubectl("delete", "pod", victim, "-n", ns).stdout.strip() == f'pod "{victim}" deleted from {ns} namespace'
    after = _wait(lambda: (lambda ps: ps if len(ps) == 3 and victim not in ps else None)(
        {p["metadata"]["name"] for p in _live(_pods(c, ns, "app=api"))}), what="a replacement pod")
    assert len(after - before) == 1 and after & before == before - {victim}


def test_scale_up_and_down(rs_server, rs_ns):
    c, ns = rs_server, rs_ns
    c.kubectl("apply", "-n", ns, "-f", "-", input=_rs("sc", 2))
    _wait_pods(c, ns, "app=sc", 2)
    assert c.kubectl("scale", "rs", "sc", "-n", ns, "--replicas=5").stdout.strip() == "replicaset.apps/sc scaled"
    _wait_pods(c, ns, "app=sc", 5)
    c.kubectl("scale", "rs", "sc", "-n", ns, "--replicas=1")
    remaining = _wait_pods(c, ns, "app=sc", 1)
    _wait(lambda: _rs_json(c, ns, "sc")["status"].get("replicas") == 1, what="status.replicas 1")
    rs = _rs_json(c, ns, "sc")
    assert rs["status"]["observedGeneration"] == 3
    assert remaining[0]["metadata"]["ownerReferences"] == [_owner_ref(rs)]
    deleted = [e for e in json.loads(c.kubectl("get", "events", "-n", ns, "-o", "json").stdout)["items"]
               if e["reason"] == "SuccessfulDelete"]
    assert len(deleted) == 4 and all(e["message"].startswith("Deleted pod: sc-") for e in deleted)


def test_adopts_orphan_and_releases_relabelled_pod(rs_server, rs_ns):
    c, ns = rs_server, rs_ns
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan", "labels": {"app": "ad"}},
              "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(orphan))
    c.kubectl("apply", "-n", ns, "-f", "-", input=_rs("ad", 2))
    pods = _wait_pods(c, ns, "app=ad", 2)
    rs = _rs_json(c, ns, "ad")
    names = {p["metadata"]["name"] for p in pods}
    assert "orphan" in names
    adopted = _wait(lambda: (lambda p: p if p["metadata"].get("ownerReferences") else None)(
        json.loads(c.kubectl("get", "pod", "orphan", "-n", ns, "-o", "json").stdout)), what="adoption")
    assert adopted["metadata"]["ownerReferences"] == [_owner_ref(rs)]

    # Relabelled out of the selector: released (no owner) and replaced.
    c.kubectl("label", "pod", "orphan", "-n", ns, "app=gone", "--overwrite")
    released = _wait(lambda: (lambda p: p if not p["metadata"].get("ownerReferences") else None)(
        json.loads(c.kubectl("get", "pod", "orphan", "-n", ns, "-o", "json").stdout)), what="release")
    assert released["metadata"]["labels"] == {"app": "gone"}
    now = _wait_pods(c, ns, "app=ad", 2)
    assert "orphan" not in {p["metadata"]["name"] for p in now}


def test_ready_replicas_follow_running_pods(rs_server, rs_ns):
    c, ns = rs_server, rs_ns
    c.kubectl("apply", "-n", ns, "-f", "-", input=_rs("rd", 2))
    pods = _wait_pods(c, ns, "app=rd", 2)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for p in pods:
        name = p["metadata"]["name"]
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}}
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods/{name}/binding", binding), 201)
        status = {"status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now}]}}
        c.kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(status))
    st = _wait(lambda: (lambda s: s if s.get("readyReplicas") == 2 else None)(_rs_json(c, ns, "rd")["status"]),
               what="readyReplicas 2")
    assert st == {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
                  "observedGeneration": 1, "terminatingReplicas": 0}
    assert c.kubectl("get", "rs", "rd", "-n", ns, "--no-headers").stdout.split()[:4] == ["rd", "2", "2", "2"]


def test_server_without_controller_manager_creates_no_pods(server_factory):
    proc = server_factory.new("--disable-controller-manager")
    c = server_factory.client(proc)
    c.create_namespace("plain", wait_for_defaults=False)
    c.kubectl("apply", "-n", "plain", "-f", "-", input=_rs("web", 2))
    time.sleep(2)
    assert _pods(c, "plain", "app=web") == []


def test_simulated_nodes_run_the_pods_and_replace_deleted_ones(server_factory):
    proc = server_factory.new()
    c = server_factory.client(proc)
    agent = subprocess.Popen([str(proc.binary), "agent", "--simulate", "2", "--kubeconfig", str(proc.kubeconfig_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        c.create_namespace("sim")
        c.kubectl("apply", "-n", "sim", "-f", "-", input=_rs("web", 3))
        st = _wait(lambda: (lambda s: s if s.get("readyReplicas") == 3 and s.get("availableReplicas") == 3 else None)(
            _rs_json(c, "sim", "web").get("status", {})), timeout=40, what="3 ready replicas")
        assert st["replicas"] == 3 and st["fullyLabeledReplicas"] == 3
        pods = _wait_pods(c, "sim", "app=web", 3)
        assert all(p["status"]["phase"] == "Running" and p["spec"]["nodeName"].startswith("sim-") for p in pods)
        victim = pods[0]["metadata"]["name"]
        c.kubectl("delete", "pod", victim, "-n", "sim", "--wait=false")
        st = _wait(lambda: (lambda s: s if s.get("readyReplicas") == 3 and s.get("replicas") == 3 else None)(
            _rs_json(c, "sim", "web").get("status", {})), timeout=40, what="ready again after a deletion")
        names = {p["metadata"]["name"] for p in _live(_pods(c, "sim", "app=web"))}
        assert victim not in names and len(names) == 3
    finally:
        agent.terminate()
        agent.wait(timeout=15)


def test_standalone_controller_manager(server_factory):
    from e2e_harness import free_port
    import requests

    proc = server_factory.new("--disable-controller-manager")
    c = server_factory.client(proc)
    port = free_port()
    cm = subprocess.Popen([str(proc.binary), "controller-manager", "--kubeconfig", str(proc.kubeconfig_path),
                           "--controllers", "replicaset,serviceaccount", "--concurrent-replicaset-syncs", "2",
                           "--metrics-bind-address", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        c.create_namespace("alone", wait_for_defaults=False)
        c.kubectl("apply", "-n", "alone", "-f", "-", input=_rs("web", 2))
        _wait_pods(c, "alone", "app=web", 2)
        lease = json.loads(c.kubectl("get", "lease", "kube-controller-manager", "-n", "kube-system", "-o", "json").stdout)
        assert lease["spec"]["holderIdentity"]
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'workqueue_adds_total{name="replicaset"}' in metrics
        assert 'workqueue_work_duration_seconds_count{name="replicaset"}' in metrics
        assert 'workqueue_depth{name="replicaset"}' in metrics
    finally:
        cm.terminate()
        rc = cm.wait(timeout=15)
    assert rc == 0, cm.stderr.read().decode()[-2000:]


def test_controller_manager_refuses_unknown_controller(kyvern_bin, tmp_path):
    cp = subprocess.run([str(kyvern_bin), "controller-manager", "--kubeconfig", str(tmp_path / "k"),
                         "--controllers", "replicaset,nosuch"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 64
    assert '--controllers: "nosuch" is not in the list of known controllers' in cp.stderr
