"""StatefulSets end to end: the real kubectl against a throw-away `kyvern server` with three simulated nodes.
Covers ordered start (each ordinal only after its predecessor is Running and Ready), stable names, identity
labels, hostname/subdomain, one PVC per ordinal that outlives its pod, scale-down from the highest ordinal,
Parallel management, rolling updates with a partition, ControllerRevisions and `kubectl rollout|scale`."""

from __future__ import annotations

import json
import threading
import time

import pytest

from e2e_harness import Cluster
from sim_server import server_with_simulated_nodes

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

WAIT = 90


@pytest.fixture(scope="module")
def sim(kyvern_bin):
    """Our own server with 3 simulated nodes (nodes would leak into other tests on the shared one)."""
    with server_with_simulated_nodes(kyvern_bin, "sts") as cluster:
        yield cluster


@pytest.fixture
def sns(sim, request):
    name = "sts-" + request.node.name.replace("_", "-")[5:30].strip("-")
    sim.create_namespace(name)
    try:
        yield name
    finally:
        sim.delete_namespace(name)


def wait_for(predicate, what: str, timeout: float = WAIT, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def manifest(name: str, replicas: int = 3, image: str = "nginx:1.27", claims: bool = True, **spec) -> str:
    body = {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
        "spec": {"serviceName": name, "replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "main", "image": image,
                                                       **({"volumeMounts": [{"name": "www", "mountPath": "/data"}]}
                                                          if claims else {})}]}},
                 **({"volumeClaimTemplates": [{"metadata": {"name": "www"},
                                               "spec": {"accessModes": ["ReadWriteOnce"],
                                                        "resources": {"requests": {"storage": "1Gi"}}}}]}
                    if claims else {}),
                 **spec},
    }
    return json.dumps(body)


def apply(c: Cluster, ns: str, text: str) -> None:
    c.kubectl("-n", ns, "apply", "-f", "-", input=text)


def sts(c: Cluster, ns: str, name: str) -> dict:
    return c.ok_json(c.get(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}"), 200)


def live_pods(c: Cluster, ns: str) -> dict[str, dict]:
    items = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods"), 200)["items"]
    return {p["metadata"]["name"]: p for p in items if not p["metadata"].get("deletionTimestamp")}


def claims(c: Cluster, ns: str) -> dict[str, dict]:
    items = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/persistentvolumeclaims"), 200)["items"]
    return {p["metadata"]["name"]: p for p in items}


def is_ready(pod: dict) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and any(
        x["type"] == "Ready" and x["status"] == "True" for x in pod.get("status", {}).get("conditions", []))


def settled(c: Cluster, ns: str, name: str, names: list[str]):
    pods = live_pods(c, ns)
    if sorted(pods) != sorted(names) or not all(map(is_ready, pods.values())):
        return None
    st = sts(c, ns, name).get("status", {})
    n = len(names)
    if (st.get("readyReplicas"), st.get("availableReplicas"), st.get("replicas")) != (n or None, n, n):
        return None
    if st.get("currentRevision") != st.get("updateRevision"):
        return None
    return pods


class PodRecorder:
    """Records the pod watch of a namespace in order, so creation order can be checked against readiness."""

    def __init__(self, c: Cluster, ns: str):
        self.events: list[tuple[str, dict]] = []
        self.stop = False
        rv = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods"), 200)["metadata"]["resourceVersion"]
        self.thread = threading.Thread(target=self._run, args=(c, ns, rv), daemon=True)
        self.thread.start()

    def _run(self, c: Cluster, ns: str, rv: str):
        try:
            for ev in c.watch_lines(f"/api/v1/namespaces/{ns}/pods", {"resourceVersion": rv, "timeoutSeconds": "120"},
                                    read_timeout=130):
                self.events.append((ev["type"], ev["object"]))
                if self.stop:
                    return
        except Exception:
            return

    def order_violations(self) -> list[str]:
        """Pods added while a lower ordinal was not yet Running and Ready."""
        state: dict[str, dict] = {}
        bad = []
        for typ, obj in self.events:
            name = obj["metadata"]["name"]
            if typ == "ADDED":
                ordinal = int(name.rsplit("-", 1)[1])
                for lower in range(ordinal):
                    prev = state.get(f"{name.rsplit('-', 1)[0]}-{lower}")
                    if prev is None or not is_ready(prev):
                        bad.append(f"{name} added before {name.rsplit('-', 1)[0]}-{lower} was ready")
            if typ == "DELETED":
                state.pop(name, None)
            else:
                state[name] = obj
        return bad

    def added(self) -> list[str]:
        return [o["metadata"]["name"] for t, o in self.events if t == "ADDED"]


@pytest.fixture
def claim_volumes(sim, sns):
    """Simulated nodes have no storage provisioner: a static volume pre-bound to each ordinal's claim
    (as an administrator would make), so the scheduler's volume binding lets the pods through."""
    names = [f"{sns}-www-{i}" for i in range(3)]
    for i, name in enumerate(names):
        sim.ok_json(sim.post("/api/v1/persistentvolumes", {
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                     "hostPath": {"path": f"/tmp/kyvern-e2e-sts/{name}"},
                     "claimRef": {"namespace": sns, "name": f"www-web-{i}"}}}), 201)
    try:
        yield names
    finally:
        for name in names:
            sim.delete(f"/api/v1/persistentvolumes/{name}")


