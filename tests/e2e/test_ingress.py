"""Ingress on a real node, as a new user tries it: the built-in `kyvern` IngressClass (the default),
`/a` and `/b` of one host routed to two Services, HTTPS for a host from a TLS Secret made with
openssl (checked by curl against that certificate, over HTTP/2 and HTTP/1.1), a 503 while a
Service has no ready endpoint, a 404 for what no rule matches, and a pod deleted mid-run that
drops out with no failed request.

Runs on the shared `node_cluster` (runc pods serving their own name with busybox httpd); the
Ingress controller listens on the cluster's high ports on 127.0.0.1."""
from __future__ import annotations

import collections
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request

from node_cluster import IMAGE
from test_agent_pods import nns, wait_until  # noqa: F401 (nns is a fixture)

# Every pod serves its own name at /, /a/ and /b/ on :8080.
HTTPD = ("mkdir -p /www/a /www/b && for f in /www /www/a /www/b; do hostname > $f/index.html; done"
         " && exec httpd -f -p 8080 -h /www")


def app_manifest(name: str, replicas: int) -> str:
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{
                        "name": "httpd", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                        "command": ["sh", "-c", HTTPD],
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
                    }],
                },
            },
        },
    }
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
           "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    return json.dumps(deployment) + "\n---\n" + json.dumps(svc)


def ready_pods(c, ns, app):
    pods = json.loads(c.kubectl("get", "pods", "-n", ns, "-l", f"app={app}", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"] for p in pods if p["metadata"].get("deletionTimestamp") is None
            and any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", []))}


def deploy(c, ns, name, replicas):
    c.kubectl("apply", "-n", ns, "-f", "-", input=app_manifest(name, replicas))
    return wait_until(f"{replicas} ready {name} pods",
                      lambda: (lambda p: p if len(p) == replicas else None)(ready_pods(c, ns, name)), timeout=90)


def apply_ingress(c, ns, name, spec):
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name}, "spec": spec}
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(body))


def path(p, service, port):
    key = "number" if isinstance(port, int) else "name"
    return {"path": p, "pathType": "Prefix", "backend": {"service": {"name": service, "port": {key: port}}}}


