"""PodDisruptionBudgets, the Eviction subresource and `kubectl cordon/uncordon/drain` on simulated nodes."""

from __future__ import annotations

import json

import pytest

from test_node_lifecycle import deployment, pods_by_node
from test_simulated_nodes import agents, get_json, wait_for  # noqa: F401  (agents is a fixture)

pytestmark = [pytest.mark.lifecycle, pytest.mark.kubectl]


def budget(c) -> dict:
    return get_json(c, "pdb", "web", "-n", "default").get("status", {})


def test_drain_respects_a_budget_of_min_available_2(server_factory, agents):
    server = server_factory.new()
    c = server_factory.client(server)
    agent = agents(server, "--simulate", "2", "--node-name-prefix", "drain", "--lease-renew-interval", "1s")
    wait_for("2 Ready nodes", lambda: sum(" Ready " in r for r in c.kubectl("get", "nodes").stdout.splitlines()) == 2,
             agent=agent)

    assert c.kubectl("cordon", "drain-1").stdout.strip() == "node/drain-1 cordoned"
    node = get_json(c, "node", "drain-1")
    assert node["spec"]["unschedulable"] is True
    wait_for("unschedulable taint", lambda: get_json(c, "node", "drain-1")["spec"].get("taints") == [
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}], agent=agent)

    c.kubectl("apply", "-f", "-", input=json.dumps(deployment("web", 3)))
    wait_for("3 pods on drain-0", lambda: {n: len(p) for n, p in pods_by_node(c, "web").items()} == {"drain-0": 3},
             timeout=60, agent=agent)
    assert c.kubectl("create", "pdb", "web", "-n", "default", "--selector=app=web", "--min-available=2").stdout.strip() == \
        "poddisruptionbudget.policy/web created"
    status = wait_for("budget counted", lambda: (lambda s: s if s.get("disruptionsAllowed") == 1 else None)(budget(c)),
                      agent=agent)
    assert (status["currentHealthy"], status["desiredHealthy"], status["expectedPods"], status["observedGeneration"]) == (3, 2, 3, 1)
    assert [(x["type"], x["status"], x["reason"]) for x in status["conditions"]] == [("DisruptionAllowed", "True", "SufficientPods")]
    rows = c.kubectl("get", "pdb", "web", "-n", "default").stdout.splitlines()
    assert rows[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"], rows
    assert rows[1].split()[:4] == ["web", "2", "N/A", "1"], rows

    assert c.kubectl("uncordon", "drain-1").stdout.strip() == "node/drain-1 uncordoned"
    wait_for("taint gone", lambda: not get_json(c, "node", "drain-1")["spec"].get("taints"), agent=agent)

    victims = pods_by_node(c, "web")["drain-0"]
    cp = c.kubectl("drain", "drain-0", "--ignore-daemonsets", "--timeout=120s", check=False)
    assert cp.returncode == 0, cp.stderr
    out = cp.stdout
    assert "node/drain-0 cordoned" in out, out
    for name in victims:
        assert f"evicting pod default/{name}" in out, out
        assert f"pod/{name} evicted" in out, out
    assert out.rstrip().endswith("node/drain-0 drained"), out
    # At least one eviction was refused and retried until replacements were Ready elsewhere.
    assert "(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget." in cp.stderr, cp.stderr
    by = wait_for("3 pods on drain-1", lambda: (lambda b: b if {n: len(p) for n, p in b.items()} == {"drain-1": 3} else None)(
        pods_by_node(c, "web")), timeout=30, agent=agent)
    assert by
    assert get_json(c, "node", "drain-0")["spec"]["unschedulable"] is True


def test_eviction_over_budget_is_refused_with_429(server_factory, agents):
    server = server_factory.new()
    c = server_factory.client(server)
    agent = agents(server, "--simulate", "1", "--node-name-prefix", "ev", "--lease-renew-interval", "1s")
    wait_for("node Ready", lambda: " Ready " in c.kubectl("get", "nodes").stdout, agent=agent)
    c.kubectl("apply", "-f", "-", input=json.dumps(deployment("web", 2)))
    wait_for("2 pods", lambda: sum(map(len, pods_by_node(c, "web").values())) == 2, timeout=60, agent=agent)
    c.kubectl("create", "pdb", "web", "-n", "default", "--selector=app=web", "--min-available=2")
    wait_for("budget counted", lambda: budget(c).get("currentHealthy") == 2, agent=agent)
    name = pods_by_node(c, "web")["ev-0"][0]
    from kubernetes import client as k8s
    from kubernetes.client.rest import ApiException
    api = k8s.CoreV1Api(c.api_client)
    with pytest.raises(ApiException) as err:
        api.create_namespaced_pod_eviction(name, "default", k8s.V1Eviction(metadata=k8s.V1ObjectMeta(name=name, namespace="default")))
    assert err.value.status == 429
    body = json.loads(err.value.body)
    assert (body["reason"], body["message"]) == ("TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.")
    assert body["details"]["causes"] == [{"reason": "DisruptionBudget",
                                          "message": "The disruption budget web needs 2 healthy pods and has 2 currently"}]
