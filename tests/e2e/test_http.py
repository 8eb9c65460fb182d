"""Credentials, health endpoints, TLS, HTTP/2 and HTTP/1.1, metrics."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess

import pytest
import requests

from e2e_harness import status_of


ANONYMOUS_DENIALS = {
    "/api/v1/namespaces": 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" '
                          'in API group "" at the cluster scope',
    "/api": 'forbidden: User "system:anonymous" cannot get path "/api"',
    "/apis": 'forbidden: User "system:anonymous" cannot get path "/apis"',
    "/api/v1/namespaces/default/configmaps": 'configmaps is forbidden: User "system:anonymous" cannot list resource '
                                             '"configmaps" in API group "" in the namespace "default"',
    "/openapi/v2": 'forbidden: User "system:anonymous" cannot get path "/openapi/v2"',
    "/metrics": 'forbidden: User "system:anonymous" cannot get path "/metrics"',
}


@pytest.mark.parametrize("path", list(ANONYMOUS_DENIALS))
def test_no_credentials_is_anonymous_and_forbidden(cluster, path):
    # As upstream with anonymous auth on: no credentials is system:anonymous, whom RBAC allows
    # only the public info (health, version), so everything else is 403 with upstream's message.
    r = cluster.request("GET", path, authenticated=False)
    assert r.status_code == 403, f"{path} without credentials -> {r.status_code}"
    st = status_of(r)
    assert st["reason"] == "Forbidden" and st["message"] == ANONYMOUS_DENIALS[path], st


def test_wrong_token_is_401(cluster):
    r = requests.get(cluster.base_url + "/api/v1/namespaces", verify=cluster.ca_path,
                     headers={"Authorization": "Bearer not-the-token"}, timeout=10)
    assert r.status_code == 401, r.text
    r = requests.get(cluster.base_url + "/api/v1/namespaces", verify=cluster.ca_path,
                     headers={"Authorization": "Basic YWRtaW46YWRtaW4="}, timeout=10)
    assert r.status_code == 401, r.text
    r = requests.post(cluster.base_url + "/api/v1/namespaces", verify=cluster.ca_path, timeout=10,
                      headers={"Authorization": "Bearer not-the-token"},
                      json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-unauth-write"}})
    assert r.status_code == 401, r.text
    r = requests.post(cluster.base_url + "/api/v1/namespaces", verify=cluster.ca_path, timeout=10,
                      json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-unauth-write"}})
    assert r.status_code == 403 and status_of(r)["reason"] == "Forbidden", r.text
    assert cluster.get("/api/v1/namespaces/e2e-unauth-write").status_code == 404


@pytest.mark.parametrize("path", ["/readyz", "/livez", "/healthz"])
def test_health_endpoints_need_no_credentials(cluster, path):
    r = requests.get(cluster.base_url + path, verify=cluster.ca_path, timeout=10)
    assert r.status_code == 200, r.text
    assert r.text == "ok", repr(r.text)


@pytest.mark.parametrize("path", ["/readyz", "/livez", "/healthz"])
def test_health_endpoints_verbose(cluster, path):
    """Upstream lists each check with ?verbose and ends with '<name> check passed'."""
    v = requests.get(cluster.base_url + path, params={"verbose": "1"}, verify=cluster.ca_path, timeout=10)
    assert v.status_code == 200, v.text
    assert v.text.rstrip().endswith(f"{path.strip('/')} check passed"), v.text
    assert "[+]ping ok" in v.text, v.text


def test_version_needs_no_credentials(cluster):
    r = requests.get(cluster.base_url + "/version", verify=cluster.ca_path, timeout=10)
    assert r.status_code == 200 and r.json()["major"] == "1", r.text


def test_kubeconfig_token_works_with_kubectl_and_python(cluster):
    cp = cluster.kubectl("get", "--raw", "/api/v1/namespaces/default")
    assert '"name":"default"' in cp.stdout.replace(" ", "")
    from kubernetes import client

    ns = client.CoreV1Api(cluster.api_client).read_namespace("default")
    assert ns.metadata.name == "default" and ns.status.phase == "Active"


def test_tls_certificate_is_verifiable(cluster):
    """The serving certificate chains to the kubeconfig's CA and names 127.0.0.1 and localhost."""
    port = int(cluster.base_url.rsplit(":", 1)[1])
    for host in ("127.0.0.1", "localhost"):
        ctx = ssl.create_default_context(cafile=cluster.ca_path)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                cert = s.getpeercert()
        sans = {v for k, v in cert.get("subjectAltName", ())}
        assert {"127.0.0.1", "localhost"} <= sans, sans
    # a client that does not trust the CA refuses the connection
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(cluster.base_url + "/readyz", timeout=5)


