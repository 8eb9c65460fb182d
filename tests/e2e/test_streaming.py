"""kubectl logs / exec / top through the API server's proxy to node agents.

The checks the API server makes itself (container choice, upstream's messages, discovery of
metrics.k8s.io) run here on the shared server; the ones on real containers are in
test_agent_streaming.py (a server with its runc node agent)."""
import json


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


def test_exec_into_pod_without_status(cluster, ns):
    cluster.kubectl("create", "-f", "-", input=_pod(ns, "one", ["c"]))
    cp = cluster.kubectl("exec", "one", "-n", ns, "--", "true", check=False)
    assert cp.returncode != 0
    assert 'container "c" in pod "one" is not available' in cp.stderr
