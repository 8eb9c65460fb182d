"""The node agent on containerd through the CRI (`--runtime containerd`): the test starts Debian's
containerd with its own root, state and socket (its CRI plugin using runc and the CNI plugins in
/usr/lib/cni, pulling from a local docker-registry on 127.0.0.1), then `kyvern server --agent
--runtime containerd` on it, and runs a pod from the registry: status, logs, exec, restarts.

Everything made is removed afterwards, also after a failure: pods, containerd and the shims it
started (found by its own socket path), mounts under the test's directory, the bridge."""
from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import images
from e2e_harness import Cluster, KyvernProcess, free_port, wait_until
from containerd_node import Containerd, containerd_available
from node_cluster import clean_agent_leftovers, delete_all_pods

POD_CIDR = "10.91.0.0/16"


class ContainerdNode:
    """A registry holding the busybox image and a pause image, containerd, and a server whose agent
    runs its pods on that containerd."""

    def __init__(self, binary: Path):
        self.root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-cri-"))
        self.binary = binary
        self.registry = images.Registry()
        self.containerd: Containerd | None = None
        self.proc: KyvernProcess | None = None
        self.cluster: Cluster | None = None
        self.kubelet_port = free_port()

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self) -> "ContainerdNode":
        subprocess.run(["ip", "link", "delete", "kyvern0"], capture_output=True)
        self.registry.start()
        busybox = self.root / "busybox-layout"
        images.build_busybox_layout(busybox, name=None)
        self.registry.push_layout(busybox, "busybox:e2e")
        # The sandbox's holder process: busybox sleeping (containerd kills it with SIGKILL on stop).
        pause = self.root / "pause-layout"
        images.build_layout(pause, [images.busybox_layer_tar()], name=None, cmd=("sleep", "2147483647"))
        self.registry.push_layout(pause, "pause:e2e")
        self.image = f"{self.registry.host}/busybox:e2e"
        self.containerd = Containerd(self.root / "containerd", self.data / "cni" / "net.d", self.registry.host,
                                     f"{self.registry.host}/pause:e2e").start()
        self.proc = KyvernProcess(self.data, binary=self.binary, extra_args=(
            "--agent", "--node-name", "cri-node", "--kubelet-port", str(self.kubelet_port), "--pod-cidr", POD_CIDR,
            "--runtime", "containerd", "--container-runtime-endpoint", f"unix://{self.containerd.socket}"))
        self.proc.start()
        self.cluster = Cluster(self.proc, self.root / "client")
        def ready() -> bool:
            r = self.cluster.get("/api/v1/nodes/cri-node")
            return r.status_code == 200 and any(
                c["type"] == "Ready" and c["status"] == "True" for c in r.json().get("status", {}).get("conditions", []))
        wait_until("node cri-node Ready", ready, timeout=60)
        return self

    def stop(self) -> None:
        try:
            if self.cluster is not None and self.proc is not None and self.proc.alive():
                delete_all_pods(self.cluster)
        finally:
            if self.cluster is not None:
                self.cluster.close()
            if self.proc is not None:
                self.proc.stop()
            if self.containerd is not None:
                self.containerd.stop()
            clean_agent_leftovers(self.data, mounts_under=self.root)
            subprocess.run(["ip", "link", "delete", "kyvern0"], capture_output=True)
            self.registry.stop()
            shutil.rmtree(self.root, ignore_errors=True)

    def diagnostics(self) -> str:
        return (f"--- server\n{self.proc.log_tail(40) if self.proc else ''}\n"
                f"--- containerd\n{self.containerd.log_tail() if self.containerd else ''}")


@pytest.fixture(scope="module")
def cri_node(kyvern_bin):
    ok, why = containerd_available()
    if not ok:
        pytest.skip(why)
    node = ContainerdNode(kyvern_bin)
    try:
        node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture
def ns(cri_node):
    c = cri_node.cluster
    name = "cri-" + uuid.uuid4().hex[:8]
    c.create_namespace(name)
    try:
        yield name
    finally:
        for item in c.get(f"/api/v1/namespaces/{name}/pods").json().get("items", []):
            c.delete(f"/api/v1/namespaces/{name}/pods/{item['metadata']['name']}", params={"gracePeriodSeconds": "0"})
        c.delete_namespace(name)


def pod(name: str, image: str, command: str, **spec) -> dict:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "main", "image": image, "command": ["sh", "-c", command]}]}}
    body["spec"].update(spec)
    return body


def main_status(c: Cluster, ns: str, name: str) -> dict:
    p = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods/{name}"))
    statuses = p.get("status", {}).get("containerStatuses") or [{}]
    return {**statuses[0], "_pod": p}


