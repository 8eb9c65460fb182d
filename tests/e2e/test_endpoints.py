"""Endpoints, EndpointSlices and node pod ranges end to end on the shared server, through the real kubectl.

The shared server has no node agent, so the test plays the node: it registers a Node (unschedulable and
tainted, so no other test's pod lands on it), binds pods to it in their spec and reports them Running and
Ready (or not) through the status subresource, as an agent would."""

from __future__ import annotations

import json
import re
import time

import pytest

from e2e_harness import wait_until

pytestmark = [pytest.mark.kubectl]

WAIT = 30
SLICE_MANAGER = "endpointslice-controller.k8s.io"


def wait_for(what: str, predicate, timeout: float = WAIT):
    return wait_until(what, predicate, timeout, interval=0.2)


def get_json(c, *args) -> dict:
    return json.loads(c.kubectl("get", *args, "-o", "json").stdout)


def make_node(c, name: str, zone: str | None = None, pod_cidr: str | None = None) -> None:
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"e2e": "endpoints"}},
            "spec": {"unschedulable": True,
                     "taints": [{"key": "e2e.kyvern.io/endpoints", "effect": "NoSchedule"}]}}
    if zone:
        node["metadata"]["labels"]["topology.kubernetes.io/zone"] = zone
    if pod_cidr:
        node["spec"]["podCIDR"] = pod_cidr
        node["spec"]["podCIDRs"] = [pod_cidr]
    c.kubectl("create", "-f", "-", input=json.dumps(node))


@pytest.fixture
def node(cluster, suffix):
    """A Node for this test's pods; deleted afterwards."""
    name = f"ep-node-{suffix}"
    make_node(cluster, name, zone="zone-a")
    try:
        yield name
    finally:
        cluster.kubectl("delete", "node", name, "--ignore-not-found", "--wait=false")


def make_pod(c, ns: str, name: str, node: str, labels: dict | None = None, http_port: int = 8080,
             hostname: str | None = None, subdomain: str | None = None) -> None:
    spec = {"nodeName": node,
            "tolerations": [{"key": "e2e.kyvern.io/endpoints", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "c", "image": "busybox",
                            "ports": [{"name": "http", "containerPort": http_port, "protocol": "TCP"}]}]}
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}}, "spec": spec}
    c.kubectl("create", "-f", "-", input=json.dumps(pod))


def report(c, ns: str, name: str, ip: str, ready: bool, at: str = "2026-01-01T00:00:00Z") -> None:
    """What a node agent writes: Running with an address, Ready True or False."""
    status = {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                         "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                         "lastTransitionTime": at}]}}
    c.kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def make_service(c, ns: str, name: str = "web", selector: dict | None = None, publish: bool = False) -> dict:
    spec = {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    if selector is not None:
        spec["selector"] = selector
    if publish:
        spec["publishNotReadyAddresses"] = True
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": {"tier": "front"}},
           "spec": spec}
    return json.loads(c.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(svc)).stdout)


def managed_slices(c, ns: str, service: str) -> list[dict]:
    items = get_json(c, "endpointslices", "-n", ns, "-l", f"kubernetes.io/service-name={service}")["items"]
    return [s for s in items if s["metadata"]["labels"].get("endpointslice.kubernetes.io/managed-by") == SLICE_MANAGER]


def slice_endpoints(c, ns: str, service: str) -> dict[str, dict]:
    return {e["targetRef"]["name"]: e for s in managed_slices(c, ns, service) for e in s.get("endpoints") or []}


