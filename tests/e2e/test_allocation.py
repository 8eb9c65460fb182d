"""Service cluster IPs and node ports: allocated from --service-cidr and 30000-32767, never twice
(concurrent creates, restarts), requested values checked, released on delete and type change."""

from __future__ import annotations

import ipaddress
import json
import threading
import time

import pytest

from e2e_harness import status_of


def svc(name, type_="ClusterIP", ports=None, **spec):
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": type_, "selector": {"app": name}, "ports": ports or [{"port": 80}], **spec}}
    return body


def create(c, ns, body, code=201):
    return c.ok_json(c.post(f"/api/v1/namespaces/{ns}/services", body), code)


def in_range(ip, cidr="10.43.0.0/16"):
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)


def test_kubernetes_service_is_first_address_and_points_at_api_server(cluster):
    s = cluster.ok_json(cluster.get("/api/v1/namespaces/default/services/kubernetes"), 200)
    assert s["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert s["spec"]["clusterIP"] == "10.43.0.1" and s["spec"]["clusterIPs"] == ["10.43.0.1"]
    assert s["spec"]["type"] == "ClusterIP"
    assert s["spec"]["ipFamilies"] == ["IPv4"] and s["spec"]["ipFamilyPolicy"] == "SingleStack"
    assert s["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP",
                                   "targetPort": cluster.process.port}]
    ep = cluster.ok_json(cluster.get("/api/v1/namespaces/default/endpoints/kubernetes"), 200)
    assert ep["subsets"] == [{"addresses": [{"ip": "127.0.0.1"}],
                              "ports": [{"name": "https", "port": cluster.process.port, "protocol": "TCP"}]}]
    sl = cluster.ok_json(cluster.get("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes"), 200)
    assert sl["metadata"]["labels"]["kubernetes.io/service-name"] == "kubernetes"
    assert sl["addressType"] == "IPv4"
    assert sl["endpoints"][0]["addresses"] == ["127.0.0.1"]
    assert sl["ports"] == [{"name": "https", "port": cluster.process.port, "protocol": "TCP"}]


def test_kubectl_get_svc_kubernetes(cluster):
    cp = cluster.kubectl("get", "svc", "kubernetes", "-n", "default",
                         "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].port}/{.spec.ports[0].protocol}")
    assert cp.stdout == "10.43.0.1 443/TCP", cp.stdout
    cp = cluster.kubectl("get", "endpoints", "kubernetes", "-n", "default", "-o", "jsonpath={.subsets[0].addresses[0].ip}")
    assert cp.stdout == "127.0.0.1"


def test_cluster_ip_from_range_with_families(cluster, ns):
    s = create(cluster, ns, svc("plain"))
    ip = s["spec"]["clusterIP"]
    assert in_range(ip) and ip != "10.43.0.1", ip
    assert s["spec"]["clusterIPs"] == [ip]
    assert s["spec"]["ipFamilies"] == ["IPv4"] and s["spec"]["ipFamilyPolicy"] == "SingleStack"
    assert "nodePort" not in s["spec"]["ports"][0]
    got = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/services/plain"), 200)
    assert got["spec"]["clusterIP"] == ip


def test_headless_and_external_name_get_no_ip(cluster, ns):
    h = create(cluster, ns, svc("headless", clusterIP="None"))
    assert h["spec"]["clusterIP"] == "None" and h["spec"]["clusterIPs"] == ["None"]
    assert h["spec"]["ipFamilies"] == ["IPv4"] and h["spec"]["ipFamilyPolicy"] == "SingleStack"
    e = create(cluster, ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                             "spec": {"type": "ExternalName", "externalName": "example.com"}})
    assert "clusterIP" not in e["spec"] and "clusterIPs" not in e["spec"] and "ipFamilies" not in e["spec"], e["spec"]


def test_concurrent_creates_get_distinct_ips_and_ports(cluster, ns):
    results: dict[int, dict] = {}
    errors: list[str] = []

    def worker(i):
        s = cluster.new_session()
        s.headers["Content-Type"] = "application/json"
        r = s.post(f"{cluster.base_url}/api/v1/namespaces/{ns}/services",
                   data=json.dumps(svc(f"c{i}", "NodePort")), timeout=60)
        if r.status_code != 201:
            errors.append(f"{i}: {r.status_code} {r.text[:200]}")
        else:
            results[i] = r.json()
        s.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    ips = [r["spec"]["clusterIP"] for r in results.values()]
    ports = [r["spec"]["ports"][0]["nodePort"] for r in results.values()]
    assert len(ips) == 50 and len(set(ips)) == 50, sorted(ips)
    assert len(set(ports)) == 50, sorted(ports)
    assert all(in_range(ip) for ip in ips)
    assert all(30000 <= p <= 32767 for p in ports)
    # and no other service in the cluster has any of them
    others = cluster.ok_json(cluster.get("/api/v1/services"), 200)["items"]
    assert [o["spec"].get("clusterIP") for o in others].count(ips[0]) == 1


