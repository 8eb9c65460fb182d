"""NetworkPolicies on a real node, as a new user tries them: only `app=api` pods reach the
`app=db` pod on 5432; a named port; an ipBlock with an exception and a port range; a
namespaceSelector admits pods of labelled namespaces only; an egress policy leaves a pod nothing
but DNS; deleting a policy restores traffic; the node's rules follow a new policy within a second
and its probes keep passing; across two nodes, ingress is enforced at the target's node and
egress at the source's.

Runs on the shared `node_cluster` (runc, CNI bridge, the agent's policy controller), once with
the proxy in nftables mode (table `inet kyvern-policy`) and once restarted with `--proxy-mode
iptables` (chains `KYVERN-NETPOL-*` in the filter table, and no nft table); the two-node case
likewise, its agents restarted in iptables mode. Traffic goes only to the cluster's own pod IPs and cluster DNS."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid

import pytest

from e2e_harness import wait_until
from node_cluster import IMAGE, pod_namespace_fixture
from test_multinode import two_nodes  # noqa: F401 (a fixture: two nodes, each its own host)

ns2 = pod_namespace_fixture("ns2", "policy_two_nodes", "np-")
nns = pod_namespace_fixture("nns", "policy_node", "netpol-")

pytestmark = pytest.mark.skipif(shutil.which("nft") is None or shutil.which("iptables-save") is None,
                                reason="policies are enforced with nftables or iptables")

# Serves on 5432 (the "database") and on 8080, so a rule's port can be told from its peer.
SERVE = ("mkdir -p /www && hostname > /www/index.html && httpd -p 8080 -h /www && "
         "exec httpd -f -p 5432 -h /www")


def make_pod(c, ns, name, labels, command="exec sleep 3600", ports=(), probe_port=None):
    container = {"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", command],
                 "ports": [{"name": n, "containerPort": p} for n, p in ports]}
    if probe_port:
        container["readinessProbe"] = {"tcpSocket": {"port": probe_port}, "periodSeconds": 1}
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]}}
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)


def ready_ip(c, ns, name, timeout=90):
    def check():
        pod = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods/{name}"))
        ready = any(x["type"] == "Ready" and x["status"] == "True" for x in pod["status"].get("conditions", []))
        return pod["status"].get("podIP") if ready else None
    return wait_until(f"pod {ns}/{name} ready", check, timeout=timeout)


def reaches(c, ns, pod, ip, port, timeout=2) -> bool:
    r = c.kubectl("exec", "-n", ns, pod, "--", "sh", "-c",
                  f"timeout {timeout} wget -q -O - http://{ip}:{port}/ >/dev/null 2>&1 && echo OK || echo FAIL",
                  check=False, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip() == "OK"


def create_policy(c, ns, name, spec) -> float:
    """Creates the policy; returns the time the API answered."""
    c.ok_json(c.post(f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
                     {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name},
                      "spec": spec}), 201)
    return time.monotonic()


def delete_policy(c, ns, name):
    c.ok_json(c.delete(f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/{name}"))


class PolicyNode:
    """The shared node cluster with the proxy (and so the policy controller) in `mode`."""

    def __init__(self, node_cluster, mode: str):
        self.node_cluster = node_cluster
        self.cluster = node_cluster.cluster
        self.pod_cidr = getattr(node_cluster, "pod_cidr", None)
        self.mode = mode


@pytest.fixture(scope="module", params=["nftables", "iptables"])
def policy_node(request, node_cluster):
    """The shared node cluster as it is (nftables), or restarted with `--proxy-mode iptables` and
    restarted back as it was afterwards, also when a test failed (its pods are adopted across)."""
    mode = request.param
    if mode == "nftables":
        yield PolicyNode(node_cluster, mode)
        return
    proc = node_cluster.proc
    before = proc.extra_args
    proc.extra_args = before + ("--proxy-mode", "iptables")
    try:
        node_cluster.restart_server()
        wait_until("the node's policy chains in place", lambda: "KYVERN-NETPOL-FORWARD" in iptables_save(), timeout=30)
        # Above the proxy's jump (which accepts traffic marked for masquerading), whichever came first.
        wait_until("the policy hook first in FORWARD", lambda: first_rule("FORWARD").endswith("-j KYVERN-NETPOL-FORWARD"),
                   timeout=15)
        yield PolicyNode(node_cluster, mode)
    finally:
        proc.extra_args = before
        node_cluster.restart_server()


@pytest.fixture(scope="module", params=["nftables", "iptables"])
def policy_two_nodes(request, two_nodes):
    """The shared two-node cluster as it is, or with both agents restarted with `--proxy-mode
    iptables` (and restarted back afterwards, also when a test failed)."""
    mode = request.param
    if mode == "nftables":
        yield PolicyNode(two_nodes, mode)
        return
    try:
        two_nodes.restart_agents(("--proxy-mode", "iptables"))
        for netns in ("kyv-node-a", "kyv-node-b"):
            wait_until(f"policy chains in {netns}", lambda: "KYVERN-NETPOL-FORWARD" in iptables_save(netns), timeout=30)
        yield PolicyNode(two_nodes, mode)
    finally:
        two_nodes.restart_agents(())


def iptables_save(netns: str | None = None) -> str:
    argv = ["iptables-save", "-t", "filter"]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    return subprocess.run(argv, capture_output=True, text=True).stdout


def first_rule(chain: str) -> str:
    return next((line for line in iptables_save().splitlines() if line.startswith(f"-A {chain} ")), "")


def nft_table_exists(netns: str | None = None) -> bool:
    argv = ["nft", "list", "table", "inet", "kyvern-policy"]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    return subprocess.run(argv, capture_output=True).returncode == 0


def isolated(direction: str) -> set[str]:
    """Pod addresses the node isolates for `direction`: in the nft table's `<direction>-pods`
    map, or (iptables mode) dispatched from chain KYVERN-NETPOL-<DIRECTION>."""
    save = iptables_save()
    chain = f"-A KYVERN-NETPOL-{direction.upper()} "
    from_chains = {line.split()[3].split("/")[0] for line in save.splitlines() if line.startswith(chain)}
    if from_chains or ":KYVERN-NETPOL-FORWARD" in save:
        assert not nft_table_exists(), "iptables mode leaves no nft table"
        return from_chains
    r = subprocess.run(["nft", "-j", "list", "map", "inet", "kyvern-policy", f"{direction}-pods"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return set()
    addresses = set()
    for item in json.loads(r.stdout)["nftables"]:
        for element in (item.get("map") or {}).get("elem") or []:
            addresses.add(element[0])
    return addresses


@pytest.fixture
def other_ns(policy_node):
    """A second namespace, deleted with its pods afterwards."""
    c = policy_node.cluster
    ns = "netpol-" + uuid.uuid4().hex[:8]
    c.create_namespace(ns)
    try:
        yield ns
    finally:
        for item in c.get(f"/api/v1/namespaces/{ns}/pods").json().get("items", []):
            c.delete(f"/api/v1/namespaces/{ns}/pods/{item['metadata']['name']}", params={"gracePeriodSeconds": "0"})
        c.delete_namespace(ns)


def test_only_api_pods_reach_the_database_and_only_on_its_port(policy_node, nns):
    c = policy_node.cluster
    make_pod(c, nns, "db", {"app": "db"}, SERVE, ports=[("postgres", 5432)], probe_port=5432)
    make_pod(c, nns, "api", {"app": "api"})
    make_pod(c, nns, "other", {"app": "web"})
    db = ready_ip(c, nns, "db")
    ready_ip(c, nns, "api")
    ready_ip(c, nns, "other")
    assert reaches(c, nns, "other", db, 5432) and reaches(c, nns, "api", db, 5432)

    created = create_policy(c, nns, "db-from-api", {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
                     "ports": [{"protocol": "TCP", "port": 5432}]}],
    })
    wait_until("the db pod isolated in the node's rules", lambda: db in isolated("ingress"), timeout=5, interval=0.05)
    took = time.monotonic() - created
    assert took < 1.0, f"rules followed the new policy after {took:.2f}s"

    assert reaches(c, nns, "api", db, 5432)
    assert not reaches(c, nns, "other", db, 5432)
    assert not reaches(c, nns, "api", db, 8080), "the policy allows 5432 only"
    metrics = c.get("/metrics").text
    assert "kyvern_network_policy_isolated_pods" in metrics and "kyvern_network_policy_sync_duration_seconds" in metrics
    # The node's own probes still reach the pod: it stays Ready.
    time.sleep(2)
    assert ready_ip(c, nns, "db", timeout=1) == db

    delete_policy(c, nns, "db-from-api")
    wait_until("traffic restored once the policy is gone", lambda: reaches(c, nns, "other", db, 5432), timeout=10)
    assert reaches(c, nns, "other", db, 8080)
    assert db not in isolated("ingress")


def test_a_named_port_resolves_against_the_selected_pod(policy_node, nns):
    c = policy_node.cluster
    make_pod(c, nns, "db", {"app": "db"}, SERVE, ports=[("postgres", 5432)], probe_port=5432)
    make_pod(c, nns, "api", {"app": "api"})
    db = ready_ip(c, nns, "db")
    ready_ip(c, nns, "api")
    create_policy(c, nns, "by-name", {"podSelector": {"matchLabels": {"app": "db"}},
                                      "ingress": [{"ports": [{"port": "postgres"}]}]})
    wait_until("the db pod isolated", lambda: db in isolated("ingress"), timeout=5, interval=0.05)
    assert reaches(c, nns, "api", db, 5432)
    assert not reaches(c, nns, "api", db, 8080)


def test_an_ip_block_with_an_exception_and_a_port_range(policy_node, nns):
    c = policy_node.cluster
    make_pod(c, nns, "db", {"app": "db"}, SERVE, probe_port=5432)
    make_pod(c, nns, "api", {"app": "api"})
    make_pod(c, nns, "other", {"app": "web"})
    db = ready_ip(c, nns, "db")
    ready_ip(c, nns, "api")
    other = ready_ip(c, nns, "other")
    create_policy(c, nns, "range", {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": policy_node.pod_cidr, "except": [f"{other}/32"]}}],
                     "ports": [{"protocol": "TCP", "port": 5000, "endPort": 6000}]}],
    })
    wait_until("the db pod isolated", lambda: db in isolated("ingress"), timeout=5, interval=0.05)
    assert reaches(c, nns, "api", db, 5432)
    assert not reaches(c, nns, "api", db, 8080), "8080 is outside 5000-6000"
    assert not reaches(c, nns, "other", db, 5432), "the block's exception"


def test_a_namespace_selector_admits_pods_of_labelled_namespaces_only(policy_node, nns, other_ns):
    c = policy_node.cluster
    c.kubectl("label", "namespace", other_ns, "team=trusted")
    make_pod(c, nns, "db", {"app": "db"}, SERVE, probe_port=5432)
    make_pod(c, nns, "neighbour", {"app": "api"})
    make_pod(c, other_ns, "visitor", {"app": "anything"})
    db = ready_ip(c, nns, "db")
    ready_ip(c, nns, "neighbour")
    ready_ip(c, other_ns, "visitor")
    create_policy(c, nns, "from-trusted", {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "trusted"}}}]}],
    })
    wait_until("the db pod isolated", lambda: db in isolated("ingress"), timeout=5, interval=0.05)
    assert reaches(c, other_ns, "visitor", db, 5432)
    assert not reaches(c, nns, "neighbour", db, 5432), "the policy's own namespace is not labelled"

    # Taking the label away shuts the visitor out too.
    c.kubectl("label", "namespace", other_ns, "team-")
    wait_until("the visitor shut out", lambda: not reaches(c, other_ns, "visitor", db, 5432), timeout=10)


def test_an_egress_policy_leaves_nothing_but_dns(policy_node, nns):
    c = policy_node.cluster
    make_pod(c, nns, "web", {"app": "web"}, SERVE, probe_port=8080)
    make_pod(c, nns, "locked", {"app": "locked"})
    web = ready_ip(c, nns, "web")
    locked = ready_ip(c, nns, "locked")
    assert reaches(c, nns, "locked", web, 8080)

    create_policy(c, nns, "dns-only", {
        "podSelector": {"matchLabels": {"app": "locked"}},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
    })
    wait_until("the locked pod isolated for egress", lambda: locked in isolated("egress"), timeout=5, interval=0.05)
    assert locked not in isolated("ingress"), "an Egress-only policy leaves ingress open"
    r = c.kubectl("exec", "-n", nns, "locked", "--", "nslookup", "kubernetes.default.svc.cluster.local",
                  check=False, timeout=30)
    assert r.returncode == 0 and "10.43.0.1" in r.stdout, r.stdout + r.stderr
    assert not reaches(c, nns, "locked", web, 8080)

    delete_policy(c, nns, "dns-only")
    wait_until("egress restored", lambda: reaches(c, nns, "locked", web, 8080), timeout=10)


def test_policies_apply_across_nodes_ingress_at_the_target_egress_at_the_source(policy_two_nodes, ns2):
    c = policy_two_nodes.cluster
    for name, node, labels, command in (("db", "node-a", {"app": "db"}, SERVE), ("api", "node-b", {"app": "api"}, None),
                                        ("other", "node-b", {"app": "web"}, None)):
        container = {"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                     "command": ["sh", "-c", command or "exec sleep 3600"]}
        if command:
            container["readinessProbe"] = {"tcpSocket": {"port": 5432}, "periodSeconds": 1}
        c.ok_json(c.post(f"/api/v1/namespaces/{ns2}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1, "containers": [container]}}), 201)
    db = ready_ip(c, ns2, "db")
    ready_ip(c, ns2, "api")
    ready_ip(c, ns2, "other")
    assert reaches(c, ns2, "other", db, 5432)

    # Ingress: node-a, where db runs, drops what node-b's other pod sends.
    create_policy(c, ns2, "db-from-api", {"podSelector": {"matchLabels": {"app": "db"}},
                                          "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]}]})
    wait_until("other shut out across nodes", lambda: not reaches(c, ns2, "other", db, 5432), timeout=10)
    assert nft_table_exists("kyv-node-a") == (policy_two_nodes.mode == "nftables")
    assert (f"-A KYVERN-NETPOL-INGRESS -d {db}/32 " in iptables_save("kyv-node-a")) == (policy_two_nodes.mode == "iptables")
    assert reaches(c, ns2, "api", db, 5432)
    delete_policy(c, ns2, "db-from-api")
    wait_until("other let in again", lambda: reaches(c, ns2, "other", db, 5432), timeout=10)

    # Egress: node-b, where api runs, stops it at the source.
    create_policy(c, ns2, "api-no-egress", {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"]})
    wait_until("api's egress cut on its node", lambda: not reaches(c, ns2, "api", db, 5432), timeout=10)
    assert reaches(c, ns2, "other", db, 5432)