def test_ordered_start_stable_identity_and_one_claim_per_ordinal(sim, sns, claim_volumes):
    c = sim
    rec = PodRecorder(c, sns)
    apply(c, sns, manifest("web"))
    pods = wait_for(lambda: settled(c, sns, "web", ["web-0", "web-1", "web-2"]), "web-0..2 Running and Ready")
    rec.stop = True
    assert rec.added()[:3] == ["web-0", "web-1", "web-2"]
    assert rec.order_violations() == []
    st = sts(c, sns, "web")
    uid = st["metadata"]["uid"]
    (rev,) = c.ok_json(c.get(f"/apis/apps/v1/namespaces/{sns}/controllerrevisions"), 200)["items"]
    assert rev["revision"] == 1
    assert rev["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                                                   "uid": uid, "controller": True, "blockOwnerDeletion": True}]
    assert st["status"]["currentRevision"] == st["status"]["updateRevision"] == rev["metadata"]["name"]
    assert st["status"]["currentReplicas"] == st["status"]["updatedReplicas"] == 3
    assert st["status"]["observedGeneration"] == 1
    for i in range(3):
        pod = pods[f"web-{i}"]
        assert pod["metadata"]["labels"] == {
            "app": "web", "statefulset.kubernetes.io/pod-name": f"web-{i}", "apps.kubernetes.io/pod-index": str(i),
            "controller-revision-hash": rev["metadata"]["name"]}
        assert pod["metadata"]["generateName"] == "web-"
        assert pod["metadata"]["ownerReferences"] == rev["metadata"]["ownerReferences"]
        assert pod["spec"]["hostname"] == f"web-{i}"
        assert pod["spec"]["subdomain"] == "web"
        assert pod["spec"]["volumes"][0] == {"name": "www", "persistentVolumeClaim": {"claimName": f"www-web-{i}"}}
    pvcs = claims(c, sns)
    assert sorted(pvcs) == ["www-web-0", "www-web-1", "www-web-2"]
    for name, pvc in pvcs.items():
        assert pvc["metadata"]["labels"] == {"app": "web"}
        assert "ownerReferences" not in pvc["metadata"]
        assert pvc["spec"]["resources"] == {"requests": {"storage": "1Gi"}}
    lines = c.kubectl("-n", sns, "get", "sts", "web").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "AGE"]
    assert lines[1].split()[:2] == ["web", "3/3"]
    out = c.kubectl("-n", sns, "rollout", "status", "sts/web", "--timeout=60s", timeout=90).stdout
    # kubectl reports a defaulted partition (0) as a partitioned roll out.
    assert out.splitlines()[-1] == "partitioned roll out complete: 3 new pods have been updated..."

    # A deleted web-1 comes back under the same name with the same claim.
    old_uid = pods["web-1"]["metadata"]["uid"]
    c.kubectl("-n", sns, "delete", "pod", "web-1", "--wait=false")
    back = wait_for(lambda: (p := live_pods(c, sns).get("web-1")) and p["metadata"]["uid"] != old_uid and is_ready(p) and p,
                    "web-1 recreated and ready")
    assert back["spec"]["volumes"][0] == {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}}
    assert claims(c, sns)["www-web-1"]["metadata"]["uid"] == pvcs["www-web-1"]["metadata"]["uid"]

    # kubectl scale removes the highest ordinal first, one at a time, and keeps the claims.
    rec = PodRecorder(c, sns)
    out = c.kubectl("-n", sns, "scale", "sts/web", "--replicas=1").stdout
    assert out.strip() == "statefulset.apps/web scaled"
    wait_for(lambda: settled(c, sns, "web", ["web-0"]), "only web-0 left")
    time.sleep(0.5)
    rec.stop = True
    deleted = [o["metadata"]["name"] for t, o in rec.events if t == "DELETED"]
    assert deleted == ["web-2", "web-1"]
    assert sorted(claims(c, sns)) == ["www-web-0", "www-web-1", "www-web-2"]