def test_node_reports_containerd_as_its_runtime(cri_node):
    node = cri_node.cluster.ok_json(cri_node.cluster.get("/api/v1/nodes/cri-node"))
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://"), node["status"]["nodeInfo"]


def test_pod_runs_on_containerd_with_logs_and_exec(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods",
                     pod("web", cri_node.image, "echo hello from containerd; exec sleep 3600")), 201)
    try:
        wait_until("pod web Running", lambda: main_status(c, ns, "web").get("state", {}).get("running"), timeout=90)
    except AssertionError:
        raise AssertionError(f"{main_status(c, ns, 'web')['_pod'].get('status')}\n{cri_node.diagnostics()}")
    status = main_status(c, ns, "web")
    assert status["containerID"].startswith("containerd://"), status
    assert status["imageID"], status
    pod_ip = status["_pod"]["status"].get("podIP", "")
    assert pod_ip.startswith("10.91."), status["_pod"]["status"]
    # The container is containerd's: its CRI answers for it under the id the pod reports.
    cid = status["containerID"].removeprefix("containerd://")
    r = subprocess.run(["ctr", "--address", str(cri_node.containerd.socket), "-n", "k8s.io", "containers", "ls", "-q"],
                       capture_output=True, text=True, check=True)
    assert cid in r.stdout.split(), r.stdout
    wait_until("log line", lambda: "hello from containerd" in c.kubectl("logs", "-n", ns, "web", check=False).stdout,
               timeout=30)
    out = c.kubectl("exec", "-n", ns, "web", "--", "sh", "-c", "echo out; echo err >&2; hostname")
    assert out.stdout.split() == ["out", "web"], out
    assert "err" in out.stderr, out
    failed = c.kubectl("exec", "-n", ns, "web", "--", "sh", "-c", "exit 3", check=False)
    assert failed.returncode == 3, failed


def test_container_restarts_after_exit_with_its_exit_code(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods",
                     pod("crash", cri_node.image, "echo attempt; sleep 1; exit 7")), 201)
    try:
        wait_until("two restarts", lambda: main_status(c, ns, "crash").get("restartCount", 0) >= 2, timeout=120)
    except AssertionError:
        raise AssertionError(f"{main_status(c, ns, 'crash')['_pod'].get('status')}\n{cri_node.diagnostics()}")
    status = main_status(c, ns, "crash")
    last = status["lastState"]["terminated"]
    assert last["exitCode"] == 7 and last["reason"] == "Error", status
    assert "attempt" in c.kubectl("logs", "-n", ns, "crash", "--previous", check=False).stdout


def test_liveness_probe_exec_runs_through_execsync(cri_node, ns):
    c = cri_node.cluster
    body = pod("probed", cri_node.image, "echo yes > /tmp/alive; exec sleep 3600")
    body["spec"]["containers"][0]["livenessProbe"] = {
        "exec": {"command": ["grep", "-q", "yes", "/tmp/alive"]}, "periodSeconds": 1, "failureThreshold": 1}
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)
    wait_until("pod probed Running", lambda: main_status(c, ns, "probed").get("state", {}).get("running"), timeout=90)
    c.kubectl("exec", "-n", ns, "probed", "--", "sh", "-c", "echo no > /tmp/alive")
    wait_until("restart after the probe failed", lambda: main_status(c, ns, "probed").get("restartCount", 0) >= 1,
               timeout=60)


def test_interactive_exec_goes_through_the_streaming_server(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", pod("shell", cri_node.image, "exec sleep 3600")), 201)
    wait_until("pod shell Running", lambda: main_status(c, ns, "shell").get("state", {}).get("running"), timeout=90)
    out = c.kubectl("exec", "-i", "-n", ns, "shell", "--", "sh", "-c", "read line; echo got $line; exit 4",
                    input="hello\n", check=False, timeout=30)
    assert out.returncode == 4 and out.stdout.strip() == "got hello", (out, cri_node.diagnostics())
    # Input that ends reaches the command as end of file (stdin half-closed over SPDY).
    out = c.kubectl("exec", "-i", "-n", ns, "shell", "--", "sh", "-c", "wc -l; echo done",
                    input="a\nb\n", check=False, timeout=30)
    assert out.returncode == 0 and out.stdout.split() == ["2", "done"], (out, cri_node.diagnostics())


def test_port_forward_reaches_the_pod(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", pod(
        "httpd", cri_node.image, "mkdir -p /www; echo served-by-containerd > /www/index.html; exec httpd -f -p 8080 -h /www")), 201)
    wait_until("pod httpd Running", lambda: main_status(c, ns, "httpd").get("state", {}).get("running"), timeout=90)
    # kubectl port-forward gives up on the first refused connection: let httpd listen first.
    wait_until("httpd listening", lambda: c.kubectl("exec", "-n", ns, "httpd", "--", "wget", "-q", "-O-",
                                                    "http://127.0.0.1:8080/", check=False).returncode == 0, timeout=30)
    local = free_port()
    proc = c.kubectl_popen("port-forward", "-n", ns, "pod/httpd", f"{local}:8080")
    try:
        import requests
        try:
            body = wait_until("forwarded response", lambda: _get(requests, f"http://127.0.0.1:{local}/"), timeout=30)
        except AssertionError:
            proc.terminate()
            raise AssertionError(f"{proc.communicate(timeout=10)}\n{cri_node.diagnostics()}")
        assert "served-by-containerd" in body
        # A second connection through the same forward: each is its own stream to the pod.
        assert "served-by-containerd" in (_get(requests, f"http://127.0.0.1:{local}/") or "")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(requests, url):
    try:
        r = requests.get(url, timeout=3)
        return r.text if r.status_code == 200 else None
    except requests.RequestException:
        return None


