"""LoadBalancer Services through the built-in service load balancer, as a new user tries them with the
real kubectl: a `type: LoadBalancer` Service gets an address in `status.loadBalancer.ingress` (the
node's address by default, one Service per port; or one address each from `--lb-address-pool`), the
address answers on the Service port from the host and from a pod, `loadBalancerClass` set to another
value is left alone, `allocateLoadBalancerNodePorts: false` allocates no node port, and a Service that
cannot get an address says why in a Warning event until one is free.

Traffic goes only to the node's own address (the host), pod IPs and 127.0.0.1; pool addresses are
never routed anywhere but into the node's rules."""
from __future__ import annotations

import collections
import json
import subprocess
import time
from pathlib import Path

import pytest

from e2e_harness import Cluster, KyvernProcess
from test_agent_pods import nns, wait_until  # noqa: F401 (nns is a fixture)
from test_services import client_pod, deploy, exec_in, fetch

# Not 80: the node's port 80 may belong to the built-in ingress.
PORT = 8081


def lb_service(port: int = PORT, **spec) -> dict:
    return {"type": "LoadBalancer", "ports": [{"name": "http", "port": port, "targetPort": "http"}], **spec}


def node_ip(c) -> str:
    node = json.loads(c.kubectl("get", "node", "e2e-node", "-o", "json").stdout)
    return next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")


def ingress_ips(c, ns, name) -> list[str]:
    svc = json.loads(c.kubectl("get", "service", name, "-n", ns, "-o", "json").stdout)
    return [i.get("ip") for i in svc.get("status", {}).get("loadBalancer", {}).get("ingress") or []]


def warnings(c, ns, name) -> list[str]:
    out = c.kubectl("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={name},type=Warning",
                    "-o", "json").stdout
    return [f'{e["reason"]}: {e["message"]}' for e in json.loads(out)["items"]]


def test_a_load_balancer_service_answers_on_the_node_address(node_cluster, nns):
    c = node_cluster.cluster
    pods, _ = deploy(c, nns, "lb", service=lb_service())
    address = node_ip(c)
    wait_until("the node address in status.loadBalancer.ingress", lambda: ingress_ips(c, nns, "lb") == [address],
               timeout=15)
    svc = json.loads(c.kubectl("get", "service", "lb", "-n", nns, "-o", "json").stdout)
    assert svc["status"]["loadBalancer"]["ingress"][0]["ipMode"] == "VIP"
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767  # allocateLoadBalancerNodePorts defaults to true
    # kubectl shows it as the EXTERNAL-IP.
    row = c.kubectl("get", "service", "lb", "-n", nns, "--no-headers").stdout.split()
    assert row[1] == "LoadBalancer" and row[3] == address, row

    def spread():
        got = collections.Counter(fetch(f"http://{address}:{PORT}/") for _ in range(30))
        return got if set(got) == set(pods) else None
    wait_until("requests to the load balancer address reaching every pod", spread, timeout=10, interval=0.2)

    if not address.startswith("127."):
        # From a pod too (a node whose only address is loopback, as in a private network namespace,
        # has no address a pod could reach it by).
        client_pod(c, nns)
        r = exec_in(c, nns, "client", f"for i in $(seq 30); do timeout 5 wget -q -O - http://{address}:{PORT}/ || echo FAIL; done")
        served = collections.Counter(r.stdout.split())
        assert "FAIL" not in served and set(served) == set(pods), (served, r.stderr)

    events = c.kubectl("get", "events", "-n", nns, "--field-selector", "involvedObject.name=lb", "-o", "json").stdout
    reasons = {e["reason"] for e in json.loads(events)["items"]}
    assert {"EnsuringLoadBalancer", "EnsuredLoadBalancer"} <= reasons, reasons

    # Back to ClusterIP: the address is taken back and stops answering.
    c.kubectl("patch", "service", "lb", "-n", nns, "--type=merge", "-p", '{"spec":{"type":"ClusterIP"}}')
    wait_until("the address released", lambda: ingress_ips(c, nns, "lb") == [], timeout=15)


