"""Deployments end to end: the real kubectl 1.37 against a throw-away `kyvern server` whose scheduler and
controller manager run inside it, with three simulated nodes (`kyvern agent --simulate 3`) that report bound
pods Running. Covers rollout, rolling update bounds, history, undo, pause/resume, restart, scaling,
self-healing, Recreate, history cleanup and the progress deadline."""

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
    """Our own server (never the shared one: nodes would leak into other tests) plus 3 simulated nodes."""
    with server_with_simulated_nodes(kyvern_bin, "dep") as cluster:
        yield cluster


@pytest.fixture
def dns(sim, request):
    name = "dep-" + request.node.name.replace("_", "-")[5:30].strip("-")
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


def manifest(name: str = "web", replicas: int = 3, image: str = "nginx:1.27", **spec) -> str:
    body = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": image}]}}, **spec},
    }
    return json.dumps(body)


def apply(c: Cluster, ns: str, text: str) -> None:
    c.kubectl("-n", ns, "apply", "-f", "-", input=text)


def deployment(c: Cluster, ns: str, name: str = "web") -> dict:
    return c.ok_json(c.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"), 200)


def replica_sets(c: Cluster, ns: str) -> list[dict]:
    return sorted(c.ok_json(c.get(f"/apis/apps/v1/namespaces/{ns}/replicasets"), 200)["items"],
                  key=lambda r: int(r["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0")))


def live_pods(c: Cluster, ns: str) -> list[dict]:
    items = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods"), 200)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def is_ready(pod: dict) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and any(
        x["type"] == "Ready" and x["status"] == "True" for x in pod.get("status", {}).get("conditions", []))


def rollout_status(c: Cluster, ns: str, name: str = "web", timeout: str = "90s") -> str:
    out = c.kubectl("-n", ns, "rollout", "status", f"deployment/{name}", f"--timeout={timeout}", timeout=120).stdout
    assert out.splitlines()[-1] == f'deployment "{name}" successfully rolled out', out
    return out


def history_lines(c: Cluster, ns: str, name: str = "web") -> list[str]:
    out = c.kubectl("-n", ns, "rollout", "history", f"deployment/{name}").stdout
    return [line.rstrip() for line in out.splitlines() if line.strip()]


def image_of(obj: dict) -> str:
    """The image of a Deployment's or ReplicaSet's template, or of a pod."""
    spec = obj["spec"]["template"]["spec"] if "template" in obj["spec"] else obj["spec"]
    return spec["containers"][0]["image"]