def test_requested_ip_taken_is_422(cluster, ns):
    a = create(cluster, ns, svc("a", clusterIP="10.43.200.10"))
    assert a["spec"]["clusterIP"] == "10.43.200.10" and a["spec"]["clusterIPs"] == ["10.43.200.10"]
    r = cluster.post(f"/api/v1/namespaces/{ns}/services", svc("b", clusterIP="10.43.200.10"))
    assert r.status_code == 422, r.text
    st = status_of(r)
    assert st["reason"] == "Invalid"
    assert st["message"] == ('Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.200.10"}: '
                             'failed to allocate IP 10.43.200.10: provided IP is already allocated'), st["message"]
    assert st["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.clusterIPs",
                                        "message": 'Invalid value: []string{"10.43.200.10"}: failed to allocate IP '
                                                   '10.43.200.10: provided IP is already allocated'}]
    assert cluster.get(f"/api/v1/namespaces/{ns}/services/b").status_code == 404
    # kubectl shows the same
    cp = cluster.kubectl("create", "service", "clusterip", "k", "-n", ns, "--tcp=80:80", "--clusterip=10.43.200.10",
                         check=False)
    assert cp.returncode != 0
    assert 'spec.clusterIPs: Invalid value: []string{"10.43.200.10"}: failed to allocate IP 10.43.200.10: provided IP is already allocated' in cp.stderr, cp.stderr


def test_requested_ip_out_of_range_is_422(cluster, ns):
    r = cluster.post(f"/api/v1/namespaces/{ns}/services", svc("far", clusterIP="10.44.0.10"))
    assert r.status_code == 422, r.text
    assert status_of(r)["message"] == (
        'Service "far" is invalid: spec.clusterIPs: Invalid value: []string{"10.44.0.10"}: failed to allocate IP '
        '10.44.0.10: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16')


