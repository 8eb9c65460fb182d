"""The scheduler end to end: a throw-away `kyvern server --disable-scheduler`, simulated nodes from
`kyvern agent --simulate N`, and `kyvern scheduler --kubeconfig [--config]` as its own process, observed
through the real kubectl and the API.

Every process a test starts is stopped at teardown, also when the test fails.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from e2e_harness import Cluster, stop_process

NODE_TIMEOUT = 60
BIND_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, predicate, timeout: float = BIND_TIMEOUT, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Component:
    """A `kyvern agent` or `kyvern scheduler` process logging next to the server's data dir."""

    def __init__(self, argv: list[str], log_path: Path):
        self.argv, self.log_path = argv, log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            text = []
        return f"--- {' '.join(self.argv[1:3])} (rc={self.proc.poll()}) {self.log_path}\n" + "\n".join(text)

    def stop(self):
        stop_process(self.proc)
        self.log.close()


class SimCluster:
    """A server without its own scheduler, N simulated nodes and a standalone scheduler."""

    def __init__(self, factory):
        self.factory = factory
        self.components: list[Component] = []

    def start(self, nodes: int, config: str | None):
        self.server = self.factory.new("--disable-scheduler")
        self.api: Cluster = self.factory.client(self.server)
        self.root = self.server.data_dir.parent
        kubeconfig = str(self.server.kubeconfig_path)
        binary = str(self.server.binary)
        self.components.append(Component([binary, "agent", "--simulate", str(nodes), "--kubeconfig", kubeconfig],
                                          self.root / "agent.log"))
        self.node_names = self.wait_for_nodes(nodes)
        argv = [binary, "scheduler", "--kubeconfig", kubeconfig, "--metrics-bind-address", f"127.0.0.1:{free_port()}"]
        if config is not None:
            path = self.root / "scheduler-config.yaml"
            path.write_text(textwrap.dedent(config))
            argv += ["--config", str(path)]
        self.scheduler = Component(argv, self.root / "scheduler.log")
        self.components.append(self.scheduler)

    def wait_for_nodes(self, count: int) -> list[str]:
        def ready():
            for c in self.components:
                assert c.alive(), c.tail()
            items = self.api.ok_json(self.api.get("/api/v1/nodes"))["items"]
            names = [n["metadata"]["name"] for n in items
                     if any(cd["type"] == "Ready" and cd["status"] == "True" for cd in n["status"].get("conditions", []))]
            return sorted(names) if len(names) >= count else None

        return wait_until(f"{count} Ready simulated nodes", ready, timeout=NODE_TIMEOUT)

    def logs(self) -> str:
        return "\n".join(c.tail() for c in self.components)

    def node(self, name: str) -> dict:
        return self.api.ok_json(self.api.get(f"/api/v1/nodes/{name}"))

    def allocatable(self, name: str) -> tuple[int, int]:
        """(milli-cpu, bytes of memory) a node offers."""
        alloc = self.node(name)["status"]["allocatable"]
        return parse_cpu(alloc["cpu"]), parse_memory(alloc["memory"])

    def label(self, node: str, labels: dict[str, str]):
        self.api.kubectl("label", "node", node, "--overwrite", *[f"{k}={v}" for k, v in labels.items()])

    def create_namespace(self, name: str):
        self.api.create_namespace(name)

    def create(self, namespace: str, manifest: dict) -> dict:
        return self.api.ok_json(self.api.post(f"/api/v1/namespaces/{namespace}/pods", manifest), 201)

    def pod(self, namespace: str, name: str) -> dict:
        return self.api.ok_json(self.api.get(f"/api/v1/namespaces/{namespace}/pods/{name}"))

    def pods(self, namespace: str, selector: str = "") -> list[dict]:
        params = {"labelSelector": selector} if selector else None
        return self.api.ok_json(self.api.get(f"/api/v1/namespaces/{namespace}/pods", params=params))["items"]

    def wait_bound(self, namespace: str, name: str, timeout: float = BIND_TIMEOUT) -> str:
        return wait_until(f"pod {namespace}/{name} bound",
                          lambda: self.pod(namespace, name)["spec"].get("nodeName"), timeout)

    def wait_unschedulable(self, namespace: str, name: str) -> dict:
        def condition():
            for c in self.pod(namespace, name)["status"].get("conditions", []):
                if c["type"] == "PodScheduled" and c["status"] == "False":
                    return c
            return None

        return wait_until(f"pod {namespace}/{name} marked unschedulable", condition)

    def stop(self):
        for c in reversed(self.components):
            c.stop()