def test_slices_and_endpoints_follow_pods_and_their_readiness(cluster, ns, node):
    c = cluster
    svc = make_service(c, ns, selector={"app": "web"})
    # A Service without pods keeps one empty placeholder slice.
    placeholder = wait_for("placeholder slice", lambda: managed_slices(c, ns, "web"))
    assert len(placeholder) == 1 and not placeholder[0].get("endpoints"), placeholder

    ips = {"web-0": "10.42.200.10", "web-1": "10.42.200.11", "web-2": "10.42.200.12"}
    make_pod(c, ns, "web-0", node, hostname="web-0", subdomain="web")
    make_pod(c, ns, "web-1", node)
    make_pod(c, ns, "web-2", node)
    make_pod(c, ns, "db-0", node, labels={"app": "db"})
    for name, ip in ips.items():
        report(c, ns, name, ip, ready=True)
    report(c, ns, "db-0", "10.42.200.20", ready=True)

    wait_for("3 endpoints in the slice", lambda: len(slice_endpoints(c, ns, "web")) == 3)
    slices = managed_slices(c, ns, "web")
    assert len(slices) == 1, slices
    s = slices[0]
    assert s["metadata"]["name"] == placeholder[0]["metadata"]["name"]  # the placeholder was filled in place
    assert re.fullmatch(r"web-[a-z0-9]{5}", s["metadata"]["name"]), s["metadata"]
    assert s["metadata"]["generateName"] == "web-"
    assert s["metadata"]["labels"] == {"tier": "front", "kubernetes.io/service-name": "web",
                                       "endpointslice.kubernetes.io/managed-by": SLICE_MANAGER}
    assert s["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                                 "uid": svc["metadata"]["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]
    assert s["addressType"] == "IPv4"
    assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    uid0 = get_json(c, "pod", "web-0", "-n", ns)["metadata"]["uid"]
    assert slice_endpoints(c, ns, "web")["web-0"] == {
        "addresses": ["10.42.200.10"], "conditions": {"ready": True, "serving": True, "terminating": False},
        "hostname": "web-0", "nodeName": node, "zone": "zone-a",
        "targetRef": {"kind": "Pod", "namespace": ns, "name": "web-0", "uid": uid0}}

    out = c.kubectl("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web").stdout.splitlines()
    assert out[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], out
    row = out[1].split()
    assert row[:3] == [s["metadata"]["name"], "IPv4", "8080"], out
    assert set(row[3].split(",")) == set(ips.values()), out

    def endpoints_obj():
        eps = get_json(c, "endpoints", "web", "-n", ns)
        return eps if len((eps.get("subsets") or [{}])[0].get("addresses", [])) == 3 else None

    eps = wait_for("Endpoints with 3 addresses", endpoints_obj)
    assert eps["metadata"]["labels"] == {"tier": "front", "endpoints.kubernetes.io/managed-by": "endpoint-controller"}
    assert [a["ip"] for a in eps["subsets"][0]["addresses"]] == sorted(ips.values())
    assert eps["subsets"][0]["addresses"][0] == {"ip": "10.42.200.10", "hostname": "web-0", "nodeName": node,
                                                 "targetRef": {"kind": "Pod", "namespace": ns, "name": "web-0",
                                                               "uid": uid0}}
    assert eps["subsets"][0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert "notReadyAddresses" not in eps["subsets"][0]
    row = c.kubectl("get", "endpoints", "web", "-n", ns).stdout.splitlines()[1].split()
    assert row[0] == "web" and set(row[1].split(",")) == {f"{ip}:8080" for ip in ips.values()}, row

    described = c.kubectl("describe", "service", "web", "-n", ns).stdout
    line = next(l for l in described.splitlines() if l.startswith("Endpoints:"))
    assert set(line.split()[1].split(",")) == {f"{ip}:8080" for ip in ips.values()}, described

    # Nothing changes, so nothing is written again.
    slice_rv, eps_rv = s["metadata"]["resourceVersion"], eps["metadata"]["resourceVersion"]
    time.sleep(2)
    assert managed_slices(c, ns, "web")[0]["metadata"]["resourceVersion"] == slice_rv
    assert get_json(c, "endpoints", "web", "-n", ns)["metadata"]["resourceVersion"] == eps_rv

    # web-1 fails its readiness probe.
    report(c, ns, "web-1", ips["web-1"], ready=False, at="2026-01-01T00:05:00Z")
    wait_for("web-1 not ready in the slice",
             lambda: slice_endpoints(c, ns, "web")["web-1"]["conditions"] == {"ready": False, "serving": False,
                                                                              "terminating": False})
    eps = wait_for("web-1 in notReadyAddresses", lambda: (lambda e: e if [a["ip"] for a in e["subsets"][0].get(
        "notReadyAddresses", [])] == [ips["web-1"]] else None)(get_json(c, "endpoints", "web", "-n", ns)))
    assert [a["ip"] for a in eps["subsets"][0]["addresses"]] == [ips["web-0"], ips["web-2"]]
    assert managed_slices(c, ns, "web")[0]["metadata"]["annotations"][
        "endpoints.kubernetes.io/last-change-trigger-time"] == "2026-01-01T00:05:00Z"

    # A deleted pod leaves both.
    c.kubectl("delete", "pod", "web-2", "-n", ns, "--grace-period=0", "--force")
    wait_for("web-2 gone from the slice", lambda: set(slice_endpoints(c, ns, "web")) == {"web-0", "web-1"})
    wait_for("web-2 gone from Endpoints", lambda: [a["ip"] for a in get_json(c, "endpoints", "web", "-n", ns)[
        "subsets"][0].get("addresses", [])] == [ips["web-0"]])

    # Deleting the Service takes its slices (garbage collector) and its Endpoints with it.
    c.kubectl("delete", "service", "web", "-n", ns)
    wait_for("slices gone", lambda: not managed_slices(c, ns, "web"))
    wait_for("Endpoints gone", lambda: c.kubectl("get", "endpoints", "web", "-n", ns, check=False).returncode != 0)


def test_publish_not_ready_addresses_and_losing_the_selector(cluster, ns, node):
    c = cluster
    make_service(c, ns, selector={"app": "web"}, publish=True)
    make_pod(c, ns, "web-0", node)
    report(c, ns, "web-0", "10.42.201.10", ready=False)
    wait_for("not-ready pod published as ready",
             lambda: slice_endpoints(c, ns, "web").get("web-0", {}).get("conditions")
             == {"ready": True, "serving": False, "terminating": False})
    eps = wait_for("Endpoints", lambda: (lambda e: e if e.get("subsets") else None)(get_json(c, "endpoints", "web", "-n", ns)))
    assert [a["ip"] for a in eps["subsets"][0]["addresses"]] == ["10.42.201.10"]
    assert "notReadyAddresses" not in eps["subsets"][0]

    # Without its selector the Service's slices go; its Endpoints become the user's to manage.
    c.kubectl("patch", "service", "web", "-n", ns, "--type=json", "-p", '[{"op":"remove","path":"/spec/selector"}]')
    wait_for("managed slices removed", lambda: not managed_slices(c, ns, "web"))


def test_selectorless_service_keeps_its_manual_endpoints(cluster, ns):
    c = cluster
    make_service(c, ns, name="external")
    manual = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "external", "namespace": ns},
              "subsets": [{"addresses": [{"ip": "192.168.10.1"}], "ports": [{"name": "http", "port": 8080}]}]}
    created = json.loads(c.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(manual)).stdout)
    time.sleep(2)
    now = get_json(c, "endpoints", "external", "-n", ns)
    assert now["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert "labels" not in now["metadata"]
    assert now["subsets"] == [{"addresses": [{"ip": "192.168.10.1"}], "ports": [{"name": "http", "port": 8080,
                                                                                  "protocol": "TCP"}]}]
    assert managed_slices(c, ns, "external") == []
    # Nor does deleting the Service take the user's Endpoints.
    c.kubectl("delete", "service", "external", "-n", ns)
    time.sleep(2)
    assert get_json(c, "endpoints", "external", "-n", ns)["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


MIRROR_MANAGER = "endpointslicemirroring-controller.k8s.io"


def mirrored_slices(c, ns: str, service: str) -> list[dict]:
    items = get_json(c, "endpointslices", "-n", ns, "-l", f"kubernetes.io/service-name={service}")["items"]
    return [s for s in items if s["metadata"]["labels"].get("endpointslice.kubernetes.io/managed-by") == MIRROR_MANAGER]


def test_manual_endpoints_of_a_selectorless_service_are_mirrored(cluster, ns):
    c = cluster
    make_service(c, ns, name="ext")

    def apply_endpoints(subsets):
        manual = {"apiVersion": "v1", "kind": "Endpoints",
                  "metadata": {"name": "ext", "namespace": ns, "labels": {"team": "a"}}, "subsets": subsets}
        c.kubectl("apply", "-f", "-", input=json.dumps(manual))
        return get_json(c, "endpoints", "ext", "-n", ns)

    ports = [{"name": "http", "port": 8080, "appProtocol": "http"}]
    eps = apply_endpoints([{"addresses": [{"ip": "192.168.10.1", "hostname": "a"}],
                            "notReadyAddresses": [{"ip": "192.168.10.2"}], "ports": ports}])
    slices = wait_for("mirrored slice", lambda: mirrored_slices(c, ns, "ext"))
    assert len(slices) == 1
    first = slices[0]
    meta = first["metadata"]
    assert re.fullmatch(r"ext-[a-z0-9]{5}", meta["name"]) and meta["generateName"] == "ext-"
    assert meta["labels"] == {"team": "a", "kubernetes.io/service-name": "ext",
                              "endpointslice.kubernetes.io/managed-by": MIRROR_MANAGER}
    # kubectl's last-applied-configuration describes the Endpoints object, so it is not mirrored.
    assert "annotations" not in meta
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Endpoints", "name": "ext",
                                        "uid": eps["metadata"]["uid"], "controller": True,
                                        "blockOwnerDeletion": True}]
    assert first["addressType"] == "IPv4"
    assert first["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"}]
    assert first["endpoints"] == [
        {"addresses": ["192.168.10.1"], "conditions": {"ready": True}, "hostname": "a"},
        {"addresses": ["192.168.10.2"], "conditions": {"ready": False}},
    ]
    # Nothing changes, nothing is written; the selector-based controller leaves the Service alone.
    time.sleep(2)
    assert mirrored_slices(c, ns, "ext")[0]["metadata"]["resourceVersion"] == meta["resourceVersion"]
    assert managed_slices(c, ns, "ext") == []

    # An Endpoints change is followed in place.
    apply_endpoints([{"addresses": [{"ip": "192.168.10.3"}], "ports": ports}])
    updated = wait_for("mirrored slice updated", lambda: [s for s in mirrored_slices(c, ns, "ext")
                                                          if len(s.get("endpoints") or []) == 1])
    assert [s["metadata"]["name"] for s in mirrored_slices(c, ns, "ext")] == [meta["name"]]
    assert updated[0]["endpoints"] == [{"addresses": ["192.168.10.3"], "conditions": {"ready": True}}]

    # Deleting the Endpoints takes the mirrored slice with it.
    c.kubectl("delete", "endpoints", "ext", "-n", ns)
    wait_for("mirrored slice gone", lambda: not mirrored_slices(c, ns, "ext"))


