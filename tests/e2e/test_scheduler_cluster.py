"""The scheduler reading more of the cluster than nodes and pods: namespace labels for affinity
`namespaceSelector`, PodDisruptionBudgets for preemption; and the simulated agent's metrics
endpoint. A standalone `kyvern scheduler` against a throw-away server with simulated nodes."""
from __future__ import annotations

import re
import time

import requests

from test_scheduler import BIND_TIMEOUT, Component, free_port, pod, sim, wait_until  # noqa: F401 (sim is a fixture)


def test_pod_affinity_namespace_selector_matches_pods_of_labelled_namespaces(sim):
    c = sim(3)
    first, second, _ = c.node_names
    c.create_namespace("team-a")
    c.create_namespace("other")
    c.create_namespace("web")
    c.api.kubectl("label", "namespace", "team-a", "team=a")
    # The same labels in two namespaces; only team-a's namespace is selected.
    c.create("other", pod("db", labels={"app": "db"}, nodeName=first))
    c.create("team-a", pod("db", labels={"app": "db"}, nodeName=second))
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname",
        "namespaceSelector": {"matchLabels": {"team": "a"}}}]}}
    c.create("web", pod("front", affinity=affinity))
    assert c.wait_bound("web", "front") == second


def test_preemption_prefers_the_victim_whose_budget_allows_a_disruption(sim):
    c = sim(2)
    cpu, _ = c.allocatable(c.node_names[0])
    c.create_namespace("pdb")
    share = cpu * 6 // 10  # one such pod per node
    # "guarded" starts last, so without budgets it would be the preferred victim (latest start).
    c.create("pdb", pod("spare", cpu_m=share, labels={"app": "spare"}))
    spare_node = c.wait_bound("pdb", "spare")
    wait_until("spare running", lambda: c.pod("pdb", "spare")["status"].get("phase") == "Running")
    time.sleep(1.1)  # start times have one-second resolution
    c.create("pdb", pod("guarded", cpu_m=share, labels={"app": "guarded"}))
    guarded_node = c.wait_bound("pdb", "guarded")
    assert guarded_node != spare_node
    # the disruption controller computes the budgets: guarded may lose none, spare one
    for name, allowed in (("guarded", 0), ("spare", 1)):
        c.api.ok_json(c.api.post("/apis/policy/v1/namespaces/pdb/poddisruptionbudgets", {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"minAvailable": 1 - allowed, "selector": {"matchLabels": {"app": name}}}}), 201)
    for name, allowed in (("guarded", 0), ("spare", 1)):
        wait_until(f"budget {name} computed", lambda name=name, allowed=allowed: (lambda st: st.get(
            "observedGeneration") == 1 and st.get("currentHealthy") == 1 and st.get("disruptionsAllowed", 0) == allowed)(
            c.api.ok_json(c.api.get(f"/apis/policy/v1/namespaces/pdb/poddisruptionbudgets/{name}")).get("status", {})))
    c.create("pdb", pod("urgent", cpu_m=share, priorityClassName="system-cluster-critical"))
    assert c.wait_bound("pdb", "urgent") == spare_node
    assert c.api.get("/api/v1/namespaces/pdb/pods/spare").status_code == 404
    assert c.pod("pdb", "guarded")["spec"]["nodeName"] == guarded_node


def test_simulated_agent_serves_its_metrics(server_factory):
    server = server_factory.new("--disable-scheduler")
    address = f"127.0.0.1:{free_port()}"
    agent = Component([str(server.binary), "agent", "--simulate", "3", "--kubeconfig", str(server.kubeconfig_path),
                       "--metrics-bind-address", address], server.data_dir.parent / "agent.log")
    try:
        def scraped():
            assert agent.alive(), agent.tail()
            try:
                r = requests.get(f"http://{address}/metrics", timeout=5)
            except requests.ConnectionError:
                return None
            return r if re.search(r"^kyvern_simulated_nodes 3(\.0)?$", r.text, re.M) else None

        r = wait_until("the agent's metrics", scraped, timeout=60)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert "# TYPE kyvern_simulated_node_lease_renewals_total counter" in r.text
        health = requests.get(f"http://{address}/healthz", timeout=5)
        assert (health.status_code, health.text) == (200, "ok")
    finally:
        agent.stop()


SPREAD_BY_DEFAULT = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      enabled:
      - name: NodeResourcesFit
        weight: 5
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
  - name: PodTopologySpread
    args:
      defaultingType: List
      defaultConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: DoNotSchedule
"""


def test_default_spreading_applies_to_the_pods_a_service_selects(sim):
    c = sim(2, SPREAD_BY_DEFAULT)
    first, second = c.node_names
    cpu, _ = c.allocatable(first)
    share = cpu * 3 // 10  # three fit on a node: only the constraint keeps web-1 off the first
    c.create_namespace("svc")
    c.api.ok_json(c.api.post("/api/v1/namespaces/svc/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}), 201)
    c.create("svc", pod("web-0", cpu_m=share, labels={"app": "web"}, nodeName=first))
    c.wait_bound("svc", "web-0")
    # Bin-packing alone would put a pod beside web-0; outside the Service it does.
    c.create("svc", pod("loner", cpu_m=share, labels={"app": "other"}))
    assert c.wait_bound("svc", "loner") == first
    # The Service's pods get the default constraint (hostname, maxSkew 1): web-1 must go elsewhere.
    c.create("svc", pod("web-1", cpu_m=share, labels={"app": "web"}))
    assert c.wait_bound("svc", "web-1") == second