@pytest.fixture
def sim(server_factory):
    """sim(nodes, config=None) starts a SimCluster; its agent and scheduler are stopped at teardown
    (the server by server_factory), and their log tails printed (pytest shows them on failure)."""
    started: list[SimCluster] = []

    def start(nodes: int, config: str | None = None) -> SimCluster:
        c = SimCluster(server_factory)
        started.append(c)  # before starting, so a half-started cluster is cleaned up too
        c.start(nodes, config)
        return c

    try:
        yield start
    finally:
        for c in started:
            print(c.logs())
            c.stop()


def parse_cpu(q: str) -> int:
    return int(q[:-1]) if q.endswith("m") else int(float(q) * 1000)


def parse_memory(q: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if q.endswith(suffix):
            return int(float(q[: -len(suffix)]) * factor)
    return int(q)


def pod(name: str, *, cpu_m: int = 10, mem: int = 16 << 20, labels: dict | None = None, **spec) -> dict:
    body = {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": f"{cpu_m}m", "memory": str(mem)}}}],
            "terminationGracePeriodSeconds": 0}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}}, "spec": body}


# ------------------------------------------------------------------------------------------------


def test_deployment_with_node_selector_lands_only_on_labelled_nodes(sim):
    c = sim(4)
    ssd = c.node_names[:2]
    for n in ssd:
        c.label(n, {"disktype": "ssd"})
    c.create_namespace("web")
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "web"},
        "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"nodeSelector": {"disktype": "ssd"},
                                       "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                                       "resources": {"requests": {"cpu": "10m"}}}]}}},
    }
    c.api.kubectl("apply", "-f", "-", input=json.dumps(deployment))

    def placed():
        pods = c.pods("web", "app=web")
        nodes = [p["spec"].get("nodeName") for p in pods]
        return nodes if len(nodes) == 6 and all(nodes) else None

    nodes = wait_until("6 deployment pods bound", placed, timeout=60)
    assert set(nodes) <= set(ssd), (nodes, ssd)
    out = c.api.kubectl("get", "pods", "-n", "web", "-o", "wide", "--no-headers").stdout
    assert len(out.strip().splitlines()) == 6
    for line in out.strip().splitlines():
        assert line.split()[6] in ssd, line


PACK_AND_SPREAD = """\
    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    profiles:
    - schedulerName: spread
      pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: LeastAllocated
    - schedulerName: pack
      pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
            resources:
            - name: cpu
              weight: 1
            - name: memory
              weight: 1
    """