def test_parallel_rolling_update_with_partition_and_rollout_history_undo(sim, sns):
    c = sim
    apply(c, sns, manifest("par", claims=False, podManagementPolicy="Parallel"))
    wait_for(lambda: settled(c, sns, "par", ["par-0", "par-1", "par-2"]), "par-0..2 ready")
    rev1 = sts(c, sns, "par")["status"]["updateRevision"]
    # Partition 2: only par-2 moves to the new template.
    c.kubectl("-n", sns, "patch", "sts", "par", "-p",
              json.dumps({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 2}},
                                   "template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.28"}]}}}}))

    def partitioned():
        st = sts(c, sns, "par")["status"]
        pods = live_pods(c, sns)
        if st.get("updateRevision") == rev1 or st.get("updatedReplicas") != 1 or st.get("readyReplicas") != 3:
            return None
        if len(pods) != 3 or not all(map(is_ready, pods.values())):
            return None
        return {n: p["spec"]["containers"][0]["image"] for n, p in pods.items()}, st

    images, st = wait_for(partitioned, "par-2 updated, par-0 and par-1 kept")
    assert images == {"par-0": "nginx:1.27", "par-1": "nginx:1.27", "par-2": "nginx:1.28"}
    assert st["currentRevision"] == rev1 and st["currentReplicas"] == 2
    out = c.kubectl("-n", sns, "rollout", "status", "sts/par", "--timeout=30s", timeout=60).stdout
    assert out.splitlines()[-1] == "partitioned roll out complete: 1 new pods have been updated..."

    # Partition 0 finishes the rollout.
    c.kubectl("-n", sns, "patch", "sts", "par", "-p", json.dumps({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}))
    rev2 = st["updateRevision"]
    out = c.kubectl("-n", sns, "rollout", "status", "sts/par", "--timeout=60s", timeout=90).stdout
    assert out.splitlines()[-1] == "partitioned roll out complete: 3 new pods have been updated..."
    assert {p["spec"]["containers"][0]["image"] for p in live_pods(c, sns).values()} == {"nginx:1.28"}
    hist = [line.split() for line in c.kubectl("-n", sns, "rollout", "history", "sts/par").stdout.splitlines() if line.strip()]
    assert hist[0] == ["statefulset.apps/par"]
    assert hist[1] == ["REVISION", "CHANGE-CAUSE"]
    assert hist[2:] == [["1", "<none>"], ["2", "<none>"]]

    # Undo brings the first template back as revision 3.
    c.kubectl("-n", sns, "rollout", "undo", "sts/par")
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in live_pods(c, sns).values()} == {"nginx:1.27"}
             and settled(c, sns, "par", ["par-0", "par-1", "par-2"]), "rolled back to nginx:1.27")
    st = sts(c, sns, "par")["status"]
    assert st["updateRevision"] == st["currentRevision"] == rev1
    revs = {r["metadata"]["name"]: r["revision"]
            for r in c.ok_json(c.get(f"/apis/apps/v1/namespaces/{sns}/controllerrevisions"), 200)["items"]}
    assert revs == {rev1: 3, rev2: 2}
