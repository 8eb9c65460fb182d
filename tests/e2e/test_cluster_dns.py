"""Kyvern's cluster DNS (`--cluster-dns-listen`, as the node agent runs it on its bridge): records for
Services and EndpointSlices made with the real kubectl, queried over UDP and TCP with dnspython, names
kept current within a second of a change, and every other name forwarded to the configured upstream
(a fake resolver on loopback), as CoreDNS's kubernetes and forward plugins answer."""
from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.reversename
import pytest

from e2e_harness import free_port


class FakeUpstream:
    """A resolver on 127.0.0.1 (UDP and TCP on one port) for `*.upstream.test`: `www` answers
    192.0.2.1, `big` answers truncated over UDP and three addresses over TCP, `drop` never answers,
    anything else NXDOMAIN. Records which transport each question came over."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []
        for _ in range(20):
            port = free_port()
            try:
                self.udp = socketserver.ThreadingUDPServer(("127.0.0.1", port), self._udp_handler())
                self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), self._tcp_handler())
                break
            except OSError:
                continue
        self.port = self.udp.server_address[1]
        for server in (self.udp, self.tcp):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self):
        for server in (self.udp, self.tcp):
            server.shutdown()
            server.server_close()

    def answer(self, wire: bytes, proto: str) -> bytes | None:
        query = dns.message.from_wire(wire)
        name = query.question[0].name.to_text().lower()
        self.seen.append((name, proto))
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if name == "drop.upstream.test.":
            return None
        if name == "www.upstream.test.":
            response.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "192.0.2.1"))
        elif name == "big.upstream.test.":
            if proto == "udp":
                response.flags |= dns.flags.TC
            else:
                response.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "192.0.2.10", "192.0.2.11", "192.0.2.12"))
        else:
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def _udp_handler(self):
        upstream = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                out = upstream.answer(data, "udp")
                if out is not None:
                    sock.sendto(out, self.client_address)
        return Handler

    def _tcp_handler(self):
        upstream = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                header = self.request.recv(2)
                if len(header) < 2:
                    return
                (length,) = struct.unpack("!H", header)
                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = upstream.answer(data, "tcp")
                if out is not None:
                    self.request.sendall(struct.pack("!H", len(out)) + out)
        return Handler


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    try:
        yield fake
    finally:
        fake.close()


def dns_port() -> int:
    """A port free for TCP and UDP on loopback."""
    for _ in range(20):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def ask(port: int, name: str, rdtype: str = "A", tcp: bool = False, timeout: float = 5) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    if tcp:
        return dns.query.tcp(query, "127.0.0.1", port=port, timeout=timeout)
    return dns.query.udp(query, "127.0.0.1", port=port, timeout=timeout)


def texts(response: dns.message.Message, rdtype: str = "A") -> list[str]:
    return sorted(rd.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.from_text(rdtype)
                  for rd in rrset)


def start(server_factory, upstream: FakeUpstream):
    port = dns_port()
    server = server_factory.new("--cluster-dns-listen", f"127.0.0.1:{port}",
                                "--cluster-dns-upstream", f"127.0.0.1:{upstream.port}")
    api = server_factory.client(server)
    # Until the informers' first list the zone answers SERVFAIL; wait for a real answer.
    deadline = time.monotonic() + 20
    while True:
        try:
            r = ask(port, "dns-version.cluster.local", "TXT", timeout=1)
            if r.rcode() == dns.rcode.NOERROR:
                assert texts(r, "TXT") == ['"1.1.0"']
                break
        except (dns.exception.Timeout, OSError):
            pass
        assert time.monotonic() < deadline, "cluster DNS did not answer within 20 s"
        time.sleep(0.1)
    return server, api, port


def apply(api, manifest: str) -> None:
    api.kubectl("apply", "-f", "-", input=manifest)


def test_services_endpoints_pods_and_reverse_names_answer_as_coredns(server_factory, upstream):
    server, api, port = start(server_factory, upstream)
    api.create_namespace("shop")
    apply(api, """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  namespace: shop
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
ports: [{name: pg, port: 5432, protocol: TCP}]
endpoints:
- {addresses: [10.42.0.5], hostname: db-0, conditions: {ready: true}}
- {addresses: [10.42.0.6], conditions: {ready: true}}
- {addresses: [10.42.0.7], conditions: {ready: false}}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec: {type: ExternalName, externalName: www.upstream.test}
""")
    cluster_ip = api.kubectl("get", "service", "web", "-n", "shop", "-o", "jsonpath={.spec.clusterIP}").stdout
    assert cluster_ip.startswith("10.43.")

    def wait_for(name, rdtype="A"):
        deadline = time.monotonic() + 5
        while True:
            r = ask(port, name, rdtype)
            if r.answer or time.monotonic() > deadline:
                return r
            time.sleep(0.05)

    # A ClusterIP Service: its address, authoritative, TTL 5, any case.
    r = wait_for("Web.Shop.svc.Cluster.Local")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA and r.flags & dns.flags.RA
    assert texts(r) == [cluster_ip]
    assert r.answer[0].ttl == 5 and r.answer[0].name.to_text() == "Web.Shop.svc.Cluster.Local."
    # The same over TCP.
    assert texts(ask(port, "web.shop.svc.cluster.local", tcp=True)) == [cluster_ip]
    # Wrong type: NOERROR without answers, the zone's SOA in authority.
    r = ask(port, "web.shop.svc.cluster.local", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and r.answer == []
    assert [rr.to_text() for rr in r.authority] == [
        f"cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. {r.authority[0][0].serial} 7200 1800 86400 5"]
    # A missing name: NXDOMAIN with the SOA.
    r = ask(port, "missing.shop.svc.cluster.local")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.answer == [] and r.authority[0].rdtype == dns.rdatatype.SOA

    # A headless Service: every ready endpoint; hostnames and dashed addresses name each one.
    assert texts(wait_for("db.shop.svc.cluster.local")) == ["10.42.0.5", "10.42.0.6"]
    assert texts(ask(port, "db-0.db.shop.svc.cluster.local")) == ["10.42.0.5"]
    assert texts(ask(port, "10-42-0-6.db.shop.svc.cluster.local")) == ["10.42.0.6"]
    assert ask(port, "10-42-0-7.db.shop.svc.cluster.local").rcode() == dns.rcode.NXDOMAIN

    # SRV for named ports.
    r = ask(port, "_http._tcp.web.shop.svc.cluster.local", "SRV")
    assert texts(r, "SRV") == ["0 100 80 web.shop.svc.cluster.local."]
    assert [rr.to_text() for rr in r.additional] == [f"web.shop.svc.cluster.local. 5 IN A {cluster_ip}"]
    assert texts(ask(port, "_pg._tcp.db.shop.svc.cluster.local", "SRV"), "SRV") == [
        "0 50 5432 10-42-0-6.db.shop.svc.cluster.local.", "0 50 5432 db-0.db.shop.svc.cluster.local."]
    assert ask(port, "_http._udp.web.shop.svc.cluster.local", "SRV").rcode() == dns.rcode.NXDOMAIN

    # PTR for the cluster IP and for endpoint addresses.
    assert texts(ask(port, dns.reversename.from_address(cluster_ip).to_text(), "PTR"), "PTR") == [
        "web.shop.svc.cluster.local."]
    assert texts(ask(port, "5.0.42.10.in-addr.arpa", "PTR"), "PTR") == ["db-0.db.shop.svc.cluster.local."]

    # Pod names answer the address they spell (CoreDNS's `pods insecure`).
    assert texts(ask(port, "10-42-0-9.shop.pod.cluster.local")) == ["10.42.0.9"]

    # ExternalName: a CNAME, its target resolved through the upstream.
    r = ask(port, "ext.shop.svc.cluster.local")
    assert texts(r, "CNAME") == ["www.upstream.test."]
    assert texts(r) == ["192.0.2.1"]

    # Each request is counted by type and rcode in the server's metrics.
    metrics = api.get("/metrics").text
    assert 'kyvern_dns_requests_total{type="SRV",rcode="NOERROR"}' in metrics
    assert 'kyvern_dns_requests_total{type="A",rcode="NXDOMAIN"}' in metrics
    assert "kyvern_dns_request_duration_seconds_bucket" in metrics


def test_a_changed_service_or_endpoint_is_answered_within_a_second(server_factory, upstream):
    server, api, port = start(server_factory, upstream)
    api.create_namespace("live")
    slice_manifest = """
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: cache-1
  namespace: live
  labels: {kubernetes.io/service-name: cache}