def test_most_allocated_packs_and_least_allocated_spreads(sim):
    c = sim(3, config=PACK_AND_SPREAD)
    cpu, mem = c.allocatable(c.node_names[0])
    c.create_namespace("fit")
    # A fifth of a node each: three fit on one node, so only the strategy decides.
    size = dict(cpu_m=cpu // 5, mem=mem // 5)
    for i in range(3):
        c.create("fit", pod(f"spread-{i}", schedulerName="spread", **size))
    spread = [c.wait_bound("fit", f"spread-{i}") for i in range(3)]
    assert len(set(spread)) == 3, spread
    for i in range(3):
        c.create("fit", pod(f"pack-{i}", schedulerName="pack", **size))
    packed = [c.wait_bound("fit", f"pack-{i}") for i in range(3)]
    assert len(set(packed)) == 1, packed
    # A pod naming a profile nobody serves stays untouched (no condition, no event).
    c.create("fit", pod("nobody", schedulerName="other-scheduler"))
    time.sleep(2)
    p = c.pod("fit", "nobody")
    assert "nodeName" not in p["spec"] and "conditions" not in p.get("status", {}), p


def test_pod_too_big_for_every_node_stays_pending_with_upstream_message(sim):
    c = sim(3)
    cpu, _ = c.allocatable(c.node_names[0])
    c.create_namespace("big")
    c.create("big", pod("huge", cpu_m=cpu * 2))
    cond = c.wait_unschedulable("big", "huge")
    message = ("0/3 nodes are available: 3 Insufficient cpu. "
               "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == message
    p = c.pod("big", "huge")
    assert p["status"]["phase"] == "Pending"
    assert "nodeName" not in p["spec"]
    out = c.api.kubectl("get", "pod", "huge", "-n", "big", "--no-headers").stdout.split()
    assert out[:3] == ["huge", "0/1", "Pending"], out
    describe = wait_until("FailedScheduling in describe", lambda: (
        d if "FailedScheduling" in (d := c.api.kubectl("describe", "pod", "huge", "-n", "big").stdout) else None))
    assert re.search(r"^\s+PodScheduled\s+False\s*$", describe, re.M), describe
    assert re.search(r"^\s+Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+" + re.escape(message) + r"\s*$",
                     describe, re.M), describe
    events = c.api.ok_json(c.api.get("/api/v1/namespaces/big/events"))["items"]
    failed = [e for e in events if e["reason"] == "FailedScheduling"]
    assert failed and failed[0]["type"] == "Warning" and failed[0]["message"] == message
    assert failed[0]["involvedObject"]["name"] == "huge"


def test_higher_priority_pod_preempts_a_lower_priority_one(sim):
    c = sim(2)
    cpu, _ = c.allocatable(c.node_names[0])
    c.create_namespace("prio")
    share = cpu * 6 // 10  # more than half a node: one such pod per node
    for i in range(2):
        c.create("prio", pod(f"low-{i}", cpu_m=share, labels={"tier": "low"}))
    low_nodes = {f"low-{i}": c.wait_bound("prio", f"low-{i}") for i in range(2)}
    assert sorted(low_nodes.values()) == c.node_names

    # Every state the pod passes through, to see the nomination before the binding.
    events: list[dict] = []
    stream = c.api.watch_lines("/api/v1/namespaces/prio/pods", {"fieldSelector": "metadata.name=high",
                                                                 "timeoutSeconds": str(BIND_TIMEOUT)},
                               read_timeout=BIND_TIMEOUT + 5)
    c.create("prio", pod("high", cpu_m=share, priorityClassName="system-cluster-critical"))
    for ev in stream:
        events.append(ev["object"])
        if ev["object"]["spec"].get("nodeName"):
            break
    assert events and events[-1]["spec"].get("nodeName"), (
        "high-priority pod not bound: " + json.dumps([o.get("status") for o in events])[:2000])
    node = events[-1]["spec"]["nodeName"]
    nominated = [o["status"].get("nominatedNodeName") for o in events if o["status"].get("nominatedNodeName")]
    assert nominated and nominated[0] == node, [o["status"] for o in events]
    victim = next(n for n, at in low_nodes.items() if at == node)
    survivor = next(n for n in low_nodes if n != victim)
    assert c.api.get(f"/api/v1/namespaces/prio/pods/{victim}").status_code == 404
    assert c.pod("prio", survivor)["spec"]["nodeName"] == low_nodes[survivor]
    reasons = {e["reason"] for e in c.api.ok_json(c.api.get("/api/v1/namespaces/prio/events"))["items"]}
    assert {"Preempted", "Scheduled"} <= reasons, reasons


def test_required_anti_affinity_by_hostname_spreads_replicas_and_leaves_the_extra_pending(sim):
    c = sim(3)
    c.create_namespace("anti")
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    for i in range(3):
        c.create("anti", pod(f"db-{i}", labels={"app": "db"}, affinity=anti))
    nodes = [c.wait_bound("anti", f"db-{i}") for i in range(3)]
    assert sorted(nodes) == c.node_names
    c.create("anti", pod("db-3", labels={"app": "db"}, affinity=anti))
    cond = c.wait_unschedulable("anti", "db-3")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == ("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
                               "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..")
    # Freeing a node lets the extra replica in: the queue retries it on the deletion.
    c.api.kubectl("delete", "pod", "db-0", "-n", "anti", "--grace-period=0", "--force")
    assert c.wait_bound("anti", "db-3") == nodes[0]


def test_topology_spread_over_zones(sim):
    c = sim(6)
    zones = ["zone-a", "zone-b", "zone-c"]
    zone_of = {}
    for i, n in enumerate(c.node_names):
        zone_of[n] = zones[i % 3]
        c.label(n, {"topology.kubernetes.io/zone": zone_of[n]})
    c.create_namespace("spread")
    constraint = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": {"app": "s"}}}]
    for i in range(6):
        c.create("spread", pod(f"s-{i}", labels={"app": "s"}, topologySpreadConstraints=constraint))
    nodes = [c.wait_bound("spread", f"s-{i}") for i in range(6)]
    counts = {z: sum(1 for n in nodes if zone_of[n] == z) for z in zones}
    assert counts == {"zone-a": 2, "zone-b": 2, "zone-c": 2}, counts


BAD_CONFIG = """\
    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    profiles:
    - schedulerName: a
      plugins:
        score:
          enabled: [{name: ImageLocality}, {name: Foo}]
    - schedulerName: a
    """


def test_invalid_configuration_is_refused_with_field_paths(server_factory, tmp_path):
    server = server_factory.new("--disable-scheduler")
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(BAD_CONFIG))
    cp = subprocess.run([str(server.binary), "scheduler", "--kubeconfig", str(server.kubeconfig_path), "--config",
                         str(path), "--metrics-bind-address", f"127.0.0.1:{free_port()}"],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 1, cp
    assert cp.stderr.strip().splitlines()[-1] == (
        f"Error: scheduler configuration {path}: invalid KubeSchedulerConfiguration: "
        '[profiles[1].schedulerName: Duplicate value: "profiles[0].schedulerName", '
        'profiles[0].plugins.score.enabled[1]: Invalid value: "Foo": plugin does not exist]'), cp.stderr


def test_server_runs_its_scheduler_with_the_configured_profiles(server_factory, tmp_path):
    path = tmp_path / "sched.yaml"
    path.write_text(textwrap.dedent(PACK_AND_SPREAD))
    server = server_factory.new("--scheduler-config", str(path))
    api = server_factory.client(server)
    agent = Component([str(server.binary), "agent", "--simulate", "2", "--kubeconfig", str(server.kubeconfig_path)],
                      tmp_path / "agent.log")
    try:
        wait_until("2 nodes", lambda: len(api.ok_json(api.get("/api/v1/nodes"))["items"]) == 2, timeout=NODE_TIMEOUT)
        api.create_namespace("prof")
        for name in ("pack", "spread", "default-scheduler"):
            api.ok_json(api.post("/api/v1/namespaces/prof/pods", pod(f"p-{name}", schedulerName=name)), 201)
        for name in ("pack", "spread"):
            wait_until(f"p-{name} bound", lambda: api.ok_json(api.get(f"/api/v1/namespaces/prof/pods/p-{name}"))[
                "spec"].get("nodeName"))
        # The file names no default-scheduler profile, so nobody schedules that pod.
        time.sleep(2)
        assert "nodeName" not in api.ok_json(api.get("/api/v1/namespaces/prof/pods/p-default-scheduler"))["spec"]
    finally:
        print(agent.tail())
        agent.stop()
