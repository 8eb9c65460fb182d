"""The real node agent, end to end with runc: `kyvern server --agent` registers its node, runs pods as
containers from the busybox test image, reports their status as upstream's kubelet does, restarts
containers (exit codes, liveness probes, OOM kills), mounts secrets on tmpfs, and adopts running
containers after it restarts."""
from __future__ import annotations

import os
import signal
import time

import pytest

from e2e_harness import wait_until
from node_cluster import IMAGE, pod_namespace_fixture

nns = pod_namespace_fixture("nns", "node_cluster", "agent-")


def pod(name, command, **spec):
    container = {"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", command]}
    container.update(spec.pop("container", {}))
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 2, "containers": [container]}}
    body["spec"].update(spec)
    return body


def get_pod(c, ns, name):
    return c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods/{name}"))


def container_status(c, ns, name):
    statuses = get_pod(c, ns, name).get("status", {}).get("containerStatuses") or []
    return statuses[0] if statuses else None


def runc_pid(node_cluster, container_id: str) -> int:
    """The container's first process on the host, as its runtime (runc or containerd) reports it."""
    return node_cluster.container_pid(container_id)


def test_node_registers_with_the_machine_and_a_fresh_lease(node_cluster):
    c = node_cluster.cluster
    out = c.kubectl("get", "node", "e2e-node", "-o", "wide").stdout.splitlines()
    header, row = out[0].split(), out[1].split()
    assert header[:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], out
    assert row[0] == "e2e-node" and row[1] == "Ready", out
    assert row[-1].startswith(node_cluster.container_id_scheme), out
    node = c.ok_json(c.get("/api/v1/nodes/e2e-node"))
    assert node["status"]["capacity"]["cpu"] == str(os.cpu_count())
    assert node["status"]["capacity"]["pods"] == "110"
    assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == node_cluster.kubelet_port
    types = {cond["type"]: cond for cond in node["status"]["conditions"]}
    assert {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"} <= set(types)
    assert types["Ready"]["reason"] == "KubeletReady"
    # The agent writes its Lease just after registering the Node; a test run at once may be earlier.
    lease_path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/e2e-node"
    lease = wait_until("the node Lease", lambda: (lambda r: r.json() if r.status_code == 200 else None)(c.get(lease_path)),
                       timeout=25)
    first = lease["spec"]["renewTime"]
    renewed = wait_until("the node Lease renewed", lambda: c.ok_json(c.get(
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/e2e-node"))["spec"]["renewTime"] != first,
        timeout=25)
    assert renewed


def test_a_pod_runs_as_a_container_with_its_own_ip(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("web", "echo started; sleep 3600")), 201)
    p = wait_until("pod Running and Ready", lambda: (lambda p: p if p["status"].get("phase") == "Running" and any(
        x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", [])) else None)(
        get_pod(c, nns, "web")))
    status = p["status"]
    assert status["podIP"].startswith("10.89."), status
    assert status["podIPs"] == [{"ip": status["podIP"]}]
    assert status["hostIP"] and status["startTime"]
    cs = status["containerStatuses"][0]
    assert cs["name"] == "main" and cs["ready"] is True and cs["started"] is True and cs["restartCount"] == 0
    assert cs["containerID"].startswith(node_cluster.container_id_scheme) and "running" in cs["state"]
    assert cs["imageID"].endswith(cs["imageID"].split(":")[-1]) and "sha256:" in cs["imageID"]
    # the container is a real process on this machine, in its own pid namespace
    pid = runc_pid(node_cluster, cs["containerID"])
    assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
    assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
    out = c.kubectl("get", "pod", "web", "-n", nns, "-o", "wide").stdout.splitlines()[1].split()
    assert out[:3] == ["web", "1/1", "Running"] and status["podIP"] in out, out


def test_exit_code_is_reported_and_never_restarted(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("fails", "exit 3", restartPolicy="Never")), 201)
    p = wait_until("pod Failed", lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(
        get_pod(c, nns, "fails")))
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 3 and term["reason"] == "Error", term
    assert p["status"]["containerStatuses"][0]["restartCount"] == 0


def test_a_crashing_container_restarts_with_back_off(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("crash", "sleep 1; exit 1")), 201)
    cs = wait_until("a restart", lambda: (lambda s: s if s and s["restartCount"] >= 1 else None)(
        container_status(c, nns, "crash")), timeout=40)
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    waiting = wait_until("CrashLoopBackOff", lambda: (lambda s: s if s and s["state"].get("waiting", {}).get(
        "reason") == "CrashLoopBackOff" else None)(container_status(c, nns, "crash")), timeout=40)
    assert "back-off" in waiting["state"]["waiting"]["message"], waiting


def test_a_failing_liveness_probe_restarts_the_container(node_cluster, nns):
    c = node_cluster.cluster
    probe = {"exec": {"command": ["sh", "-c", "test ! -e /tmp/broken"]}, "periodSeconds": 1, "failureThreshold": 2}
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod(
        "live", "sleep 3; touch /tmp/broken; sleep 3600", container={"livenessProbe": probe})), 201)
    cs = wait_until("restart after liveness failures", lambda: (lambda s: s if s and s["restartCount"] >= 1 else None)(
        container_status(c, nns, "live")), timeout=45)
    assert cs["restartCount"] >= 1
    events = c.ok_json(c.get(f"/api/v1/namespaces/{nns}/events"))["items"]
    reasons = {e["reason"] for e in events if e["involvedObject"]["name"] == "live"}
    assert {"Unhealthy", "Killing"} <= reasons, reasons
    unhealthy = next(e for e in events if e["reason"] == "Unhealthy")
    assert unhealthy["message"].startswith("Liveness probe failed"), unhealthy["message"]


