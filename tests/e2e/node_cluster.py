"""A server with its real node agent (runc), for the node agent's end-to-end tests.

`NodeCluster.start()` imports the busybox test image into the server's image store, starts
`kyvern server --agent` on free ports and waits for its node to be Ready. `stop()` deletes what the
tests left, stops the server and removes every container, shim, mount, network namespace, cgroup
and bridge the agent made, also when a test failed.

With `KYVERN_E2E_RUNTIME=containerd` the same cluster runs its pods on a containerd the fixture starts
(`--runtime containerd`): a local registry stands in for docker.io and serves the busybox image and
the sandbox (pause) image, so the agent's tests run unchanged on the CRI runtime.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import images
from e2e_harness import Cluster, KyvernProcess, free_port

IMAGE = "docker.io/library/busybox:e2e"


def e2e_runtime() -> str:
    """The runtime the shared node cluster's agent uses: `runc` (built-in) or `containerd`."""
    return os.environ.get("KYVERN_E2E_RUNTIME", "runc")


def runc_available() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "the node agent's runc runtime needs root"
    if shutil.which("runc") is None:
        return False, "runc is not installed"
    if not Path("/usr/lib/cni/bridge").exists():
        return False, "CNI plugins are not installed (/usr/lib/cni)"
    return True, ""


def started_with_runc(make):
    """For a fixture: yields the cluster `make()` builds, started, and stops (cleans) it afterwards,
    also when starting failed; skips where runc cannot run, before anything is made."""
    ok, why = runc_available()
    if ok and e2e_runtime() == "containerd":
        from containerd_node import containerd_available
        ok, why = containerd_available()
    if not ok:
        pytest.skip(why)
    cluster = make()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def pod_namespace_fixture(name: str, cluster_fixture: str, prefix: str):
    """A pytest fixture called `name`: a fresh namespace `<prefix><8 hex>` on the cluster of the
    fixture `cluster_fixture` (anything with a `.cluster`), deleted with its pods (at once) afterwards."""

    @pytest.fixture(name=name)
    def namespace(request):
        c = request.getfixturevalue(cluster_fixture).cluster
        ns = prefix + uuid.uuid4().hex[:8]
        c.create_namespace(ns)
        try:
            yield ns
        finally:
            for item in c.get(f"/api/v1/namespaces/{ns}/pods").json().get("items", []):
                c.delete(f"/api/v1/namespaces/{ns}/pods/{item['metadata']['name']}", params={"gracePeriodSeconds": "0"})
            c.delete_namespace(ns)

    return namespace