def test_kyvern_crictl_shows_containerd_pods_containers_images_logs(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", pod("peek", cri_node.image, "echo peeked; exec sleep 3600")), 201)
    wait_until("pod peek Running", lambda: main_status(c, ns, "peek").get("state", {}).get("running"), timeout=90)
    cid = main_status(c, ns, "peek")["containerID"].removeprefix("containerd://")

    def crictl(*args: str) -> str:
        r = subprocess.run([str(cri_node.binary), "crictl", *args[:1], "-r", f"unix://{cri_node.containerd.socket}",
                            *args[1:]], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r
        return r.stdout

    pods = crictl("pods").splitlines()
    assert pods[0].split()[:3] == ["POD", "ID", "CREATED"], pods
    assert any(line.split()[-4:-2] == ["peek", ns] for line in pods[1:]), pods
    ps = crictl("ps").splitlines()
    assert any(line.startswith(cid[:13]) and "Running" in line and line.split()[-1] == "peek" for line in ps), ps
    assert any(line.split()[:2] == [f"{cri_node.registry.host}/busybox", "e2e"] for line in crictl("images").splitlines())
    wait_until("crictl logs", lambda: crictl("logs", cid[:13]) == "peeked\n", timeout=20)
    assert crictl("exec", cid[:13], "echo", "inside") == "inside\n"
    assert '"state" : "CONTAINER_RUNNING"' in crictl("inspect", cid[:13])


def test_containers_survive_an_agent_restart_and_are_adopted(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", pod("steady", cri_node.image, "exec sleep 3600")), 201)
    wait_until("pod steady Running", lambda: main_status(c, ns, "steady").get("state", {}).get("running"), timeout=90)
    before = main_status(c, ns, "steady")
    assert cri_node.proc.stop(signal.SIGTERM, timeout=15) == 0, cri_node.diagnostics()
    cri_node.proc.start()
    # Some seconds of the restarted agent's relisting: the container is containerd's and stays.
    time.sleep(5)
    after = wait_until("pod steady still Running", lambda: (s := main_status(c, ns, "steady")).get("state", {}).get("running") and s,
                       timeout=60)
    assert after["containerID"] == before["containerID"], (before, after)
    assert after.get("restartCount", 0) == 0, after


def test_top_reads_containerd_container_stats(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", pod("busy", cri_node.image, "while true; do :; done")), 201)
    wait_until("pod busy Running", lambda: main_status(c, ns, "busy").get("state", {}).get("running"), timeout=90)

    def top_pod():
        cp = c.kubectl("top", "pod", "busy", "-n", ns, check=False)
        return cp.stdout.splitlines() if cp.returncode == 0 else None

    lines = wait_until("kubectl top pod", top_pod, timeout=60, interval=1)
    name, cpu, memory = lines[1].split()
    assert name == "busy" and cpu.endswith("m") and int(cpu[:-1]) >= 100, lines  # a busy loop burns ≥ 0.1 core
    assert memory.endswith("Mi"), lines


def test_stats_summary_has_the_image_filesystem_and_pod_usage(cri_node, ns):
    import requests
    import urllib3

    urllib3.disable_warnings()
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", pod("summed", cri_node.image, "exec sleep 3600")), 201)
    wait_until("pod summed Running", lambda: main_status(c, ns, "summed").get("state", {}).get("running"), timeout=90)
    token = (cri_node.data / "node-token").read_text().strip()

    def summary():
        r = requests.get(f"https://127.0.0.1:{cri_node.kubelet_port}/stats/summary", verify=False, timeout=20,
                         headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        body = r.json()
        mine = [p for p in body["pods"] if p["podRef"] == {"name": "summed", "namespace": ns, "uid": p["podRef"]["uid"]}]
        return (body, mine[0]) if mine and mine[0]["containers"] else None

    body, entry = wait_until("the pod in the summary", summary, timeout=60, interval=1)
    image_fs = body["node"]["runtime"]["imageFs"]
    assert image_fs["usedBytes"] > 0 and image_fs["inodesUsed"] > 0, image_fs
    assert image_fs["capacityBytes"] >= image_fs["usedBytes"] and image_fs["availableBytes"] > 0, image_fs
    # The pod's figures: its sandbox's cgroup where the runtime reports it, never less than its container's.
    container = entry["containers"][0]
    assert container["name"] == "main" and container["memory"]["workingSetBytes"] > 0, entry
    assert entry["memory"]["workingSetBytes"] >= container["memory"]["workingSetBytes"], entry
    assert entry["cpu"]["usageCoreNanoSeconds"] >= container["cpu"]["usageCoreNanoSeconds"] > 0, entry


def test_a_memory_hog_over_its_limit_is_oom_killed(cri_node, ns):
    c = cri_node.cluster
    body = pod("hog", cri_node.image, 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done', restartPolicy="Never")
    body["spec"]["containers"][0]["resources"] = {"limits": {"memory": "32Mi"}, "requests": {"memory": "32Mi"}}
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)
    p = wait_until("pod Failed", lambda: (s := main_status(c, ns, "hog"))["_pod"]["status"].get("phase") == "Failed" and s,
                   timeout=90)
    term = p["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137, term


def test_secret_and_emptydir_volumes_are_mounted(cri_node, ns):
    c = cri_node.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"token": "s3cret"}}), 201)
    body = pod("vols", cri_node.image, "echo shared > /scratch/f; exec sleep 3600")
    body["spec"]["volumes"] = [{"name": "creds", "secret": {"secretName": "creds"}}, {"name": "scratch", "emptyDir": {}}]
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "creds", "mountPath": "/etc/creds", "readOnly": True},
                                                     {"name": "scratch", "mountPath": "/scratch"}]
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)
    wait_until("pod vols Running", lambda: main_status(c, ns, "vols").get("state", {}).get("running"), timeout=90)
    out = c.kubectl("exec", "-n", ns, "vols", "--", "cat", "/etc/creds/token", "/scratch/f").stdout
    assert out == "s3cretshared\n", out
    denied = c.kubectl("exec", "-n", ns, "vols", "--", "sh", "-c", "echo x > /etc/creds/new", check=False)
    assert denied.returncode != 0, denied


