"""Two real nodes on one machine: a `kyvern server` (no node of its own) and two `kyvern agent`
processes, each in its own network namespace as a host, joined by veth pairs to a test bridge —
the shape of a small cluster of machines on one LAN.

    test's namespace:  bridge kyvt0 172.31.0.1/24  (the server listens here)
    kyv-node-a:        eth0 172.31.0.2   pods 10.42.x.0/24 on its own kyvern0
    kyv-node-b:        eth0 172.31.0.3   pods 10.42.y.0/24 on its own kyvern0

Each agent takes its pod range from its Node's spec.podCIDR (assigned by the controller manager
from --cluster-cidr) and routes to the other node's range through its InternalIP (--node-ip).
`stop()` removes the pods, processes, containers, mounts, namespaces, cgroups, links and routes
made, also after a failure."""
from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import images
from e2e_harness import Cluster, KyvernProcess, free_port
from node_cluster import IMAGE, clean_agent_leftovers, delete_all_pods

BRIDGE = "kyvt0"
HOST_IP = "172.31.0.1"
NODES = {"node-a": ("kyv-node-a", "172.31.0.2"), "node-b": ("kyv-node-b", "172.31.0.3")}


def sh(*argv: str, check: bool = True, netns: str | None = None) -> subprocess.CompletedProcess:
    if netns:
        argv = ("ip", "netns", "exec", netns, *argv)
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


class TwoNodeCluster:
    def __init__(self, binary: Path, agent_args: dict[str, tuple[str, ...]] | None = None):
        # per-node `kyvern agent` flags (e.g. another node's ingress ports)
        self.node_args = agent_args or {}
        self.root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-2node-"))
        self.binary = binary
        self.server = KyvernProcess(self.root / "server", binary=binary, bind_address="0.0.0.0",
                                    extra_args=("--tls-san", HOST_IP))
        self.agents: dict[str, subprocess.Popen] = {}
        self.cluster: Cluster | None = None
        # more `kyvern agent` flags (e.g. --proxy-mode); see restart_agents()
        self.agent_args: tuple[str, ...] = ()

    def agent_data(self, node: str) -> Path:
        return self.root / node

    def start(self) -> "TwoNodeCluster":
        self._clean_links()
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for node, (netns, ip) in NODES.items():
            sh("ip", "netns", "add", netns)
            host_end = "veth-" + node
            sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", netns)
            sh("ip", "link", "set", host_end, "master", BRIDGE, "up")
            sh("ip", "-n", netns, "addr", "add", f"{ip}/24", "dev", "eth0")
            sh("ip", "-n", netns, "link", "set", "eth0", "up")
            sh("ip", "-n", netns, "link", "set", "lo", "up")
        layout = self.root / "busybox-layout"
        images.build_busybox_layout(layout, name=IMAGE)
        self.server.start()
        self.cluster = Cluster(self.server, self.root / "client")
        for node in NODES:
            r = subprocess.run([str(self.binary), "image", "import", "--data-dir", str(self.agent_data(node)), str(layout)],
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                raise RuntimeError(f"kyvern image import failed: {r.stdout}{r.stderr}")
            self._start_agent(node)
        return self._wait_ready()

    def _start_agent(self, node: str) -> None:
        netns, ip = NODES[node]
        token = self.server.data_dir / "node-token"
        log = open(self.root / f"{node}.log", "ab")
        self.agents[node] = subprocess.Popen(
            # nsenter, not `ip netns exec`: that remounts /sys and would hide the cgroup mounts runc needs.
            ["nsenter", f"--net=/var/run/netns/{netns}", str(self.binary), "agent", "--server",
             f"https://{HOST_IP}:{self.server.port}", "--token-file", str(token), "--node-name", node,
             "--node-ip", ip, "--runtime", "runc", "--data-dir", str(self.agent_data(node)), "--kubelet-port", str(free_port()),
             *self.agent_args, *self.node_args.get(node, ())],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def restart_agents(self, agent_args: tuple[str, ...]) -> None:
        """Stops both agents (SIGTERM: they remove their rules) and starts them with `agent_args`."""
        self._stop_agents()
        self.agent_args = agent_args
        for node in NODES:
            self._start_agent(node)
        self._wait_ready()

    def _stop_agents(self) -> None:
        for proc in self.agents.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.agents.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def _wait_ready(self) -> "TwoNodeCluster":
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if all(self._ready(node) for node in NODES):
                return self
            for node, proc in self.agents.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"agent {node} exited {proc.returncode}\n{self.agent_log(node)}")
            time.sleep(0.5)
        raise RuntimeError("the nodes never became Ready with pod ranges\n"
                           + "\n".join(self.agent_log(n) for n in NODES) + self.server.log_tail(40))

    def _ready(self, node: str) -> bool:
        r = self.cluster.get(f"/api/v1/nodes/{node}")
        if r.status_code != 200:
            return False
        n = r.json()
        return bool(n["spec"].get("podCIDR")) and any(
            c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))

    def agent_log(self, node: str, lines: int = 40) -> str:
        path = self.root / f"{node}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {node} ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        try:
            if self.cluster is not None and self.server.proc is not None and self.server.proc.poll() is None:
                delete_all_pods(self.cluster)
        finally:
            self._stop_agents()
            if self.cluster is not None:
                self.cluster.close()
            self.server.stop()
            for node in NODES:
                clean_agent_leftovers(self.agent_data(node))
            self._clean_links()
            shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _clean_links() -> None:
        """The namespaces (and with them the nodes' bridges, iptables rules and routes) and the test bridge."""
        for netns, _ in NODES.values():
            subprocess.run(["ip", "netns", "delete", netns], capture_output=True)
        for node in NODES:
            subprocess.run(["ip", "link", "delete", "veth-" + node], capture_output=True)
        subprocess.run(["ip", "link", "delete", BRIDGE], capture_output=True)