def test_apply_creates_replicaset_pods_status_and_events(sim, dns):
    apply(sim, dns, manifest())
    rollout_status(sim, dns)
    rss = replica_sets(sim, dns)
    assert len(rss) == 1
    rs = rss[0]
    d = deployment(sim, dns)
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", "pod-template-hash": h}}
    assert rs["spec"]["replicas"] == 3
    assert rs["metadata"]["annotations"] == {"deployment.kubernetes.io/desired-replicas": "3",
                                             "deployment.kubernetes.io/max-replicas": "4",
                                             "deployment.kubernetes.io/revision": "1"}
    [owner] = rs["metadata"]["ownerReferences"]
    assert owner == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": d["metadata"]["uid"],
                     "controller": True, "blockOwnerDeletion": True}
    pods = wait_for(lambda: (lambda ps: ps if len(ps) == 3 and all(map(is_ready, ps)) else None)(live_pods(sim, dns)),
                    "3 ready pods")
    for p in pods:
        assert p["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
        assert p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert p["metadata"]["name"].startswith(f"web-{h}-")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    st = d["status"]
    assert {k: st.get(k) for k in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                                   "availableReplicas")} == {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
                                                             "readyReplicas": 3, "availableReplicas": 3}
    assert "unavailableReplicas" not in st
    conds = {c["type"]: c for c in st["conditions"]}
    assert [c["type"] for c in st["conditions"]] == ["Available", "Progressing"]
    assert (conds["Available"]["status"], conds["Available"]["reason"], conds["Available"]["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    assert (conds["Progressing"]["status"], conds["Progressing"]["reason"], conds["Progressing"]["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "web-{h}" has successfully progressed.')
    table = sim.kubectl("-n", dns, "get", "deployment", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "3/3", "3", "3"]
    events = sim.ok_json(sim.get(f"/api/v1/namespaces/{dns}/events"), 200)["items"]
    scaling = [(e["reason"], e["message"], e["source"].get("component"), e["involvedObject"]["name"])
               for e in events if e["involvedObject"]["kind"] == "Deployment"]
    assert scaling == [("ScalingReplicaSet", f"Scaled up replica set web-{h} from 0 to 3", "deployment-controller", "web")]


def test_rolling_update_holds_max_unavailable_and_surge(sim, dns):
    apply(sim, dns, manifest(replicas=4, strategy={"type": "RollingUpdate",
                                                   "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}))
    rollout_status(sim, dns)
    samples: list[tuple[int, int, frozenset]] = []
    stop = threading.Event()

    def sample():
        session = sim.new_session()
        while not stop.is_set():
            items = session.get(f"{sim.base_url}/api/v1/namespaces/{dns}/pods", timeout=10).json()["items"]
            live = [p for p in items if not p["metadata"].get("deletionTimestamp")]
            # maxSurge bounds the ReplicaSets' sizes (pods of a shrunk ReplicaSet may linger a moment).
            rss = session.get(f"{sim.base_url}/apis/apps/v1/namespaces/{dns}/replicasets", timeout=10).json()["items"]
            samples.append((sum(map(is_ready, live)), sum(r["spec"]["replicas"] for r in rss),
                            frozenset(image_of(p) for p in live),
                            [(r["metadata"]["name"], r["spec"]["replicas"], r["metadata"]["resourceVersion"]) for r in rss]))
            time.sleep(0.03)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        out = sim.kubectl("-n", dns, "set", "image", "deployment/web", "web=nginx:1.28").stdout
        assert out == "deployment.apps/web image updated\n"
        rollout_status(sim, dns)
        wait_for(lambda: (lambda ps: len(ps) == 4 and all(image_of(p) == "nginx:1.28" and is_ready(p) for p in ps))(
            live_pods(sim, dns)), "4 ready new pods")
    finally:
        stop.set()
        t.join(10)
    assert len(samples) > 5
    assert min(s[0] for s in samples) >= 3, "more than maxUnavailable=1 pods were unavailable"
    scaling = sorted((e["metadata"]["name"], e["message"]) for e in sim.ok_json(
        sim.get(f"/api/v1/namespaces/{dns}/events"), 200)["items"] if e["reason"] == "ScalingReplicaSet")
    assert max(s[1] for s in samples) <= 5, \
        f"ReplicaSets sized above replicas+maxSurge=5: {[s[3] for s in samples if s[1] > 5]} after {scaling}"
    assert any(len(s[2]) == 2 for s in samples), "never saw old and new pods side by side"
    rss = replica_sets(sim, dns)
    assert [(r["spec"]["replicas"], image_of(r), r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
            for r in rss] == [(0, "nginx:1.27", "1"), (4, "nginx:1.28", "2")]
    d = deployment(sim, dns)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert history_lines(sim, dns) == ["deployment.apps/web", "REVISION  CHANGE-CAUSE", "1         <none>",
                                       "2         <none>"]
    # From the tenth different scaling message on, upstream's recorder combines them into one Event.
    events = [e["message"].removeprefix("(combined from similar events): ")
              for e in sim.ok_json(sim.get(f"/api/v1/namespaces/{dns}/events"), 200)["items"]
              if e["reason"] == "ScalingReplicaSet"]
    new, old = rss[1]["metadata"]["name"], rss[0]["metadata"]["name"]
    assert f"Scaled up replica set {new} from 0 to 1" in events
    assert f"Scaled down replica set {old} from 1 to 0" in events


def test_rollout_undo_returns_previous_template(sim, dns):
    apply(sim, dns, manifest())
    rollout_status(sim, dns)
    first = replica_sets(sim, dns)[0]["metadata"]["name"]
    sim.kubectl("-n", dns, "set", "image", "deployment/web", "web=nginx:1.28")
    rollout_status(sim, dns)
    out = sim.kubectl("-n", dns, "rollout", "undo", "deployment/web").stdout
    assert out == "deployment.apps/web rolled back\n"
    rollout_status(sim, dns)
    d = deployment(sim, dns)
    assert image_of(d) == "nginx:1.27"
    assert "pod-template-hash" not in d["spec"]["template"]["metadata"]["labels"]
    rss = {r["metadata"]["name"]: r for r in replica_sets(sim, dns)}
    assert len(rss) == 2
    back = rss[first]
    assert back["spec"]["replicas"] == 3
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    wait_for(lambda: deployment(sim, dns)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3",
             "deployment revision 3")
    assert history_lines(sim, dns)[2:] == ["2         <none>", "3         <none>"]
    wait_for(lambda: (lambda ps: len(ps) == 3 and all(image_of(p) == "nginx:1.27" and is_ready(p) for p in ps))(
        live_pods(sim, dns)), "3 ready pods of the first template")
    out = sim.kubectl("-n", dns, "rollout", "undo", "deployment/web", "--to-revision=2").stdout
    assert out == "deployment.apps/web rolled back\n"
    rollout_status(sim, dns)
    assert image_of(deployment(sim, dns)) == "nginx:1.28"
    cp = sim.kubectl("-n", dns, "rollout", "undo", "deployment/web", "--to-revision=9", check=False)
    assert cp.returncode == 1
    # kubectl first warns that the Deployment was managed with `kubectl apply`, as against upstream.
    assert cp.stderr.strip().splitlines()[-1] == "error: unable to find specified revision 9 in history"


def test_pause_blocks_rollout_until_resume(sim, dns):
    apply(sim, dns, manifest())
    rollout_status(sim, dns)
    assert sim.kubectl("-n", dns, "rollout", "pause", "deployment/web").stdout == "deployment.apps/web paused\n"
    sim.kubectl("-n", dns, "set", "image", "deployment/web", "web=nginx:1.28")
    cond = wait_for(lambda: next((c for c in deployment(sim, dns)["status"].get("conditions", [])
                                  if c["type"] == "Progressing" and c["reason"] == "DeploymentPaused"), None),
                    "Progressing/DeploymentPaused")
    assert (cond["status"], cond["message"]) == ("Unknown", "Deployment is paused")
    time.sleep(2)
    assert len(replica_sets(sim, dns)) == 1
    assert sim.kubectl("-n", dns, "rollout", "resume", "deployment/web").stdout == "deployment.apps/web resumed\n"
    rollout_status(sim, dns)
    rss = replica_sets(sim, dns)
    assert [(r["spec"]["replicas"], image_of(r)) for r in rss] == [(0, "nginx:1.27"), (3, "nginx:1.28")]


def test_restart_replaces_every_pod(sim, dns):
    apply(sim, dns, manifest())
    rollout_status(sim, dns)
    before = {p["metadata"]["name"] for p in live_pods(sim, dns)}
    assert sim.kubectl("-n", dns, "rollout", "restart", "deployment/web").stdout == "deployment.apps/web restarted\n"
    rollout_status(sim, dns)
    d = deployment(sim, dns)
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
    rss = replica_sets(sim, dns)
    assert len(rss) == 2 and rss[1]["spec"]["replicas"] == 3 and rss[0]["spec"]["replicas"] == 0
    after = wait_for(lambda: (lambda ps: {p["metadata"]["name"] for p in ps}
                              if len(ps) == 3 and all(map(is_ready, ps)) and not ({p["metadata"]["name"] for p in ps} & before)
                              else None)(live_pods(sim, dns)), "3 fresh ready pods")
    assert not (after & before)


def test_scale_up_and_down(sim, dns):
    apply(sim, dns, manifest())
    rollout_status(sim, dns)
    assert sim.kubectl("-n", dns, "scale", "deployment/web", "--replicas=10").stdout == "deployment.apps/web scaled\n"
    rollout_status(sim, dns)
    wait_for(lambda: (lambda ps: len(ps) == 10 and all(map(is_ready, ps)))(live_pods(sim, dns)), "10 ready pods")
    [rs] = replica_sets(sim, dns)
    assert rs["spec"]["replicas"] == 10
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "10"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "13"
    sim.kubectl("-n", dns, "scale", "deployment/web", "--replicas=2")
    rollout_status(sim, dns)
    wait_for(lambda: len(live_pods(sim, dns)) == 2, "2 pods")
    d = wait_for(lambda: (lambda d: d if d["status"].get("replicas") == 2 else None)(deployment(sim, dns)),
                 "status.replicas 2")
    assert (d["status"]["replicas"], d["status"]["availableReplicas"], d["status"]["updatedReplicas"]) == (2, 2, 2)
    msgs = [e["message"].removeprefix("(combined from similar events): ")
            for e in sim.ok_json(sim.get(f"/api/v1/namespaces/{dns}/events"), 200)["items"]
            if e["reason"] == "ScalingReplicaSet"]
    name = rs["metadata"]["name"]
    assert msgs == [f"Scaled up replica set {name} from 0 to 3", f"Scaled up replica set {name} from 3 to 10",
                    f"Scaled down replica set {name} from 10 to 2"]


def test_deleted_pod_is_replaced(sim, dns):
    apply(sim, dns, manifest())
    rollout_status(sim, dns)
    pods = live_pods(sim, dns)
    victim = pods[0]["metadata"]["name"]
    sim.kubectl("-n", dns, "delete", "pod", victim, "--wait=false")
    now = wait_for(lambda: (lambda ps: ps if len(ps) == 3 and victim not in {p["metadata"]["name"] for p in ps}
                            and all(map(is_ready, ps)) else None)(live_pods(sim, dns)), "a replacement pod")
    assert len({p["metadata"]["name"] for p in now}) == 3
    rollout_status(sim, dns)


def test_recreate_removes_old_pods_before_new_ones(sim, dns):
    apply(sim, dns, manifest(strategy={"type": "Recreate"}))
    rollout_status(sim, dns)
    mixed = []
    stop = threading.Event()

    def sample():
        s = sim.new_session()
        while not stop.is_set():
            items = s.get(f"{sim.base_url}/api/v1/namespaces/{dns}/pods", timeout=10).json()["items"]
            mixed.append(len({image_of(p) for p in items}) > 1)
            time.sleep(0.03)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        sim.kubectl("-n", dns, "set", "image", "deployment/web", "web=nginx:1.28")
        rollout_status(sim, dns)
    finally:
        stop.set()
        t.join(10)
    assert not any(mixed), "old and new pods existed at the same time under Recreate"
    assert [(r["spec"]["replicas"], image_of(r)) for r in replica_sets(sim, dns)] == [(0, "nginx:1.27"), (3, "nginx:1.28")]


def test_revision_history_limit_deletes_oldest_replicasets(sim, dns):
    apply(sim, dns, manifest(revisionHistoryLimit=1))
    rollout_status(sim, dns)
    for image in ("nginx:1.28", "nginx:1.29"):
        sim.kubectl("-n", dns, "set", "image", "deployment/web", f"web={image}")
        rollout_status(sim, dns)
    wait_for(lambda: len(replica_sets(sim, dns)) == 2, "2 ReplicaSets left")
    assert [(image_of(r), r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
            for r in replica_sets(sim, dns)] == [("nginx:1.28", "2"), ("nginx:1.29", "3")]


def test_progress_deadline_exceeded(sim, dns):
    apply(sim, dns, manifest(progressDeadlineSeconds=3))
    rollout_status(sim, dns)
    # Pods of the new template can never be scheduled: the rollout stalls.
    sim.kubectl("-n", dns, "patch", "deployment/web", "--type=merge", "-p",
                json.dumps({"spec": {"template": {"spec": {"nodeSelector": {"nowhere": "true"}}}}}))
    cond = wait_for(lambda: next((c for c in deployment(sim, dns)["status"].get("conditions", [])
                                  if c["type"] == "Progressing" and c["status"] == "False"), None),
                    "Progressing=False", timeout=30)
    new = replica_sets(sim, dns)[-1]["metadata"]["name"]
    assert (cond["reason"], cond["message"]) == ("ProgressDeadlineExceeded", f'ReplicaSet "{new}" has timed out progressing.')
    cp = sim.kubectl("-n", dns, "rollout", "status", "deployment/web", "--timeout=20s", check=False, timeout=60)
    assert cp.returncode == 1
    assert cp.stderr.strip() == 'error: deployment "web" exceeded its progress deadline'
    # The old pods stay: maxUnavailable 25% of 3 rounds down to 0.
    assert sum(map(is_ready, live_pods(sim, dns))) == 3