def get(port, host, target, timeout=5.0):
    """(status, body) of GET http://127.0.0.1:port/target with Host: host."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{target}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_default_class_routes_paths_of_one_host_to_two_services(node_cluster, nns):
    c = node_cluster.cluster
    port = node_cluster.ingress_http_port
    ingress_class = json.loads(c.kubectl("get", "ingressclass", "kyvern", "-o", "json").stdout)
    assert ingress_class["spec"]["controller"] == "kyvern.io/ingress"
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    alpha = deploy(c, nns, "alpha", 2)
    beta = deploy(c, nns, "beta", 1)
    host = f"web.{nns}.example"
    # no ingressClassName: the default class serves it; /b names the Service port by name
    apply_ingress(c, nns, "web", {"rules": [{"host": host, "http": {"paths": [
        path("/a", "alpha", 80), path("/b", "beta", "http")]}}]})
    wait_until("the Ingress serving /a", lambda: get(port, host, "/a/")[1] in alpha, timeout=15)
    seen = collections.Counter(get(port, host, "/a/")[1] for _ in range(20))
    assert set(seen) == alpha, seen  # spread over both ready pods
    assert all(n >= 3 for n in seen.values()), seen
    assert {get(port, host, "/b/")[1] for _ in range(5)} == beta
    # what no rule matches: the default 404, for another path and another host
    assert get(port, host, "/c/")[0] == 404
    assert get(port, "other.example", "/a/")[0] == 404
    # the host sees where the request came from
    node_ip = wait_until("status.loadBalancer filled in", lambda: (lambda i: i[0].get("ip") if i else None)(
        json.loads(c.kubectl("get", "ingress", "web", "-n", nns, "-o", "json").stdout)
        .get("status", {}).get("loadBalancer", {}).get("ingress")), timeout=15)
    assert node_ip.count(".") == 3, node_ip
    wide = c.kubectl("get", "ingress", "web", "-n", nns).stdout
    assert node_ip in wide, wide


def test_https_for_a_host_from_a_tls_secret(node_cluster, nns, tmp_path):
    c = node_cluster.cluster
    port = node_cluster.ingress_https_port
    pods = deploy(c, nns, "secure", 1)
    host = f"secure.{nns}.example"
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=DNS:{host}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    c.kubectl("create", "secret", "tls", "secure-tls", "-n", nns, f"--cert={cert}", f"--key={key}")
    apply_ingress(c, nns, "secure", {"ingressClassName": "kyvern", "tls": [{"hosts": [host], "secretName": "secure-tls"}],
                                     "rules": [{"host": host, "http": {"paths": [path("/", "secure", 80)]}}]})

    def curl(*extra):
        return subprocess.run(["curl", "-sS", "--max-time", "5", "--resolve", f"{host}:{port}:127.0.0.1",
                               "--cacert", str(cert), *extra, f"https://{host}:{port}/"],
                              capture_output=True, text=True)

    wait_until("HTTPS served with the Secret's certificate", lambda: curl().stdout.strip() in pods, timeout=20)
    h2 = curl("--http2", "-w", "%{http_version}")
    assert h2.returncode == 0, h2.stderr
    lines = h2.stdout.strip().split("\n")
    assert len(lines) == 2 and lines[0] in pods and lines[1] == "2", h2.stdout
    body = lines[0]
    h1 = curl("--http1.1", "-w", "%{http_version}")
    assert h1.stdout.strip().split("\n") == [body, "1.1"], h1.stdout
    # a host with no certificate of its own gets the default one, which the Secret's CA does not sign
    other = subprocess.run(["curl", "-sS", "--max-time", "5", "--resolve", f"other.example:{port}:127.0.0.1",
                            "--cacert", str(cert), f"https://other.example:{port}/"], capture_output=True, text=True)
    assert other.returncode != 0, other.stdout


def test_no_ready_endpoint_answers_503(node_cluster, nns):
    c = node_cluster.cluster
    port = node_cluster.ingress_http_port
    c.kubectl("create", "service", "clusterip", "empty", "-n", nns, "--tcp=80:8080")
    host = f"empty.{nns}.example"
    apply_ingress(c, nns, "empty", {"rules": [{"host": host, "http": {"paths": [path("/", "empty", 80)]}}]})
    status, body = wait_until("a 503", lambda: (lambda r: r if r[0] == 503 else None)(get(port, host, "/")), timeout=15)
    assert "503 Service Temporarily Unavailable" in body, body


def test_kubectl_create_ingress_as_the_readme_shows(node_cluster, nns):
    """`kubectl create ingress` sends the Ingress as protobuf, not JSON."""
    c = node_cluster.cluster
    port = node_cluster.ingress_http_port
    c.kubectl("create", "service", "clusterip", "made", "-n", nns, "--tcp=80:8080")
    host = f"made.{nns}.example"
    c.kubectl("create", "ingress", "made", "-n", nns, f"--rule={host}/*=made:80")
    ingress = json.loads(c.kubectl("get", "ingress", "made", "-n", nns, "-o", "json").stdout)
    assert ingress["spec"]["rules"] == [{"host": host, "http": {"paths": [{
        "path": "/", "pathType": "Prefix", "backend": {"service": {"name": "made", "port": {"number": 80}}}}]}}], ingress
    status, body = wait_until("a 503", lambda: (lambda r: r if r[0] == 503 else None)(get(port, host, "/")), timeout=15)
    assert "503 Service Temporarily Unavailable" in body, body


def test_a_deleted_endpoint_drops_out_with_no_failed_request(node_cluster, nns):
    c = node_cluster.cluster
    port = node_cluster.ingress_http_port
    pods = deploy(c, nns, "steady", 3)
    host = f"steady.{nns}.example"
    apply_ingress(c, nns, "steady", {"rules": [{"host": host, "http": {"paths": [path("/", "steady", 80)]}}]})
    wait_until("the Ingress serving", lambda: get(port, host, "/")[1] in pods, timeout=15)
    victim = sorted(pods)[0]
    results: list[tuple[float, str]] = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            t = time.monotonic()
            try:
                status, body = get(port, host, "/", timeout=10)
                results.append((t, body if status == 200 else f"FAIL {status}"))
            except OSError as e:
                results.append((t, f"FAIL {e}"))
            time.sleep(0.01)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    try:
        time.sleep(1.5)
        deleted_at = time.monotonic()
        c.kubectl("delete", "pod", victim, "-n", nns, "--wait=false")
        time.sleep(5)
    finally:
        stop.set()
        worker.join(timeout=15)
    before = [r for t, r in results if t < deleted_at]
    after = [r for t, r in results if t >= deleted_at + 2.0]
    assert victim in before, collections.Counter(before)
    assert not [r for _, r in results if r.startswith("FAIL")], [r for _, r in results if r.startswith("FAIL")][:10]
    assert len(after) >= 20 and victim not in after, collections.Counter(after)


# A CGI that answers with the size of the request body it read.
COUNTER = ("mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\nwc -c\\n'"
           " > /www/cgi-bin/count && chmod +x /www/cgi-bin/count && exec httpd -f -p 8080 -h /www")


def test_a_large_upload_passes_through_whole(node_cluster, nns, tmp_path):
    """A request body far above the sockets' buffers streams through to the endpoint (it hung once:
    parts were written to the endpoint's connection and never flushed)."""
    c = node_cluster.cluster
    port = node_cluster.ingress_http_port
    manifest = app_manifest("upload", 1).replace(json.dumps(HTTPD)[1:-1], json.dumps(COUNTER)[1:-1])
    assert "cgi-bin" in manifest
    c.kubectl("apply", "-n", nns, "-f", "-", input=manifest)
    wait_until("a ready upload pod", lambda: len(ready_pods(c, nns, "upload")) == 1, timeout=90)
    host = f"upload.{nns}.example"
    apply_ingress(c, nns, "upload", {"rules": [{"host": host, "http": {"paths": [path("/", "upload", 80)]}}]})
    body = tmp_path / "body.bin"
    size = 8 << 20
    body.write_bytes(b"k" * size)

    def post():
        return subprocess.run(["curl", "-sS", "--max-time", "30", "-H", f"Host: {host}", "--data-binary", f"@{body}",
                               f"http://127.0.0.1:{port}/cgi-bin/count"], capture_output=True, text=True)

    # the CGI's head ends its lines with a bare LF, which the proxy accepts as nginx does
    answers = []

    def counted():
        answers.append(post())
        return answers[-1].stdout.strip().isdigit()

    try:
        wait_until("the Ingress serving the counter", counted, timeout=30)
    except AssertionError as e:
        raise AssertionError(f"{e}; the last answer: {answers[-1].stdout[:300]!r} {answers[-1].stderr[:300]!r}") from None
    for _ in range(2):
        answer = post()
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip() == str(size), answer.stdout


