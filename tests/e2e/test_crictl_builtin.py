"""`kyvern crictl` on a node running the built-in runc runtime: it finds the runtime the agent recorded in its data
directory and shows the same pods, containers, images, logs and exec as through the API."""

from __future__ import annotations

import json
import subprocess

from e2e_harness import wait_until
from test_agent_pods import get_pod, nns, pod  # noqa: F401 (nns is a fixture)


def test_crictl_finds_the_builtin_runtime_and_shows_pods_containers_images_logs_exec(node_cluster, nns):
    c = node_cluster.cluster
    record = json.loads((node_cluster.data / "agent" / "runtime.json").read_text())
    assert record == {"runtime": "runc"}

    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("peek", "echo peeked; exec sleep 3600")), 201)
    wait_until("pod peek Running",
               lambda: (get_pod(c, nns, "peek").get("status", {}).get("containerStatuses") or [{}])[0]
               .get("state", {}).get("running"), timeout=90)
    cid = get_pod(c, nns, "peek")["status"]["containerStatuses"][0]["containerID"].removeprefix("runc://")

    def crictl(*args: str) -> str:
        r = subprocess.run([str(node_cluster.binary), "crictl", *args[:1], "--data-dir", str(node_cluster.data),
                            *args[1:]], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r
        return r.stdout

    pods = crictl("pods").splitlines()
    assert pods[0].split()[:3] == ["POD", "ID", "CREATED"], pods
    assert any(line.split()[-4:-2] == ["peek", nns] for line in pods[1:]), pods
    ps = crictl("ps").splitlines()
    assert any(line.startswith(cid[:13]) and "Running" in line and line.split()[-1] == "peek" for line in ps), ps
    images = crictl("images").splitlines()
    assert images[0].split()[:2] == ["IMAGE", "TAG"], images
    assert len(images) >= 2, images
    wait_until("crictl logs", lambda: crictl("logs", cid[:13]) == "peeked\n", timeout=20)
    assert crictl("exec", cid[:13], "echo", "inside") == "inside\n"
    inspected = json.loads(crictl("inspect", cid[:13]))
    assert inspected["id"] == cid and inspected["state"] == "CONTAINER_RUNNING"

    # A command that fails passes its exit code on; an unknown id is an error.
    r = subprocess.run([str(node_cluster.binary), "crictl", "exec", "--data-dir", str(node_cluster.data), cid[:13],
                        "sh", "-c", "exit 3"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 3, r
    r = subprocess.run([str(node_cluster.binary), "crictl", "inspect", "--data-dir", str(node_cluster.data), "nosuchid"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "no container with id nosuchid" in r.stderr, r