def test_nodes_get_a_pod_range_from_the_cluster_cidr(cluster, suffix):
    c = cluster
    fresh, preset = f"ipam-new-{suffix}", f"ipam-preset-{suffix}"
    try:
        make_node(c, preset, pod_cidr="10.99.7.0/24")
        make_node(c, fresh)

        def allocated():
            spec = get_json(c, "node", fresh)["spec"]
            return spec if spec.get("podCIDR") else None

        spec = wait_for("a podCIDR on the new node", allocated)
        assert re.fullmatch(r"10\.42\.\d{1,3}\.0/24", spec["podCIDR"]), spec
        assert spec["podCIDRs"] == [spec["podCIDR"]]
        others = [n["spec"].get("podCIDR") for n in get_json(c, "nodes")["items"] if n["metadata"]["name"] != fresh]
        assert spec["podCIDR"] not in others
        assert get_json(c, "node", preset)["spec"]["podCIDRs"] == ["10.99.7.0/24"]
    finally:
        c.kubectl("delete", "node", fresh, preset, "--ignore-not-found", "--wait=false")


def test_cluster_cidr_flag_is_validated(kyvern_bin, tmp_path):
    import subprocess

    for sub in (["server", "--data-dir", str(tmp_path / "d")], ["controller-manager", "--kubeconfig", "/nonexistent"]):
        for value, message in [("10.42.0.0/25", "--cluster-cidr: 10.42.0.0/25 is smaller than one node's /24 pod range"),
                               ("10.42.0/16", "--cluster-cidr: invalid CIDR address: 10.42.0/16"),
                               ("fd00::/48", "--cluster-cidr: only IPv4 ranges are supported, got fd00::/48")]:
            cp = subprocess.run([str(kyvern_bin), *sub, "--cluster-cidr", value], capture_output=True, text=True,
                                timeout=30)
            assert cp.returncode != 0 and message in cp.stderr, (sub, value, cp.stderr)
    helptext = subprocess.run([str(kyvern_bin), "server", "--help"], capture_output=True, text=True, timeout=30).stdout
    assert "--cluster-cidr" in helptext and "10.42.0.0/16" in helptext, helptext