addressType: IPv4
ports: [{name: redis, port: 6379, protocol: TCP}]
endpoints:
- {addresses: [%s], conditions: {ready: true}}
"""
    apply(api, """
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: live}
spec:
  clusterIP: None
  ports: [{name: redis, port: 6379}]
""" + "---" + slice_manifest % "10.42.0.20")

    def until(predicate, what, name="cache.live.svc.cluster.local"):
        t0 = time.monotonic()
        while True:
            r = ask(port, name)
            if predicate(r):
                return time.monotonic() - t0
            assert time.monotonic() - t0 < 1.0, f"{what}: still {r.to_text()} after 1 s"
            time.sleep(0.02)

    until(lambda r: texts(r) == ["10.42.0.20"], "first endpoint")
    apply(api, slice_manifest % "10.42.0.21")
    until(lambda r: texts(r) == ["10.42.0.21"], "moved endpoint")
    api.kubectl("delete", "service", "cache", "-n", "live")
    until(lambda r: r.rcode() == dns.rcode.NXDOMAIN, "deleted Service")
    # A new ClusterIP Service is answered within a second of its creation.
    api.kubectl("create", "service", "clusterip", "late", "--tcp=80:8080", "-n", "live")
    late_ip = api.kubectl("get", "service", "late", "-n", "live", "-o", "jsonpath={.spec.clusterIP}").stdout
    until(lambda r: texts(r) == [late_ip], "new Service", name="late.live.svc.cluster.local")


def test_other_names_are_forwarded_to_the_upstream(server_factory, upstream):
    server, api, port = start(server_factory, upstream)
    r = ask(port, "www.upstream.test")
    assert r.rcode() == dns.rcode.NOERROR and texts(r) == ["192.0.2.1"]
    assert not r.flags & dns.flags.AA
    assert ("www.upstream.test.", "udp") in upstream.seen
    # A client over TCP is forwarded over TCP.
    assert texts(ask(port, "www.upstream.test", tcp=True)) == ["192.0.2.1"]
    assert ("www.upstream.test.", "tcp") in upstream.seen
    # A truncated UDP answer from upstream is asked again over TCP and the full answer relayed.
    r = ask(port, "big.upstream.test")
    assert not r.flags & dns.flags.TC
    assert texts(r) == ["192.0.2.10", "192.0.2.11", "192.0.2.12"]
    assert [p for n, p in upstream.seen if n == "big.upstream.test."] == ["udp", "tcp"]
    # The upstream's NXDOMAIN is passed on; an upstream that never answers gives SERVFAIL.
    assert ask(port, "nothing.upstream.test").rcode() == dns.rcode.NXDOMAIN
    assert ask(port, "drop.upstream.test", timeout=10).rcode() == dns.rcode.SERVFAIL
    # Reverse names of addresses no Service or endpoint holds go upstream too.
    assert ask(port, "1.2.0.192.in-addr.arpa", "PTR").rcode() == dns.rcode.NXDOMAIN
    assert ("1.2.0.192.in-addr.arpa.", "udp") in upstream.seen
    # A malformed query is answered FORMERR with its id; the server keeps serving.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(bytes([0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3F, 1, 2]), ("127.0.0.1", port))
        data, _ = s.recvfrom(512)
    assert data[:2] == b"\xab\xcd" and data[2] & 0x80 and data[3] & 0x0F == dns.rcode.FORMERR
    assert texts(ask(port, "www.upstream.test")) == ["192.0.2.1"]
    # A graceful stop closes the listeners and ends the process cleanly.
    t0 = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - t0 < 10
    assert "cluster DNS stopped" in server.log_text()
    with pytest.raises(dns.exception.Timeout):
        ask(port, "www.upstream.test", timeout=0.5)
