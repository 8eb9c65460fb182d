"""kubectl logs / exec / top through the API server's proxy to node agents.

The checks the API server makes itself (container choice, upstream's messages, discovery of
metrics.k8s.io) run everywhere; the ones that need containers on a real runtime are skipped
until the server's own node runs one (KYVERN_E2E_RUNTIME=runc)."""
import json
import os

import pytest

REAL_RUNTIME = os.environ.get("KYVERN_E2E_RUNTIME") == "runc"


def _pod(ns: str, name: str, containers: list[str], node: str = "ghost-node") -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"nodeName": node, "containers": [{"name": c, "image": "busybox"} for c in containers]},
    })


def test_metrics_group_discovered(cluster):
    cp = cluster.kubectl("api-versions")
    assert "metrics.k8s.io/v1beta1" in cp.stdout.split()


def test_log_container_choice_messages(cluster, ns):
    cluster.kubectl("create", "-f", "-", input=_pod(ns, "two", ["a", "b"]))
    cp = cluster.kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/pods/two/log", check=False)
    assert cp.returncode != 0
    assert "a container name must be specified for pod two, choose one of: [a b]" in cp.stderr
    cp = cluster.kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/pods/two/log?container=x", check=False)
    assert cp.returncode != 0
    assert "container x is not valid for pod two" in cp.stderr


@pytest.mark.xfail(strict=True, reason="after the refused WebSocket upgrade kubectl retries with an SPDY upgrade, "
                   "and the HTTP/1.1 WebSocket channel closes a connection asking for an unknown upgrade instead "
                   "of answering it with the Status")
def test_exec_into_pod_without_status(cluster, ns):
    cluster.kubectl("create", "-f", "-", input=_pod(ns, "one", ["c"]))
    cp = cluster.kubectl("exec", "one", "-n", ns, "--", "true", check=False)
    assert cp.returncode != 0
    assert 'container "c" in pod "one" is not available' in cp.stderr


@pytest.mark.skipif(not REAL_RUNTIME, reason="needs the server's node on a real runtime")
def test_logs_and_exec_on_real_container(cluster, ns):
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker", "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", "echo hello; sleep 3600"]}]},
    }
    cluster.kubectl("create", "-f", "-", input=json.dumps(pod))
    cluster.kubectl("wait", "--for=condition=Ready", "pod/talker", "-n", ns, "--timeout=60s")
    assert cluster.kubectl("logs", "talker", "-n", ns).stdout == "hello\n"
    assert cluster.kubectl("exec", "talker", "-n", ns, "--", "echo", "hi").stdout == "hi\n"
    cp = cluster.kubectl("exec", "talker", "-n", ns, "--", "sh", "-c", "exit 3", check=False)
    assert cp.returncode == 3
    cp = cluster.kubectl("exec", "-i", "talker", "-n", ns, "--", "cat", input="piped\n")
    assert cp.stdout == "piped\n"