def test_a_memory_hog_over_its_limit_is_oom_killed(node_cluster, nns):
    c = node_cluster.cluster
    hog = 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done'
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod(
        "hog", hog, restartPolicy="Never",
        container={"resources": {"limits": {"memory": "32Mi"}, "requests": {"memory": "32Mi"}}})), 201)
    p = wait_until("pod Failed", lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(
        get_pod(c, nns, "hog")))
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137, term


def test_a_secret_volume_is_readable_inside_and_kept_off_the_node_disk(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"password": "s3cr3t"}}), 201)
    body = pod("reader", 'test "$(cat /etc/creds/password)" = s3cr3t && sleep 3600',
               container={"volumeMounts": [{"name": "creds", "mountPath": "/etc/creds"}]},
               volumes=[{"name": "creds", "secret": {"secretName": "creds"}}])
    created = c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", body), 201)
    wait_until("pod Running", lambda: get_pod(c, nns, "reader")["status"].get("phase") == "Running")
    time.sleep(2)  # the check in the command has run: a wrong value would have ended the container
    cs = container_status(c, nns, "reader")
    assert cs["restartCount"] == 0 and "running" in cs["state"], cs
    uid = created["metadata"]["uid"]
    with open("/proc/self/mounts") as f:
        mounts = [line.split() for line in f]
    secret_mounts = [m for m in mounts if uid in m[1] and m[1].endswith("/creds")]
    assert secret_mounts and all(m[2] == "tmpfs" for m in secret_mounts), secret_mounts


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_containers_are_adopted_when_the_agent_restarts(node_cluster, nns, sig):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("stay", "sleep 3600")), 201)
    cs = wait_until("running", lambda: (lambda s: s if s and "running" in s["state"] else None)(
        container_status(c, nns, "stay")))
    pid = runc_pid(node_cluster, cs["containerID"])
    node_cluster.restart_server(sig)
    after = wait_until("status after restart", lambda: (lambda s: s if s and s.get("ready") else None)(
        container_status(c, nns, "stay")))
    time.sleep(3)  # a few sync rounds of the new agent
    after = container_status(c, nns, "stay")
    assert after["containerID"] == cs["containerID"] and after["restartCount"] == 0, after
    assert runc_pid(node_cluster, cs["containerID"]) == pid