def delete_all_pods(c: Cluster) -> None:
    """Deletes every pod at once and waits (30 s at most) for the agents to remove them."""
    for item in c.get("/api/v1/pods").json().get("items", []):
        md = item["metadata"]
        c.delete(f"/api/v1/namespaces/{md['namespace']}/pods/{md['name']}", params={"gracePeriodSeconds": "0"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and c.get("/api/v1/pods").json().get("items"):
        time.sleep(0.3)


def clean_agent_leftovers(data: Path, mounts_under: Path | None = None) -> None:
    """What a stopped node agent with data dir `data` may have left: its containers and their
    shims, the mounts below `mounts_under` (default: `data`), its pods' network namespaces, and pod cgroups with no
    process left. Shared by the one-node and the two-node clusters."""
    runtime = data / "runtime"
    runc_root = runtime / "runc"
    if runc_root.exists():
        r = subprocess.run(["runc", "--root", str(runc_root), "list", "--format", "json"],
                           capture_output=True, text=True)
        for c in json.loads(r.stdout or "null") or []:
            subprocess.run(["runc", "--root", str(runc_root), "kill", c["id"], "KILL"], capture_output=True)
            subprocess.run(["runc", "--root", str(runc_root), "delete", "--force", c["id"]], capture_output=True)
    r = subprocess.run(["pgrep", "-f", f"runtime-shim.*{runtime}"], capture_output=True, text=True)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    with open("/proc/self/mounts") as f:
        mounts = [line.split()[1] for line in f]
    prefix = str(mounts_under or data)
    for m in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    sandboxes = runtime / "sandboxes"
    ids = [p.name for p in sandboxes.iterdir()] if sandboxes.exists() else []
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        name = (line.split() or [""])[0]
        if name.startswith("kyvern-") and any(name == "kyvern-" + i[:16] for i in ids):
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    # Pod cgroups with no process left (a pod the agent did not finish removing).
    for parent in Path("/sys/fs/cgroup").glob("*/kyvern/pod*"):
        try:
            dirs = [d for d in parent.rglob("*") if d.is_dir()] + [parent]
        except FileNotFoundError:  # a shim's `runc delete` removed part of it meanwhile
            dirs = [parent]
        for d in sorted(dirs, key=lambda p: len(str(p)), reverse=True):
            try:
                d.rmdir()
            except OSError:
                pass


class NodeCluster:
    def __init__(self, binary: Path, pod_cidr: str = "10.89.0.0/16", runtime: str | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-node-"))
        self.binary = binary
        self.kubelet_port = free_port()
        self.pod_cidr = pod_cidr
        # the built-in Ingress controller on high ports, not the machine's 80 and 443
        self.ingress_http_port = free_port()
        self.ingress_https_port = free_port()
        self.runtime = runtime or e2e_runtime()
        self.registry = None
        self.containerd = None
        runtime_args: tuple[str, ...] = ()
        if self.runtime == "containerd":
            from containerd_node import Containerd
            self.registry = images.Registry()
            self.containerd = Containerd(self.root / "containerd", self.root / "data" / "cni" / "net.d",
                                         self.registry.host, f"{self.registry.host}/pause:e2e", mirrored=("docker.io",))
            runtime_args = ("--runtime", "containerd", "--container-runtime-endpoint", f"unix://{self.containerd.socket}")
        self.proc = KyvernProcess(self.root / "data", binary=binary, extra_args=(
            "--agent", "--node-name", "e2e-node", "--kubelet-port", str(self.kubelet_port),
            "--pod-cidr", pod_cidr, "--ingress-http-port", str(self.ingress_http_port),
            "--ingress-https-port", str(self.ingress_https_port), *runtime_args))
        self.cluster: Cluster | None = None

    @property
    def container_id_scheme(self) -> str:
        """The scheme of the containerIDs the agent reports (`runc://`, `containerd://`)."""
        return f"{self.runtime}://"

    def container_pid(self, container_id: str) -> int:
        """The host pid of a container's first process, asked of the runtime that runs it."""
        cid = container_id.split("://", 1)[-1]
        if self.containerd is not None:
            r = subprocess.run(["ctr", "--address", str(self.containerd.socket), "-n", "k8s.io", "tasks", "ls"],
                               capture_output=True, text=True, check=True)
            for line in r.stdout.splitlines()[1:]:
                parts = line.split()
                if parts and parts[0] == cid:
                    return int(parts[1])
            raise RuntimeError(f"containerd has no task {cid}: {r.stdout}")
        r = subprocess.run(["runc", "--root", str(self.data / "runtime" / "runc"), "state", cid],
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout)["pid"]

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self) -> "NodeCluster":
        # A bridge left with another range (an earlier server with another --pod-cidr) would make
        # the CNI bridge plugin fail; start from none.
        subprocess.run(["ip", "link", "delete", "kyvern0"], capture_output=True)
        layout = self.root / "busybox-layout"
        if self.containerd is not None:
            self._start_containerd(layout)
        else:
            images.build_busybox_layout(layout, name=IMAGE)
            r = subprocess.run([str(self.binary), "image", "import", "--data-dir", str(self.data), str(layout)],
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                raise RuntimeError(f"kyvern image import failed: {r.stdout}{r.stderr}")
        self.proc.start()
        self.cluster = Cluster(self.proc, self.root / "client")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = self.cluster.get("/api/v1/nodes/e2e-node")
            if r.status_code == 200 and any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in r.json().get("status", {}).get("conditions", [])):
                return self
            time.sleep(0.3)
        raise RuntimeError(f"node e2e-node never became Ready\n{self.proc.log_tail(40)}")

    def _start_containerd(self, layout: Path) -> None:
        """The registry (busybox as docker.io's library/busybox:e2e, and a pause image) and containerd."""
        self.registry.start()
        images.build_busybox_layout(layout, name=None)
        self.registry.push_layout(layout, "library/busybox:e2e")
        pause = self.root / "pause-layout"
        images.build_layout(pause, [images.busybox_layer_tar()], name=None, cmd=("sleep", "2147483647"))
        self.registry.push_layout(pause, "pause:e2e")
        self.containerd.start()

    def diagnostics(self) -> str:
        out = f"--- server\n{self.proc.log_tail(40)}"
        if self.containerd is not None:
            out += f"\n--- containerd\n{self.containerd.log_tail()}"
        return out

    def restart_server(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server (and with it the agent) with `sig` (SIGKILL: a crash) and start it again on
        the same data dir and ports: the containers, under their shims, keep running and must be adopted."""
        if sig == signal.SIGKILL:
            self.proc.kill9()
        else:
            took = time.monotonic()
            rc = self.proc.stop(sig, timeout=15)
            took = time.monotonic() - took
            tail = self.proc.log_tail(30)
            self.proc.start()  # first, so that a failed check leaves the shared cluster running
            assert rc == 0, f"server exited {rc} on {signal.Signals(sig).name}\n{tail}"
            assert took < 10, f"shutdown with the agent took {took:.1f}s\n{tail}"
            return
        self.proc.start()

    def stop(self) -> None:
        try:
            if self.cluster is not None and self.proc.proc is not None and self.proc.proc.poll() is None:
                delete_all_pods(self.cluster)
        finally:
            if self.cluster is not None:
                self.cluster.close()
            self.proc.stop()
            if self.containerd is not None:
                self.containerd.stop()
            self._clean_node()
            if self.registry is not None:
                self.registry.stop()
            shutil.rmtree(self.root, ignore_errors=True)

    def _clean_node(self) -> None:
        """Whatever the agent left: containers and their shims, overlay and tmpfs mounts, network
        namespaces, pod cgroups, the CNI bridge and its iptables rules."""
        clean_agent_leftovers(self.data, mounts_under=self.root)
        # NAT rules and per-pod chains the CNI plugins made for this cluster's pod range.
        rules = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True).stdout.splitlines()
        chains = set()
        for rule in rules:
            parts = shlex.split(rule)
            if rule.startswith("-A POSTROUTING") and "-s" in parts and self.pod_cidr.split(".")[:2] == \
                    parts[parts.index("-s") + 1].split(".")[:2] and "-j" in parts:
                chains.add(parts[parts.index("-j") + 1])
                subprocess.run(["iptables", "-t", "nat", *(["-D"] + parts[1:])], capture_output=True)
        for chain in chains:
            if chain.startswith("CNI-"):
                subprocess.run(["iptables", "-t", "nat", "-F", chain], capture_output=True)
                subprocess.run(["iptables", "-t", "nat", "-X", chain], capture_output=True)
        subprocess.run(["ip", "link", "delete", "kyvern0"], capture_output=True)