def _alpn(cluster, protocols):
    port = int(cluster.base_url.rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cafile=cluster.ca_path)
    ctx.set_alpn_protocols(protocols)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.selected_alpn_protocol()


def test_alpn_negotiates_h2_and_http11(cluster):
    assert _alpn(cluster, ["h2", "http/1.1"]) == "h2"
    assert _alpn(cluster, ["http/1.1"]) == "http/1.1"


def _curl_has_http2() -> bool:
    curl = shutil.which("curl")
    if not curl:
        return False
    out = subprocess.run([curl, "--version"], capture_output=True, text=True).stdout
    return "HTTP2" in out


def _curl(cluster, *args):
    return subprocess.run(["curl", "-sS", "--cacert", cluster.ca_path, "-H", f"Authorization: Bearer {cluster.token}",
                           "-o", "/dev/null", "-w", "%{http_version} %{http_code}", *args],
                          capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
def test_http2_and_http11_with_curl(cluster):
    if _curl_has_http2():
        cp = _curl(cluster, "--http2", cluster.base_url + "/api/v1/namespaces")
        assert cp.stdout == "2 200", cp.stdout + cp.stderr
        cp = _curl(cluster, "--http2", cluster.base_url + "/api/v1/namespaces/nope-x")
        assert cp.stdout == "2 404", cp.stdout + cp.stderr
    else:
        assert _alpn(cluster, ["h2", "http/1.1"]) == "h2"
    cp = _curl(cluster, "--http1.1", cluster.base_url + "/api/v1/namespaces")
    assert cp.stdout == "1.1 200", cp.stdout + cp.stderr


def test_http11_keepalive_many_requests(cluster):
    """Many requests over one HTTP/1.1 connection."""
    s = cluster.new_session()
    for _ in range(50):
        r = s.get(cluster.base_url + "/api/v1/namespaces/default", timeout=10)
        assert r.status_code == 200
    s.close()


def _samples(text: str, metric: str) -> list[tuple[dict, float]]:
    out = []
    for line in text.splitlines():
        if not line.startswith(metric + "{") and not line.startswith(metric + " "):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)", line)
        if not m or m.group(1) != metric:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out.append((labels, float(m.group(4))))
    return out


def _configmap_gets(text: str) -> float:
    return sum(v for labels, v in _samples(text, "apiserver_request_total")
               if labels.get("resource") == "configmaps" and labels.get("verb", "").upper() == "GET"
               and labels.get("subresource", "") == "")


def test_metrics_count_requests_per_verb_and_resource(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps",
                                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}}), 201)
    r = cluster.get("/metrics", headers={"Accept": "text/plain"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    before = _configmap_gets(r.text)
    for _ in range(5):
        assert cluster.get(f"/api/v1/namespaces/{ns}/configmaps/m").status_code == 200
    text = cluster.get("/metrics").text
    after = _configmap_gets(text)
    assert after - before >= 5, f"apiserver_request_total for GET configmaps went {before} -> {after}"
    assert "# TYPE apiserver_request_total counter" in text
    # verbs seen: a create (POST) and a list
    verbs = {labels.get("verb", "").upper() for labels, _ in _samples(text, "apiserver_request_total")
             if labels.get("resource") == "configmaps"}
    assert {"GET", "POST"} <= verbs or {"GET", "CREATE"} <= verbs, verbs
    # the latency histogram per verb and resource
    assert "# TYPE apiserver_request_duration_seconds histogram" in text
    buckets = [l for l, _ in _samples(text, "apiserver_request_duration_seconds_bucket")
               if l.get("resource") == "configmaps" and l.get("verb", "").upper() == "GET"]
    assert buckets and any(b.get("le") == "+Inf" for b in buckets), "no GET configmaps latency buckets"
    counts = [v for l, v in _samples(text, "apiserver_request_duration_seconds_count")
              if l.get("resource") == "configmaps" and l.get("verb", "").upper() == "GET"]
    assert counts and sum(counts) >= 5, counts
    # codes are labelled
    codes = {l.get("code") for l, _ in _samples(text, "apiserver_request_total") if l.get("resource") == "configmaps"}
    assert "200" in codes and "201" in codes, codes