def test_the_controller_acts_as_its_own_user_with_an_ingress_controllers_rights(node_cluster):
    c = node_cluster.cluster
    kubeconfig = str(node_cluster.data / "ingress.kubeconfig")
    me = json.loads(c.kubectl("--kubeconfig", kubeconfig, "auth", "whoami", "-o", "json").stdout)
    assert me["status"]["userInfo"]["username"] == "system:kyvern-ingress", me
    for verb, resource, *extra in (("watch", "ingresses.networking.k8s.io"), ("list", "secrets"),
                                   ("list", "endpointslices.discovery.k8s.io"),
                                   ("update", "ingresses.networking.k8s.io", "--subresource=status"),
                                   ("create", "ingressclasses.networking.k8s.io")):
        cp = c.kubectl("--kubeconfig", kubeconfig, "auth", "can-i", verb, resource, *extra, "-A", check=False)
        assert cp.stdout.strip() == "yes", (verb, resource, cp.stdout, cp.stderr)
    for verb, resource in (("create", "pods"), ("update", "ingresses.networking.k8s.io"), ("delete", "secrets")):
        cp = c.kubectl("--kubeconfig", kubeconfig, "auth", "can-i", verb, resource, "-A", check=False)
        assert cp.stdout.strip() == "no", (verb, resource, cp.stdout)


def test_the_proxy_metrics_are_on_the_servers_metrics(node_cluster, nns):
    """Requests by code, upstream errors and open connections, in the server's /metrics (its node's proxy)."""
    c = node_cluster.cluster
    port = node_cluster.ingress_http_port

    def count(code):
        for line in c.get("/metrics").text.splitlines():
            if line.startswith(f'kyvern_ingress_requests_total{{code="{code}"}} '):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = count(404)
    for _ in range(3):
        assert get(port, f"nobody.{nns}.example", "/")[0] == 404
    assert count(404) >= before + 3
    text = c.get("/metrics").text
    assert 'kyvern_ingress_upstream_errors_total{reason="connect"}' in text
    assert 'kyvern_ingress_upstream_errors_total{reason="reset"}' in text
    assert "kyvern_ingress_active_connections " in text