def test_node_ports_range_taken_and_out_of_range(cluster, ns):
    s = create(cluster, ns, svc("np", "NodePort", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81, "nodePort": 30080}]))
    p0, p1 = (p["nodePort"] for p in s["spec"]["ports"])
    assert 30000 <= p0 <= 32767 and p1 == 30080
    r = cluster.post(f"/api/v1/namespaces/{ns}/services", svc("np2", "NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert r.status_code == 422, r.text
    st = status_of(r)
    assert st["message"] == 'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'
    assert st["details"]["causes"][0]["field"] == "spec.ports[0].nodePort"
    r = cluster.post(f"/api/v1/namespaces/{ns}/services", svc("np3", "NodePort", ports=[{"port": 80, "nodePort": 40000}]))
    assert r.status_code == 422, r.text
    assert status_of(r)["message"] == ('Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided '
                                       'port is not in the valid range. The range of valid ports is 30000-32767')
    # the failed creates reserved nothing: the clusterIP each would have taken is still free and np2's
    # port 30080 stays with np
    lb = create(cluster, ns, svc("lb", "LoadBalancer", externalTrafficPolicy="Local"))
    assert 30000 <= lb["spec"]["ports"][0]["nodePort"] <= 32767
    assert 30000 <= lb["spec"]["healthCheckNodePort"] <= 32767
    assert lb["spec"]["healthCheckNodePort"] != lb["spec"]["ports"][0]["nodePort"]


def test_delete_releases_ip_and_port(cluster, ns):
    create(cluster, ns, svc("rel", "NodePort", clusterIP="10.43.201.5", ports=[{"port": 80, "nodePort": 30981}]))
    r = cluster.delete(f"/api/v1/namespaces/{ns}/services/rel")
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "Service", r.json()
    again = create(cluster, ns, svc("rel2", "NodePort", clusterIP="10.43.201.5", ports=[{"port": 80, "nodePort": 30981}]))
    assert again["spec"]["clusterIP"] == "10.43.201.5" and again["spec"]["ports"][0]["nodePort"] == 30981


def test_type_change_releases_node_ports_and_update_keeps_ip(cluster, ns):
    s = create(cluster, ns, svc("tc", "NodePort", ports=[{"port": 80, "nodePort": 30982}]))
    ip = s["spec"]["clusterIP"]
    # a replace without clusterIP/nodePort keeps both (as upstream)
    body = svc("tc", "NodePort")
    body["metadata"]["resourceVersion"] = s["metadata"]["resourceVersion"]
    u = cluster.ok_json(cluster.put(f"/api/v1/namespaces/{ns}/services/tc", body), 200)
    assert u["spec"]["clusterIP"] == ip and u["spec"]["ports"][0]["nodePort"] == 30982
    # to ClusterIP: the node port goes, and is free again
    cp = cluster.kubectl("patch", "svc", "tc", "-n", ns, "-p", '{"spec":{"type":"ClusterIP"}}')
    assert cp.returncode == 0
    u = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/services/tc"), 200)
    assert u["spec"]["type"] == "ClusterIP" and "nodePort" not in u["spec"]["ports"][0], u["spec"]
    assert u["spec"]["clusterIP"] == ip
    create(cluster, ns, svc("tc2", "NodePort", ports=[{"port": 80, "nodePort": 30982}]))
    # to ExternalName: the IP goes and can be requested again
    cp = cluster.kubectl("patch", "svc", "tc", "-n", ns, "-p", '{"spec":{"type":"ExternalName","externalName":"x.example"}}')
    u = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/services/tc"), 200)
    assert "clusterIP" not in u["spec"] and "clusterIPs" not in u["spec"], u["spec"]
    create(cluster, ns, svc("tc3", clusterIP=ip))


def test_allocations_survive_restart(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    c.create_namespace("alloc")
    made = {}
    for i in range(5):
        s = create(c, "alloc", svc(f"s{i}", "NodePort"))
        made[s["spec"]["clusterIP"]] = s["spec"]["ports"][0]["nodePort"]
    p.stop()
    p.start()
    c2 = server_factory.client(p)
    k = c2.ok_json(c2.get("/api/v1/namespaces/default/services/kubernetes"), 200)
    assert k["spec"]["clusterIP"] == "10.43.0.1"
    for ip, port in made.items():
        r = c2.post("/api/v1/namespaces/alloc/services", svc("dup", "NodePort", clusterIP=ip))
        assert r.status_code == 422 and "provided IP is already allocated" in r.text, r.text
        r = c2.post("/api/v1/namespaces/alloc/services", svc("dup", "NodePort", ports=[{"port": 80, "nodePort": port}]))
        assert r.status_code == 422 and "provided port is already allocated" in r.text, r.text
    fresh = [create(c2, "alloc", svc(f"n{i}", "NodePort")) for i in range(10)]
    assert not {f["spec"]["clusterIP"] for f in fresh} & (set(made) | {"10.43.0.1"})
    assert not {f["spec"]["ports"][0]["nodePort"] for f in fresh} & set(made.values())


def test_service_cidr_flag(server_factory):
    p = server_factory.new("--service-cidr", "10.96.0.0/24")
    c = server_factory.client(p)
    k = c.ok_json(c.get("/api/v1/namespaces/default/services/kubernetes"), 200)
    assert k["spec"]["clusterIP"] == "10.96.0.1"
    c.create_namespace("cidr")
    s = create(c, "cidr", svc("x"))
    assert in_range(s["spec"]["clusterIP"], "10.96.0.0/24"), s["spec"]["clusterIP"]
    r = c.post("/api/v1/namespaces/cidr/services", svc("y", clusterIP="10.43.0.5"))
    assert r.status_code == 422
    assert "The range of valid IPs is 10.96.0.0/24" in status_of(r)["message"]


@pytest.mark.parametrize("cidr,message", [
    ("10.0.0.0/8", "specified --service-cidr is too large; for 32-bit addresses, the mask must be >= 12"),
    ("10.43.0/16", "invalid CIDR address: 10.43.0/16"),
])
def test_bad_service_cidr_refused_at_start(kyvern_bin, tmp_path, cidr, message):
    import subprocess

    cp = subprocess.run([str(kyvern_bin), "server", "--data-dir", str(tmp_path / "d"), "--service-cidr", cidr],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode != 0
    assert message in cp.stderr, cp.stderr


def test_deleted_kubernetes_service_comes_back(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    r = c.delete("/api/v1/namespaces/default/services/kubernetes")
    assert r.status_code == 200, r.text
    assert c.get("/api/v1/namespaces/default/services/kubernetes").status_code == 404
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r = c.get("/api/v1/namespaces/default/services/kubernetes")
        if r.status_code == 200:
            break
        time.sleep(0.5)
    assert r.status_code == 200, "the kubernetes Service was not re-created within 20 s"
    assert r.json()["spec"]["clusterIP"] == "10.43.0.1"