def test_one_service_per_port_on_the_node_addresses_the_next_waits_and_says_why(node_cluster, nns):
    c = node_cluster.cluster
    port = PORT + 1
    pods, _ = deploy(c, nns, "first", replicas=1, service=lb_service(port))
    address = node_ip(c)
    wait_until("first's address", lambda: ingress_ips(c, nns, "first") == [address], timeout=15)
    c.kubectl("create", "service", "loadbalancer", "second", "-n", nns, f"--tcp={port}:8080")
    said = wait_until("a Warning naming the port", lambda: warnings(c, nns, "second"), timeout=15)
    assert said == [f"SyncLoadBalancerFailed: Error syncing load balancer: port {port}/TCP is already served on the "
                    f"node addresses by {nns}/first"], said
    assert ingress_ips(c, nns, "second") == []
    c.kubectl("delete", "service", "first", "-n", nns)
    wait_until("second served once the port is free", lambda: ingress_ips(c, nns, "second") == [address], timeout=15)


def test_another_load_balancer_class_is_left_alone_and_node_ports_can_be_skipped(node_cluster, nns):
    c = node_cluster.cluster
    pods, svc = deploy(c, nns, "bare", replicas=1,
                       service=lb_service(PORT + 2, allocateLoadBalancerNodePorts=False))
    assert "nodePort" not in svc["spec"]["ports"][0], svc["spec"]
    address = node_ip(c)
    wait_until("bare's address", lambda: ingress_ips(c, nns, "bare") == [address], timeout=15)
    wait_until("bare answering on the load balancer address",
               lambda: fetch(f"http://{address}:{PORT + 2}/") in pods, timeout=10)

    manifest = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "elsewhere"},
                "spec": {**lb_service(PORT + 3), "selector": {"app": "bare"}, "loadBalancerClass": "example.com/other"}}
    c.kubectl("apply", "-n", nns, "-f", "-", input=json.dumps(manifest))
    # Served Services get their address within a second; this one must stay without.
    time.sleep(3)
    assert ingress_ips(c, nns, "elsewhere") == []
    assert warnings(c, nns, "elsewhere") == []


@pytest.fixture(scope="module")
def pool_server(tmp_path_factory):
    """A server (no node agent) handing out two pool addresses."""
    root: Path = tmp_path_factory.mktemp("lb-pool")
    server = KyvernProcess(root / "data", extra_args=("--lb-address-pool", "10.77.0.10-10.77.0.11"))
    server.start()
    try:
        yield Cluster(server, root / "client")
    finally:
        server.stop()


def test_the_pool_gives_one_address_each_and_a_freed_one_goes_to_the_waiting_service(pool_server):
    c = pool_server
    c.kubectl("create", "namespace", "pool")
    for name in ("a", "b", "c"):
        c.kubectl("create", "service", "loadbalancer", name, "-n", "pool", "--tcp=80:8080")
        if name != "c":
            wait_until(f"{name}'s address", lambda: ingress_ips(c, "pool", name), timeout=15)
    assert sorted(ingress_ips(c, "pool", "a") + ingress_ips(c, "pool", "b")) == ["10.77.0.10", "10.77.0.11"]
    said = wait_until("c's Warning", lambda: warnings(c, "pool", "c"), timeout=15)
    assert said == ["SyncLoadBalancerFailed: Error syncing load balancer: no address is free in the load balancer "
                    "address pool"], said
    freed = ingress_ips(c, "pool", "a")
    c.kubectl("patch", "service", "a", "-n", "pool", "--type=merge", "-p", '{"spec":{"type":"ClusterIP"}}')
    wait_until("c gets a's address", lambda: ingress_ips(c, "pool", "c") == freed, timeout=15)
    assert ingress_ips(c, "pool", "a") == []
    # Asking for an address outside the pool is refused with a reason.
    c.kubectl("create", "service", "loadbalancer", "d", "-n", "pool", "--tcp=80:8080")
    c.kubectl("patch", "service", "d", "-n", "pool", "--type=merge", "-p", '{"spec":{"loadBalancerIP":"10.9.9.9"}}')
    said = wait_until("d's Warning", lambda: [w for w in warnings(c, "pool", "d") if "10.9.9.9" in w], timeout=15)
    assert said == ["SyncLoadBalancerFailed: Error syncing load balancer: requested address 10.9.9.9 is not in the "
                    "load balancer address pool"], said


def test_a_bad_pool_entry_is_refused_by_name(kyvern_bin, tmp_path):
    r = subprocess.run([str(kyvern_bin), "server", "--data-dir", str(tmp_path / "d"), "--lb-address-pool", "10.0.0.1/24"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert 'invalid --lb-address-pool entry "10.0.0.1/24": host bits are set (the network is 10.0.0.0/24)' in r.stderr, r.stderr
