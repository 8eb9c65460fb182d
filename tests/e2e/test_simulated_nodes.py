"""`kyvern agent --simulate N`: simulated nodes on a throw-away server (the shared one stays node-less)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from e2e_harness import kyvern_binary

pytestmark = [pytest.mark.lifecycle, pytest.mark.kubectl]


class AgentProcess:
    """One `kyvern agent --simulate` process; its log goes beside the server's."""

    def __init__(self, binary: Path, kubeconfig: Path, args: tuple[str, ...], log_path: Path):
        self.argv = [str(binary), "agent", "--kubeconfig", str(kubeconfig), *args]
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "----- kyvern agent log -----\n" + "\n".join(text[-lines:])

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM and wait; SIGKILL after the timeout (then returns None)."""
        rc: int | None
        if self.proc.poll() is not None:
            rc = self.proc.returncode
        else:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                rc = None
        self._log.close()
        return rc


@pytest.fixture
def agents(server_factory, kyvern_bin):
    """Starts agents against a throw-away server; every one is stopped at teardown, also on failure
    (this fixture is torn down before the server_factory it depends on)."""
    started: list[AgentProcess] = []

    def start(server, *args: str) -> AgentProcess:
        log = server.data_dir.parent / f"agent-{len(started)}.log"
        a = AgentProcess(kyvern_bin, server.kubeconfig_path, args, log)
        started.append(a)
        return a

    try:
        yield start
    finally:
        for a in started:
            a.stop()
            print(a.log_tail())  # pytest shows it only when the test failed


def wait_for(what: str, predicate, timeout: float = 30, agent: AgentProcess | None = None, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        if agent is not None and agent.proc.poll() is not None:
            raise AssertionError(f"agent exited with {agent.proc.returncode} while waiting for {what}\n{agent.log_tail()}")
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})\n{agent.log_tail() if agent else ''}")


def get_json(c, *args) -> dict:
    return json.loads(c.kubectl("get", *args, "-o", "json").stdout)


def node_rows(c) -> list[str]:
    return c.kubectl("get", "nodes").stdout.splitlines()


def test_agent_without_simulate_or_a_server_refuses_and_says_so(kyvern_bin):
    cp = subprocess.run([str(kyvern_bin), "agent"], capture_output=True, text=True, timeout=30)
    assert cp.returncode != 0
    assert "give --kubeconfig, or --server with --token-file (the server's DATA/node-token)" in cp.stderr, cp.stderr
    cp = subprocess.run([str(kyvern_bin), "agent", "--kubeconfig", "/nonexistent", "--runtime", "process"],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode != 0 and "cannot read kubeconfig /nonexistent" in cp.stderr, cp.stderr
    helptext = subprocess.run([str(kyvern_bin), "agent", "--help"], capture_output=True, text=True, timeout=30)
    assert helptext.returncode == 0
    flat = " ".join(helptext.stdout.split())
    assert "Without --simulate, runs the node agent" in flat, flat
    for flag in ("--simulate", "--kubeconfig", "--server", "--token-file", "--runtime", "--node-name",
                 "--kubelet-port", "--pod-cidr", "--node-name-prefix", "--cpu", "--memory", "--max-pods",
                 "--ephemeral-storage", "--node-labels", "--register-with-taints", "--zones",
                 "--lease-renew-interval", "--node-status-update-frequency", "--log-level"):
        assert flag in helptext.stdout, flag
    bad = subprocess.run([str(kyvern_bin), "agent", "--simulate", "3", "--kubeconfig", "/x",
                          "--register-with-taints", "a=b:Sometimes"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0
    assert "--register-with-taints: invalid taint effect: Sometimes, unsupported taint effect" in bad.stderr, bad.stderr


def test_simulated_nodes_register_ready_with_labels_taints_capacity_and_leases(server_factory, agents):
    server = server_factory.new()
    c = server_factory.client(server)
    agent = agents(server, "--simulate", "3", "--node-name-prefix", "sim", "--cpu", "8", "--memory", "32Gi",
                   "--max-pods", "50", "--ephemeral-storage", "200Gi", "--node-labels", "disktype=ssd,example.com/tier=gold",
                   "--register-with-taints", "dedicated=sim:NoSchedule", "--zones", "2", "--lease-renew-interval", "1s")

    def ready_rows():
        r = node_rows(c)
        return r if len(r) == 4 and all(" Ready " in x for x in r[1:]) else None

    rows = wait_for("3 Ready nodes", ready_rows, agent=agent)
    assert re.fullmatch(r"NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION", rows[0]), rows
    for i, row in enumerate(rows[1:]):
        assert re.fullmatch(rf"sim-{i}\s+Ready\s+<none>\s+\d+s\s+v1\.36\.0", row), rows

    node = get_json(c, "node", "sim-1")
    arch = node["metadata"]["labels"]["kubernetes.io/arch"]
    assert arch in ("amd64", "arm64")
    assert node["metadata"]["labels"] == {
        "kubernetes.io/hostname": "sim-1", "kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch,
        "node.kubernetes.io/instance-type": "simulated", "topology.kubernetes.io/zone": "zone-1",
        "disktype": "ssd", "example.com/tier": "gold",
    }
    assert get_json(c, "node", "sim-2")["metadata"]["labels"]["topology.kubernetes.io/zone"] == "zone-0"
    # Registered with TaintNodesByCondition's not-ready:NoSchedule beside its own taint; the node lifecycle
    # controller lifts not-ready once the node is Ready, and the registered taint stays.
    own = [{"key": "dedicated", "value": "sim", "effect": "NoSchedule"}]
    assert wait_for("not-ready lifted", lambda: get_json(c, "node", "sim-1")["spec"]["taints"] == own or None,
                    agent=agent)
    assert node["spec"]["podCIDR"] == "10.128.1.0/24"
    assert node["spec"]["podCIDRs"] == ["10.128.1.0/24"]
    resources = {"cpu": "8", "memory": "32Gi", "pods": "50", "ephemeral-storage": "200Gi"}
    assert node["status"]["capacity"] == resources
    assert node["status"]["allocatable"] == resources
    conditions = {x["type"]: (x["status"], x["reason"]) for x in node["status"]["conditions"]}
    assert conditions == {
        "MemoryPressure": ("False", "KubeletHasSufficientMemory"), "DiskPressure": ("False", "KubeletHasNoDiskPressure"),
        "PIDPressure": ("False", "KubeletHasSufficientPID"), "Ready": ("True", "KubeletReady"),
    }
    assert node["status"]["addresses"] == [{"type": "InternalIP", "address": "172.16.0.2"},
                                           {"type": "Hostname", "address": "sim-1"}]
    info = node["status"]["nodeInfo"]
    assert (info["kubeletVersion"], info["operatingSystem"], info["architecture"]) == ("v1.36.0", "linux", arch)
    assert info["containerRuntimeVersion"].startswith("simulated://")
    wide = c.kubectl("get", "node", "sim-1", "-o", "wide").stdout.splitlines()
    assert re.fullmatch(r"sim-1\s+Ready\s+<none>\s+\d+s\s+v1\.36\.0\s+172\.16\.0\.2\s+<none>\s+Kyvern simulated node\s+"
                        r"simulated\s+simulated://v1\.36\.0", wide[1]), wide

    # One Lease per node in kube-node-lease, owned by the node, renewed every second.
    names = c.kubectl("get", "leases", "-n", "kube-node-lease", "-o", "name").stdout.split()
    assert names == ["lease.coordination.k8s.io/sim-0", "lease.coordination.k8s.io/sim-1",
                     "lease.coordination.k8s.io/sim-2"]
    lease = get_json(c, "lease", "sim-1", "-n", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == "sim-1"
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", lease["spec"]["renewTime"]), lease["spec"]
    assert lease["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "sim-1", "uid": node["metadata"]["uid"]}]
    first = lease["spec"]["renewTime"]
    def renewed():
        t = get_json(c, "lease", "sim-1", "-n", "kube-node-lease")["spec"]["renewTime"]
        return t if t > first else None

    later = wait_for("a renewal", renewed, timeout=10, agent=agent)
    assert later > first

    # A graceful stop leaves the nodes registered, as a stopped kubelet's.
    assert agent.stop() == 0, agent.log_tail()
    assert [r.split()[0] for r in node_rows(c)[1:]] == ["sim-0", "sim-1", "sim-2"]
    assert "all simulated nodes registered" in agent.log_path.read_text()


def test_pod_bound_to_a_simulated_node_runs_and_its_deletion_completes(server_factory, agents):
    server = server_factory.new()
    c = server_factory.client(server)
    agent = agents(server, "--simulate", "3", "--lease-renew-interval", "1s")
    wait_for("3 nodes", lambda: len(node_rows(c)) == 4, agent=agent)
    c.create_namespace("sim-pods")
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "sim-pods"},
        "spec": {"nodeName": "sim-2", "initContainers": [{"name": "setup", "image": "busybox:1.36"}],
                 "containers": [{"name": "app", "image": "nginx:1.27"}, {"name": "log", "image": "busybox:1.36"}]},
    }
    c.kubectl("apply", "-f", "-", input=json.dumps(pod))

    def running():
        rows = c.kubectl("get", "pod", "web", "-n", "sim-pods", "-o", "wide").stdout.splitlines()
        return rows if len(rows) == 2 and " Running " in rows[1] else None

    rows = wait_for("pod Running", running, agent=agent)
    assert re.fullmatch(r"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES", rows[0]), rows
    assert re.fullmatch(r"web\s+2/2\s+Running\s+0\s+\d+s\s+10\.128\.2\.2\s+sim-2\s+<none>\s+<none>", rows[1]), rows

    status = get_json(c, "pod", "web", "-n", "sim-pods")["status"]
    assert status["phase"] == "Running"
    assert status["hostIP"] == "172.16.0.3" and status["hostIPs"] == [{"ip": "172.16.0.3"}]
    assert status["podIP"] == "10.128.2.2" and status["podIPs"] == [{"ip": "10.128.2.2"}]
    assert status["startTime"]
    assert [(x["type"], x["status"]) for x in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "True"),
        ("ContainersReady", "True"), ("PodScheduled", "True")]
    for cs in status["containerStatuses"]:
        assert (cs["ready"], cs["started"], cs["restartCount"]) == (True, True, 0), cs
        assert "running" in cs["state"], cs
        assert cs["containerID"].startswith("simulated://") and cs["imageID"].startswith("simulated://"), cs
    assert [cs["name"] for cs in status["containerStatuses"]] == ["app", "log"]
    init = status["initContainerStatuses"]
    assert [(x["name"], x["state"]["terminated"]["reason"], x["state"]["terminated"]["exitCode"]) for x in init] == [
        ("setup", "Completed", 0)]
    c.kubectl("wait", "--for=condition=Ready", "pod/web", "-n", "sim-pods", "--timeout=10s")

    # kubectl delete waits for the agent to complete the deletion (grace period 0 after stopping).
    t0 = time.monotonic()
    c.kubectl("delete", "pod", "web", "-n", "sim-pods", "--wait=true", "--timeout=30s")
    assert time.monotonic() - t0 < 20
    gone = c.kubectl("get", "pod", "web", "-n", "sim-pods", check=False)
    assert gone.returncode == 1
    assert 'pods "web" not found' in gone.stderr, gone.stderr

    # A new pod on the same node gets the freed address back.
    pod["spec"]["nodeName"] = "sim-2"
    pod["metadata"]["name"] = "web2"
    c.kubectl("apply", "-f", "-", input=json.dumps(pod))
    wait_for("web2 Running", lambda: get_json(c, "pod", "web2", "-n", "sim-pods").get("status", {}).get("podIP") == "10.128.2.2",
             agent=agent)
    assert agent.stop() == 0, agent.log_tail()
