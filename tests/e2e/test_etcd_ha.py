"""Several servers on one etcd: a server joining another with `--server URL --token T` (the CA fetched
from /cacerts and checked against the token's hash and the datastore), the `kubernetes` Service naming
every live server (lease endpoint reconciler), and etcd reached over client TLS."""
from __future__ import annotations

import json
import time

import pytest

from e2e_harness import wait_until
from etcd_cluster import EtcdCluster


@pytest.fixture
def etcd():
    cluster = EtcdCluster(1)
    yield cluster
    cluster.close()


def api_ports(c) -> set[int]:
    """The ports of the servers the kubernetes Service's Endpoints name (all servers here are 127.0.0.1)."""
    ep = json.loads(c.kubectl("get", "endpoints", "kubernetes", "-n", "default", "-o", "json").stdout)
    ports = set()
    for subset in ep.get("subsets") or []:
        assert [a["ip"] for a in subset["addresses"]] == ["127.0.0.1"], subset
        ports |= {p["port"] for p in subset["ports"]}
    return ports


def expect_refused(server_factory, *args: str, message: str | None, timeout: float = 20) -> None:
    p = server_factory.new(*args, "--disable-agent", start=False)
    with pytest.raises(Exception):
        p.start(timeout=timeout)
    if message is not None:
        assert message in p.log_text(), p.log_tail(20)


def test_a_server_joins_with_the_first_servers_token_and_a_forged_hash_is_refused(etcd, server_factory):
    a = server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent", "--token", "s3cret")
    token = (a.data_dir / "server-token").read_text().strip()
    assert token.startswith("K10") and token.endswith("::server:s3cret")
    b = server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent",
                           "--server", a.base_url, "--token", token)
    assert (b.data_dir / "pki" / "ca.crt").read_text() == (a.data_dir / "pki" / "ca.crt").read_text()
    assert (b.data_dir / "node-token").read_text() == (a.data_dir / "node-token").read_text()
    ca = server_factory.client(a)
    ca.kubectl("create", "configmap", "joined", "--from-literal=k=v")
    out = ca.kubectl("--server", b.base_url, "get", "configmap", "joined", "-o", "name").stdout.strip()
    assert out == "configmap/joined"

    # one changed digit of the CA hash: the CA a man in the middle could serve is not trusted
    digit = token[3]
    forged = token[:3] + ("0" if digit != "0" else "1") + token[4:]
    expect_refused(server_factory, "--datastore-endpoint", etcd.endpoints, "--server", a.base_url, "--token", forged,
                   message="does not match the --token's hash; refusing to trust it")
    # a joining server shares the first one's etcd; without one it says so
    expect_refused(server_factory, "--server", a.base_url, "--token", token,
                   message="--server joins a server that keeps its state in etcd: give --datastore-endpoint")
    # another etcd holds no credentials of that cluster: refused, not a second cluster
    with EtcdCluster(1) as other:
        expect_refused(server_factory, "--datastore-endpoint", other.endpoints, "--server", a.base_url, "--token", token,
                       message="the datastore holds no cluster credentials")


def test_the_kubernetes_service_names_every_live_server(etcd, server_factory):
    servers = [server_factory.new("--datastore-endpoint", etcd.endpoints, "--disable-agent", "--token", "s3cret")
               for _ in range(3)]
    a, b, c = servers
    ca = server_factory.client(a)
    everyone = {p.port for p in servers}
    wait_until("Endpoints name all three servers", lambda: api_ports(ca) == everyone, timeout=30)
    slice_ = json.loads(ca.kubectl("get", "endpointslice", "kubernetes", "-n", "default", "-o", "json").stdout)
    assert slice_["endpoints"] and slice_["ports"][0]["port"] == min(everyone)
    # a clean stop removes the server's record at once
    b.stop()
    wait_until("B dropped after its clean stop", lambda: api_ports(ca) == {a.port, c.port}, timeout=15)
    # a killed server drops out one lease TTL (15 s) after its last renewal, at the next reconcile
    t0 = time.monotonic()
    c.kill9()
    wait_until("C dropped after its TTL", lambda: api_ports(ca) == {a.port}, timeout=45)
    assert time.monotonic() - t0 >= 4, "a killed server's record outlives it until its TTL"


def test_a_server_reaches_etcd_over_client_tls(server_factory):
    with EtcdCluster(1, tls=True) as etcd:
        p = server_factory.new(*etcd.datastore_args(), "--disable-agent")
        c = server_factory.client(p)
        assert "using etcd" in p.log_tail(200)
        c.kubectl("create", "configmap", "over-tls", "--from-literal=a=1")
        uid = json.loads(c.kubectl("get", "configmap", "over-tls", "-o", "json").stdout)["metadata"]["uid"]
        p.kill9()
        p.start()
        assert json.loads(c.kubectl("get", "configmap", "over-tls", "-o", "json").stdout)["metadata"]["uid"] == uid
        # etcd demands a client certificate: without one the server never gets ready
        expect_refused(server_factory, "--datastore-endpoint", etcd.endpoints,
                       "--datastore-cafile", str(etcd.tls["ca.crt"]), message=None, timeout=10)
