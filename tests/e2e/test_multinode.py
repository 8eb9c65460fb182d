"""Two nodes, each its own host (network namespace): pods get addresses from their node's range,
reach pods on the other node directly and through a Service by name, and a Service with
`internalTrafficPolicy: Local` answers only from the caller's node."""
from __future__ import annotations

import collections
import ipaddress
import json

import pytest

from e2e_harness import wait_until
from node_cluster import IMAGE, pod_namespace_fixture, started_with_runc

HTTPD = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"


@pytest.fixture(scope="module")
def two_nodes(kyvern_bin):
    from multi_node import TwoNodeCluster

    yield from started_with_runc(lambda: TwoNodeCluster(kyvern_bin))


ns2 = pod_namespace_fixture("ns2", "two_nodes", "mn-")


def server_pod(name, node, app):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "httpd", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sh", "-c", HTTPD], "ports": [{"containerPort": 8080}],
                                     "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}}]}}


def client_pod(name, node):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sleep", "3600"]}]}}


def apply(c, ns, *objects):
    c.kubectl("apply", "-n", ns, "-f", "-", input="\n---\n".join(json.dumps(o) for o in objects))


def wait_ready(c, ns, *names):
    for name in names:
        c.kubectl("wait", "-n", ns, f"pod/{name}", "--for=condition=Ready", "--timeout=90s")
    return {n: json.loads(c.kubectl("get", "pod", n, "-n", ns, "-o", "json").stdout) for n in names}


def exec_in(c, ns, pod, script):
    return c.kubectl("exec", "-n", ns, pod, "--", "sh", "-c", script, timeout=60, check=False)


def test_each_node_gets_its_own_pod_range_from_the_cluster_cidr(two_nodes):
    c = two_nodes.cluster
    ranges = {}
    for node in ("node-a", "node-b"):
        n = c.ok_json(c.get(f"/api/v1/nodes/{node}"))
        ranges[node] = ipaddress.ip_network(n["spec"]["podCIDR"])
        assert n["spec"]["podCIDRs"] == [n["spec"]["podCIDR"]]
        assert ranges[node].prefixlen == 24 and ranges[node].subnet_of(ipaddress.ip_network("10.42.0.0/16"))
    assert ranges["node-a"] != ranges["node-b"]


def test_a_pod_reaches_a_pod_on_the_other_node_by_ip_and_by_service_name(two_nodes, ns2):
    c = two_nodes.cluster
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "far"},
           "spec": {"selector": {"app": "far"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    apply(c, ns2, server_pod("far-b", "node-b", "far"), client_pod("near-a", "node-a"), svc)
    pods = wait_ready(c, ns2, "far-b", "near-a")
    far_ip, near_ip = pods["far-b"]["status"]["podIP"], pods["near-a"]["status"]["podIP"]
    node_b = c.ok_json(c.get("/api/v1/nodes/node-b"))
    node_a = c.ok_json(c.get("/api/v1/nodes/node-a"))
    assert ipaddress.ip_address(far_ip) in ipaddress.ip_network(node_b["spec"]["podCIDR"])
    assert ipaddress.ip_address(near_ip) in ipaddress.ip_network(node_a["spec"]["podCIDR"])
    r = exec_in(c, ns2, "near-a", f"timeout 5 wget -q -O - http://{far_ip}:8080/")
    assert r.returncode == 0 and r.stdout.strip() == "far-b", r.stdout + r.stderr
    wait_until("the Service's endpoint on node-b",
               lambda: exec_in(c, ns2, "near-a", "timeout 5 wget -q -O - http://far/").stdout.strip() == "far-b", timeout=30)
    r = exec_in(c, ns2, "near-a", f"for i in $(seq 10); do timeout 5 wget -q -O - http://far.{ns2}.svc.cluster.local/ || echo FAIL; done")
    assert r.stdout.split() == ["far-b"] * 10, r.stdout + r.stderr


def test_internal_traffic_policy_local_answers_from_the_callers_node_only(two_nodes, ns2):
    c = two_nodes.cluster
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "local"},
           "spec": {"selector": {"app": "local"}, "ports": [{"port": 80, "targetPort": 8080}],
                    "internalTrafficPolicy": "Local"}}
    apply(c, ns2, server_pod("local-a", "node-a", "local"), server_pod("local-b", "node-b", "local"),
          client_pod("caller-a", "node-a"), client_pod("caller-b", "node-b"), svc)
    wait_ready(c, ns2, "local-a", "local-b", "caller-a", "caller-b")
    for caller, expected in (("caller-a", "local-a"), ("caller-b", "local-b")):
        def answers():
            r = exec_in(c, ns2, caller, "for i in $(seq 12); do timeout 5 wget -q -O - http://local/ || echo FAIL; done")
            got = collections.Counter(r.stdout.split())
            return got if set(got) == {expected} else None
        got = wait_until(f"{caller} answered by its own node's pod only", answers, timeout=30, interval=1)
        assert got[expected] == 12
