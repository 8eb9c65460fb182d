"""Node failure: a simulated node whose heartbeats stop turns Ready=Unknown, gets the unreachable
taints, and its pods are evicted after their (shortened) tolerationSeconds and replaced elsewhere."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest

from test_simulated_nodes import agents, get_json, wait_for  # noqa: F401  (agents is a fixture)

pytestmark = [pytest.mark.lifecycle, pytest.mark.kubectl]

SHORT = ("--node-monitor-period", "1s", "--node-monitor-grace-period", "4s",
         "--default-not-ready-toleration-seconds", "3", "--default-unreachable-toleration-seconds", "3",
         "--node-eviction-rate", "10")


def deployment(name: str, replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}},
    }


def pods_by_node(c, app: str) -> dict[str, list[str]]:
    """Running, not terminating pods of `app` by node."""
    result: dict[str, list[str]] = {}
    for p in get_json(c, "pods", "-n", "default", "-l", f"app={app}")["items"]:
        if p["metadata"].get("deletionTimestamp") or p.get("status", {}).get("phase") != "Running":
            continue
        result.setdefault(p["spec"]["nodeName"], []).append(p["metadata"]["name"])
    return result


def test_a_silent_node_turns_unknown_is_tainted_and_its_pods_are_replaced_elsewhere(server_factory, agents):
    server = server_factory.new(*SHORT)
    c = server_factory.client(server)
    doomed = agents(server, "--simulate", "2", "--node-name-prefix", "doomed", "--lease-renew-interval", "1s")
    healthy = agents(server, "--simulate", "2", "--node-name-prefix", "healthy", "--lease-renew-interval", "1s")
    wait_for("4 Ready nodes", lambda: sum(" Ready " in r for r in c.kubectl("get", "nodes").stdout.splitlines()) == 4,
             agent=healthy)
    c.kubectl("apply", "-f", "-", input=json.dumps(deployment("web", 6)))
    wait_for("6 pods running on both groups",
             lambda: (lambda by: sum(map(len, by.values())) == 6 and any(n.startswith("doomed") for n in by))(pods_by_node(c, "web")),
             timeout=60, agent=healthy)
    victims = {n: names for n, names in pods_by_node(c, "web").items() if n.startswith("doomed")}
    pod = get_json(c, "pod", next(iter(victims.values()))[0], "-n", "default")
    assert [t for t in pod["spec"]["tolerations"] if t["key"].startswith("node.kubernetes.io/")] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 3},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 3}]

    os.kill(doomed.proc.pid, signal.SIGKILL)  # the node agent dies: no more Lease renewals
    doomed.proc.wait(timeout=10)
    t0 = time.monotonic()

    def unknown():
        rows = c.kubectl("get", "nodes").stdout.splitlines()
        bad = [r for r in rows if r.startswith("doomed-") and re.search(r"\sNotReady\s", r)]
        return rows if len(bad) == 2 else None

    rows = wait_for("doomed nodes NotReady", unknown, timeout=30, agent=healthy)
    assert time.monotonic() - t0 >= 3, rows  # not before the 4 s grace period (less the last renewal's age)
    node = get_json(c, "node", "doomed-0")
    ready = next(x for x in node["status"]["conditions"] if x["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert sorted(x["type"] for x in node["status"]["conditions"] if x["status"] == "Unknown") == [
        "DiskPressure", "MemoryPressure", "PIDPressure", "Ready"]

    def tainted():
        taints = get_json(c, "node", "doomed-0")["spec"].get("taints", [])
        return taints if {(t["key"], t["effect"]) for t in taints} >= {
            ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")} else None

    taints = wait_for("unreachable taints", tainted, timeout=10, agent=healthy)
    assert all("timeAdded" in t for t in taints if t["effect"] == "NoExecute"), taints

    by = wait_for("6 pods running on the healthy nodes",
                  lambda: (lambda by: by if sum(map(len, by.values())) == 6 and all(n.startswith("healthy") for n in by) else None)(
                      pods_by_node(c, "web")), timeout=40, agent=healthy)
    assert set(by) <= {"healthy-0", "healthy-1"}
    # The evicted pods carry the DisruptionTarget condition and stay Terminating on the dead node.
    for name in [n for names in victims.values() for n in names]:
        p = get_json(c, "pod", name, "-n", "default")
        assert p["metadata"]["deletionTimestamp"], p["metadata"]
        cond = next(x for x in p["status"]["conditions"] if x["type"] == "DisruptionTarget")
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
        # Marked not ready when their node went silent (upstream's MarkPodsNotReady).
        ready = next(x for x in p["status"]["conditions"] if x["type"] == "Ready")
        assert ready["status"] == "False", p["status"]["conditions"]
    not_ready = c.kubectl("get", "events", "-n", "default", "--field-selector", "reason=NodeNotReady,type=Warning",
                          "-o", "json").stdout
    marked = {e["involvedObject"]["name"] for e in json.loads(not_ready)["items"] if e["message"] == "Node is not ready"}
    assert marked >= {n for names in victims.values() for n in names}, marked
    events = c.kubectl("get", "events", "-n", "default", "--field-selector", "reason=TaintManagerEviction",
                       "-o", "jsonpath={.items[*].message}").stdout
    for name in [n for names in victims.values() for n in names]:
        assert f"Marking for deletion Pod default/{name}" in events, events

