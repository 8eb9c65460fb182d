"""DaemonSets end to end: the real kubectl against a throw-away `kyvern server` with simulated nodes — three
ordinary nodes, one tainted infra node, and a fourth ordinary node that joins in the last test. Covers one
pod per eligible node (default tolerations, node affinity pinning, selectors, taints), rolling updates with
maxUnavailable and maxSurge, OnDelete, ControllerRevisions and `kubectl rollout status|history|undo`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from e2e_harness import Cluster, KyvernProcess, ServerStartError

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

WAIT = 90
MAIN_NODES = ["ds-0", "ds-1", "ds-2"]
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


class Sim:
    def __init__(self, cluster: Cluster, kyvern_bin: Path, root: Path):
        self.c = cluster
        self.bin = kyvern_bin
        self.root = root
        self.agents: list[subprocess.Popen] = []

    def agent(self, *args: str) -> None:
        log = open(self.root / f"agent-{len(self.agents)}.log", "ab")
        self.agents.append(subprocess.Popen(
            [str(self.bin), "agent", "--kubeconfig", self.c.kubeconfig, *args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))


@pytest.fixture(scope="module")
def sim(kyvern_bin):
    """Our own server (nodes would leak into other tests on the shared one): 3 nodes labelled pool=main
    and one infra node tainted dedicated=infra:NoSchedule."""
    root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-ds-"))
    proc = KyvernProcess(root / "data", binary=kyvern_bin)
    s = None
    try:
        try:
            proc.start()
        except ServerStartError as e:
            pytest.fail(str(e), pytrace=False)
        s = Sim(Cluster(proc, root / "client"), kyvern_bin, root)
        s.agent("--simulate", "3", "--node-name-prefix", "ds", "--node-labels", "pool=main")
        s.agent("--simulate", "1", "--node-name-prefix", "infra", "--node-labels", "pool=infra",
                "--register-with-taints", "dedicated=infra:NoSchedule")
        wait_for(lambda: len(ready_nodes(s.c)) == 4, "4 Ready simulated nodes")
        yield s
    finally:
        if s is not None:
            for a in s.agents:
                a.terminate()
                try:
                    a.wait(10)
                except subprocess.TimeoutExpired:
                    a.kill()
            s.c.close()
        proc.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dns(sim, request):
    name = "ds-" + request.node.name.replace("_", "-")[5:30].strip("-")
    sim.c.create_namespace(name)
    try:
        yield name
    finally:
        sim.c.delete_namespace(name)


def wait_for(predicate, what: str, timeout: float = WAIT, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def ready_nodes(c: Cluster) -> list[str]:
    items = c.get("/api/v1/nodes").json().get("items", [])
    return [n["metadata"]["name"] for n in items
            if any(x["type"] == "Ready" and x["status"] == "True" for x in n.get("status", {}).get("conditions", []))]


def manifest(name: str, image: str = "nginx:1.27", strategy: dict | None = None, pod: dict | None = None, **spec) -> str:
    body = {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "main", "image": image}], **(pod or {})}},
                 **({"updateStrategy": strategy} if strategy else {}), **spec},
    }
    return json.dumps(body)


def apply(c: Cluster, ns: str, text: str) -> None:
    c.kubectl("-n", ns, "apply", "-f", "-", input=text)


def daemon_set(c: Cluster, ns: str, name: str) -> dict:
    return c.ok_json(c.get(f"/apis/apps/v1/namespaces/{ns}/daemonsets/{name}"), 200)


def live_pods(c: Cluster, ns: str) -> list[dict]:
    items = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods"), 200)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def is_ready(pod: dict) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and any(
        x["type"] == "Ready" and x["status"] == "True" for x in pod.get("status", {}).get("conditions", []))


def ready_by_node(c: Cluster, ns: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in live_pods(c, ns):
        if is_ready(p):
            out.setdefault(p["spec"].get("nodeName", ""), []).append(p)
    return out


class NodesReady:
    """Watches a namespace's pods from now on and records, after each event, how many nodes have a ready
    live (not terminating) pod."""

    def __init__(self, c: Cluster, ns: str):
        listing = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods"), 200)
        self.pods = {p["metadata"]["uid"]: p for p in listing["items"]}
        self.seen = [self.count()]
        self.error: Exception | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(c, ns, listing["metadata"]["resourceVersion"]), daemon=True)
        self.thread.start()

    def count(self) -> int:
        return len({p["spec"].get("nodeName", "") for p in self.pods.values()
                    if is_ready(p) and not p["metadata"].get("deletionTimestamp")})

    def run(self, c: Cluster, ns: str, rv: str) -> None:
        # A quiet second ends a read (so stop() is noticed); the watch is then resumed where it was.
        while not self.done.is_set():
            try:
                for event in c.watch_lines(f"/api/v1/namespaces/{ns}/pods", {"resourceVersion": rv}, read_timeout=1):
                    pod = event.get("object", {})
                    uid = pod.get("metadata", {}).get("uid")
                    rv = pod.get("metadata", {}).get("resourceVersion", rv)
                    if event.get("type") == "DELETED":
                        self.pods.pop(uid, None)
                    elif uid and event.get("type") in ("ADDED", "MODIFIED"):
                        self.pods[uid] = pod
                    self.seen.append(self.count())
                    if self.done.is_set():
                        return
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):  # a read timeout: resume
                continue
            except Exception as e:  # noqa: BLE001 (reported by the test)
                self.error = e
                return

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)


def revisions(c: Cluster, ns: str) -> list[dict]:
    items = c.ok_json(c.get(f"/apis/apps/v1/namespaces/{ns}/controllerrevisions"), 200)["items"]
    return sorted(items, key=lambda r: r["revision"])


def rollout_status(c: Cluster, ns: str, name: str) -> str:
    out = c.kubectl("-n", ns, "rollout", "status", f"daemonset/{name}", "--timeout=90s", timeout=120).stdout
    assert out.splitlines()[-1] == f'daemon set "{name}" successfully rolled out', out
    return out


def history_lines(c: Cluster, ns: str, name: str) -> list[str]:
    out = c.kubectl("-n", ns, "rollout", "history", f"daemonset/{name}").stdout
    return [line.rstrip() for line in out.splitlines() if line.strip()]


def ds_row(c: Cluster, ns: str, name: str) -> list[str]:
    lines = c.kubectl("-n", ns, "get", "ds", name).stdout.splitlines()
    assert re.fullmatch(r"NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE", lines[0]), lines
    return lines[1].split()


def images_on(pods: list[dict]) -> list[str]:
    return sorted(p["spec"]["containers"][0]["image"] for p in pods)


def settled(c: Cluster, ns: str, name: str, nodes: list[str], image: str):
    """All of `nodes`, and only they, run one ready pod of `image`, and the status says so."""
    pods = live_pods(c, ns)
    if sorted(p["spec"].get("nodeName", "") for p in pods) != sorted(nodes) or not all(map(is_ready, pods)):
        return None
    if images_on(pods) != [image] * len(nodes):
        return None
    st = daemon_set(c, ns, name).get("status", {})
    n = len(nodes)
    if (st.get("numberAvailable"), st.get("updatedNumberScheduled"), st.get("desiredNumberScheduled")) != (n, n, n):
        return None
    return pods


def test_one_pod_per_node_pinned_with_default_tolerations_and_a_revision(sim, dns):
    c = sim.c
    apply(c, dns, manifest("agent"))
    pods = wait_for(lambda: settled(c, dns, "agent", MAIN_NODES, "nginx:1.27"), "a ready pod on each untainted node")
    ds = daemon_set(c, dns, "agent")
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["spec"]["revisionHistoryLimit"] == 10
    (rev,) = revisions(c, dns)
    hash_ = rev["metadata"]["labels"]["controller-revision-hash"]
    assert rev["metadata"]["name"] == f"agent-{hash_}"
    assert rev["revision"] == 1
    assert rev["metadata"]["labels"] == {"app": "agent", "controller-revision-hash": hash_}
    assert rev["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                                   "uid": ds["metadata"]["uid"], "controller": True,
                                                   "blockOwnerDeletion": True}]
    assert rev["data"]["spec"]["template"]["$patch"] == "replace"
    assert rev["data"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    for pod in pods:
        node = pod["spec"]["nodeName"]
        assert pod["metadata"]["generateName"] == "agent-"
        assert pod["metadata"]["labels"]["controller-revision-hash"] == hash_
        assert pod["spec"]["tolerations"] == DEFAULT_TOLERATIONS
        assert pod["spec"]["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
    st = ds["status"]
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberReady"], st["numberMisscheduled"],
            st["observedGeneration"]) == (3, 3, 3, 0, 1)
    assert "numberUnavailable" not in st
    assert ds_row(c, dns, "agent")[:7] == ["agent", "3", "3", "3", "3", "3", "<none>"]
    assert rollout_status(c, dns, "agent").splitlines()[-1] == 'daemon set "agent" successfully rolled out'
    described = c.kubectl("-n", dns, "describe", "daemonset", "agent").stdout
    for line in ("Desired Number of Nodes Scheduled: 3", "Current Number of Nodes Scheduled: 3",
                 "Number of Nodes Scheduled with Up-to-date Pods: 3", "Number of Nodes Scheduled with Available Pods: 3",
                 "Number of Nodes Misscheduled: 0", "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed"):
        assert line in described.splitlines(), (line, described)
    created = [x for x in described.splitlines() if "SuccessfulCreate" in x]
    assert len(created) == 3 and all(re.fullmatch(r"\s+Normal\s+SuccessfulCreate\s+\S+\s+daemonset-controller\s+"
                                                  r"Created pod: agent-[a-z0-9]{5}", x) for x in created), described

    # A deleted daemon pod comes back on its node.
    victim = pods[0]
    c.kubectl("-n", dns, "delete", "pod", victim["metadata"]["name"], "--wait=false")
    back = wait_for(lambda: (lambda ps: ps if len(ps) == 3 and victim["metadata"]["name"] not in
                             [p["metadata"]["name"] for p in ps] else None)(settled(c, dns, "agent", MAIN_NODES, "nginx:1.27") or []),
                    "the deleted pod replaced")
    assert victim["spec"]["nodeName"] in [p["spec"]["nodeName"] for p in back]


def test_tolerations_node_selector_and_affinity_choose_the_nodes(sim, dns):
    c = sim.c
    apply(c, dns, manifest("infra", pod={
        "nodeSelector": {"pool": "infra"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}]}))
    apply(c, dns, manifest("main", pod={"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["main", "edge"]}]}]}}}}))
    apply(c, dns, manifest("everywhere", pod={"tolerations": [{"operator": "Exists"}]}))

    def placed():
        by_app: dict[str, list[str]] = {}
        for p in live_pods(c, dns):
            if is_ready(p):
                by_app.setdefault(p["metadata"]["labels"]["app"], []).append(p["spec"]["nodeName"])
        return by_app if {k: sorted(v) for k, v in by_app.items()} == {
            "infra": ["infra-0"], "main": MAIN_NODES, "everywhere": MAIN_NODES + ["infra-0"]} else None

    wait_for(placed, "each DaemonSet on its nodes")
    infra_pod = next(p for p in live_pods(c, dns) if p["metadata"]["labels"]["app"] == "infra")
    assert infra_pod["spec"]["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}] + DEFAULT_TOLERATIONS
    wait_for(lambda: ds_row(c, dns, "infra")[:7] == ["infra", "1", "1", "1", "1", "1", "pool=infra"], "infra row")
    wait_for(lambda: ds_row(c, dns, "everywhere")[:6] == ["everywhere", "4", "4", "4", "4", "4"], "everywhere row")


def test_rolling_update_holds_max_unavailable_then_history_and_undo(sim, dns):
    c = sim.c
    apply(c, dns, manifest("web", minReadySeconds=1))
    wait_for(lambda: settled(c, dns, "web", MAIN_NODES, "nginx:1.27"), "first rollout")
    # Nodes with a ready daemon pod, after every pod event of the update (a watch sees each step; polling
    # lists could miss the short moment a node has none).
    counts = NodesReady(c, dns)
    try:
        c.kubectl("-n", dns, "set", "image", "daemonset/web", "main=nginx:1.28")
        wait_for(lambda: settled(c, dns, "web", MAIN_NODES, "nginx:1.28"), "the update")
    finally:
        counts.stop()
    # maxUnavailable 1: a node at a time goes without a ready daemon pod, never two.
    assert counts.error is None, counts.error
    assert min(counts.seen) == 2, counts.seen
    rollout_status(c, dns, "web")
    revs = revisions(c, dns)
    assert [r["revision"] for r in revs] == [1, 2]
    assert [r["data"]["spec"]["template"]["spec"]["containers"][0]["image"] for r in revs] == ["nginx:1.27", "nginx:1.28"]
    assert history_lines(c, dns, "web") == ["daemonset.apps/web", "REVISION  CHANGE-CAUSE", "1         <none>",
                                            "2         <none>"]

    out = c.kubectl("-n", dns, "rollout", "undo", "daemonset/web").stdout
    assert out.strip() == "daemonset.apps/web rolled back", out
    wait_for(lambda: settled(c, dns, "web", MAIN_NODES, "nginx:1.27"), "the rollback")
    rollout_status(c, dns, "web")
    revs = revisions(c, dns)
    # The first template is current again under the next number; no third revision is made.
    assert [(r["revision"], r["data"]["spec"]["template"]["spec"]["containers"][0]["image"]) for r in revs] == [
        (2, "nginx:1.28"), (3, "nginx:1.27")]
    assert history_lines(c, dns, "web")[2:] == ["2         <none>", "3         <none>"]
    detail = c.kubectl("-n", dns, "rollout", "history", "daemonset/web", "--revision=2").stdout
    assert "nginx:1.28" in detail and "daemonset.apps/web with revision #2" in detail, detail


def test_max_surge_starts_the_new_pod_before_stopping_the_old(sim, dns):
    c = sim.c
    apply(c, dns, manifest("surge", strategy={"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}))
    wait_for(lambda: settled(c, dns, "surge", MAIN_NODES, "nginx:1.27"), "first rollout")
    c.kubectl("-n", dns, "set", "image", "daemonset/surge", "main=nginx:1.28")
    fewest, most_doubled = 3, 0
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        by_node = ready_by_node(c, dns)
        fewest = min(fewest, len(by_node))
        most_doubled = max(most_doubled, sum(1 for v in live_pods(c, dns) if v["spec"].get("nodeName")) - 3)
        if settled(c, dns, "surge", MAIN_NODES, "nginx:1.28"):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the surge update did not finish")
    assert fewest == 3, "maxUnavailable 0: every node kept a ready pod"
    assert most_doubled <= 1, most_doubled
    rollout_status(c, dns, "surge")


def test_rollout_restart_replaces_every_pod(sim, dns):
    c = sim.c
    apply(c, dns, manifest("restart"))
    before = wait_for(lambda: settled(c, dns, "restart", MAIN_NODES, "nginx:1.27"), "first rollout")
    out = c.kubectl("-n", dns, "rollout", "restart", "daemonset/restart").stdout
    assert out.strip() == "daemonset.apps/restart restarted", out
    old_names = {p["metadata"]["name"] for p in before}
    after = wait_for(lambda: (lambda ps: ps if ps and not old_names & {p["metadata"]["name"] for p in ps} else None)(
        settled(c, dns, "restart", MAIN_NODES, "nginx:1.27")), "every pod replaced")
    revs = revisions(c, dns)
    assert [r["revision"] for r in revs] == [1, 2]
    current = revs[-1]["metadata"]["labels"]["controller-revision-hash"]
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in after} == {current}
    assert "kubectl.kubernetes.io/restartedAt" in revs[-1]["data"]["spec"]["template"]["metadata"]["annotations"]


def test_on_delete_replaces_only_deleted_pods(sim, dns):
    c = sim.c
    apply(c, dns, manifest("manual", strategy={"type": "OnDelete"}))
    pods = wait_for(lambda: settled(c, dns, "manual", MAIN_NODES, "nginx:1.27"), "first rollout")
    c.kubectl("-n", dns, "set", "image", "daemonset/manual", "main=nginx:1.28")
    wait_for(lambda: len(revisions(c, dns)) == 2 and daemon_set(c, dns, "manual")["status"].get("observedGeneration") == 2,
             "the new revision observed")
    time.sleep(1)
    assert images_on(live_pods(c, dns)) == ["nginx:1.27"] * 3
    st = daemon_set(c, dns, "manual")["status"]
    assert "updatedNumberScheduled" not in st and st["numberAvailable"] == 3
    r = c.kubectl("-n", dns, "rollout", "status", "daemonset/manual", check=False)
    assert r.returncode == 1 and r.stderr.strip() == "error: rollout status is only available for RollingUpdate strategy type", r.stderr

    c.kubectl("-n", dns, "delete", "pod", pods[0]["metadata"]["name"], "--wait=false")

    def one_updated():
        ps = live_pods(c, dns)
        st = daemon_set(c, dns, "manual")["status"]
        return ps if len(ps) == 3 and all(map(is_ready, ps)) and images_on(ps) == ["nginx:1.27", "nginx:1.27", "nginx:1.28"] \
            and st.get("updatedNumberScheduled") == 1 else None

    ps = wait_for(one_updated, "the deleted pod replaced from the new template")
    new = next(p for p in ps if p["spec"]["containers"][0]["image"] == "nginx:1.28")
    assert new["spec"]["nodeName"] == pods[0]["spec"]["nodeName"]


def test_taints_added_later_keep_or_evict_running_daemon_pods(sim, dns):
    c = sim.c
    apply(c, dns, manifest("taints"))
    wait_for(lambda: settled(c, dns, "taints", MAIN_NODES, "nginx:1.27"), "pods on the three nodes")
    try:
        # NoSchedule: no new pod would go there, but the running one stays (counted as misscheduled).
        c.kubectl("taint", "node", "ds-0", "maint=yes:NoSchedule")
        def misscheduled():
            st = daemon_set(c, dns, "taints")["status"]
            return st if (st["desiredNumberScheduled"], st["numberMisscheduled"]) == (2, 1) else None
        wait_for(misscheduled, "ds-0 misscheduled")
        time.sleep(1)
        assert sorted(p["spec"]["nodeName"] for p in live_pods(c, dns)) == MAIN_NODES
        assert ds_row(c, dns, "taints")[:6] == ["taints", "2", "2", "2", "2", "2"]
        # NoExecute the pod does not tolerate: it goes.
        c.kubectl("taint", "node", "ds-1", "evict=yes:NoExecute")
        wait_for(lambda: sorted(p["spec"]["nodeName"] for p in live_pods(c, dns)) == ["ds-0", "ds-2"], "the pod on ds-1 deleted")
        c.kubectl("taint", "node", "ds-0", "maint=yes:NoSchedule-")
        c.kubectl("taint", "node", "ds-1", "evict=yes:NoExecute-")
        wait_for(lambda: settled(c, dns, "taints", MAIN_NODES, "nginx:1.27"), "the pod back on ds-1 once untainted")
        st = daemon_set(c, dns, "taints")["status"]
        assert (st["desiredNumberScheduled"], st["numberMisscheduled"]) == (3, 0)
    finally:
        c.kubectl("taint", "node", "ds-0", "maint=yes:NoSchedule-", check=False)
        c.kubectl("taint", "node", "ds-1", "evict=yes:NoExecute-", check=False)


def test_a_node_joining_later_gets_its_pod_within_seconds(sim, dns):
    """Last in the file: the fourth main node stays for the rest of the module."""
    c = sim.c
    apply(c, dns, manifest("late"))
    wait_for(lambda: settled(c, dns, "late", MAIN_NODES, "nginx:1.27"), "pods on the first three nodes")
    sim.agent("--simulate", "1", "--node-name-prefix", "late", "--node-labels", "pool=main")
    wait_for(lambda: "late-0" in ready_nodes(c), "the fourth node Ready")
    joined = time.monotonic()
    wait_for(lambda: settled(c, dns, "late", MAIN_NODES + ["late-0"], "nginx:1.27"), "a pod on the fourth node", timeout=15)
    assert time.monotonic() - joined < 10
    assert ds_row(c, dns, "late")[:7] == ["late", "4", "4", "4", "4", "4", "<none>"]