def test_image_pull_secret_authenticates_containerd_pull(cri_node, ns):
    import base64
    import json as jsonlib

    c = cri_node.cluster
    with images.Registry(htpasswd={"puller": "pa55"}) as private:
        layout = cri_node.root / "private-layout"
        if not layout.exists():
            images.build_busybox_layout(layout, name=None)
        private.push_layout(layout, "secret/busybox:e2e", creds=("puller", "pa55"))
        host_dir = cri_node.containerd.certs / private.host
        host_dir.mkdir(parents=True, exist_ok=True)
        (host_dir / "hosts.toml").write_text(
            f'server = "http://{private.host}"\n\n[host."http://{private.host}"]\n  capabilities = ["pull", "resolve"]\n')
        auth = base64.b64encode(b"puller:pa55").decode()
        config = {"auths": {private.host: {"username": "puller", "password": "pa55", "auth": auth}}}
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(jsonlib.dumps(config).encode()).decode()}}), 201)
        image = f"{private.host}/secret/busybox:e2e"
        without = pod("nocreds", image, "exec sleep 3600")
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", without), 201)
        with_secret = pod("withcreds", image, "exec sleep 3600", imagePullSecrets=[{"name": "regcred"}])
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", with_secret), 201)
        try:
            wait_until("withcreds Running", lambda: main_status(c, ns, "withcreds").get("state", {}).get("running"), timeout=90)
        except AssertionError:
            raise AssertionError(f"{main_status(c, ns, 'withcreds')}\n{cri_node.diagnostics()}")
        waiting = wait_until("nocreds pull refused", lambda: (main_status(c, ns, "nocreds").get("state", {}).get("waiting") or {})
                             .get("reason") in ("ErrImagePull", "ImagePullBackOff") and main_status(c, ns, "nocreds"), timeout=60)
        assert not waiting.get("state", {}).get("running"), waiting
