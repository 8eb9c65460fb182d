"""The built-in Ingress on every node: two joined agents (each its own host, see multi_node.py),
one on the default ports and one on ports given with --ingress-http-port/--ingress-https-port,
both answer an Ingress whose only pod runs on one of them; `status.loadBalancer.ingress` lists
both nodes' addresses, written by one of them; each node's controller acts as
system:kyvern-ingress:<node> through a certificate its node asked for; the proxy's Prometheus
metrics are on the agent's /metrics; a node whose agent stops drops out of the status."""
from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from e2e_harness import wait_until
from multi_node import NODES
from node_cluster import IMAGE, pod_namespace_fixture, started_with_runc

HTTPD = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"
METRICS_PORT = 9464
# node-b serves the Ingress on other ports, and its metrics over HTTP.
PORTS = {"node-a": (80, 443), "node-b": (8081, 8444)}


@pytest.fixture(scope="module")
def nodes(kyvern_bin):
    from multi_node import TwoNodeCluster

    args = {"node-b": ("--ingress-http-port", "8081", "--ingress-https-port", "8444",
                       "--metrics-bind-address", f"0.0.0.0:{METRICS_PORT}")}
    yield from started_with_runc(lambda: TwoNodeCluster(kyvern_bin, agent_args=args))


ins = pod_namespace_fixture("ins", "nodes", "ingn-")


def address(node):
    return NODES[node][1]


def get(url, host, timeout=5):
    request = urllib.request.Request(url, headers={"Host": host})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode().strip()


def serve_one_pod_on_node_a(c, ns):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
           "spec": {"nodeName": "node-a", "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "httpd", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                    "command": ["sh", "-c", HTTPD], "ports": [{"containerPort": 8080}],
                                    "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}}]}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
               "spec": {"rules": [{"host": "web.test", "http": {"paths": [{
                   "path": "/", "pathType": "Prefix",
                   "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
    c.kubectl("apply", "-n", ns, "-f", "-", input="\n---\n".join(json.dumps(o) for o in (pod, svc, ingress)))
    c.kubectl("wait", "-n", ns, "pod/web", "--for=condition=Ready", "--timeout=90s")


def status_ips(c, ns):
    ingress = json.loads(c.kubectl("get", "ingress", "web", "-n", ns, "-o", "json").stdout)
    return [p.get("ip") for p in ingress.get("status", {}).get("loadBalancer", {}).get("ingress", [])]


def answered(url):
    try:
        return get(url, "web.test")
    except OSError:
        return None


def test_an_ingress_is_answered_on_every_node_and_its_status_lists_both(nodes, ins):
    c = nodes.cluster
    serve_one_pod_on_node_a(c, ins)
    for node, (http, _) in PORTS.items():
        url = f"http://{address(node)}:{http}/"
        status, body = wait_until(f"the Ingress answered on {node} ({url})",
                                  lambda: (lambda r: r if r and r[0] == 200 else None)(answered(url)), timeout=60)
        assert body == "web", (node, body)
    wait_until("status lists both nodes",
               lambda: status_ips(c, ins) == [address("node-a"), address("node-b")] or None, timeout=30)
    # one writer: the status stays put (no two instances rewriting it in turn)
    rv = json.loads(c.kubectl("get", "ingress", "web", "-n", ins, "-o", "json").stdout)["metadata"]["resourceVersion"]
    time.sleep(3)
    again = json.loads(c.kubectl("get", "ingress", "web", "-n", ins, "-o", "json").stdout)["metadata"]["resourceVersion"]
    assert again == rv
    printed = c.kubectl("get", "ingress", "web", "-n", ins).stdout
    assert f"{address('node-a')},{address('node-b')}" in printed, printed


def test_https_is_served_on_the_https_port_of_every_node(nodes, ins):
    c = nodes.cluster
    serve_one_pod_on_node_a(c, ins)
    for node, (_, https) in PORTS.items():
        def fetched():
            r = subprocess.run(["curl", "-sk", "--max-time", "5", "--resolve", f"web.test:{https}:{address(node)}",
                                f"https://web.test:{https}/"], capture_output=True, text=True)
            return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() == "web" else None
        assert wait_until(f"HTTPS on {node}", fetched, timeout=60) == "web"


def test_each_node_acts_as_its_own_ingress_user_from_a_certificate_it_asked_for(nodes):
    c = nodes.cluster
    csrs = json.loads(c.kubectl("get", "csr", "-o", "json").stdout)["items"]
    for node in NODES:
        mine = [x for x in csrs if x["spec"]["signerName"] == "kyvern.io/ingress-client"
                and x["spec"]["username"] == f"system:node:{node}"]
        assert mine, [(x["spec"]["signerName"], x["spec"]["username"]) for x in csrs]
        assert any(cond["type"] == "Approved" for cond in mine[0]["status"]["conditions"]), mine[0]["status"]
        pki = nodes.agent_data(node) / "pki"
        assert (pki / "ingress-client.crt").exists() and (pki / "ingress-client.key").exists()
        me = json.loads(c.kubectl("--client-certificate", str(pki / "ingress-client.crt"),
                                  "--client-key", str(pki / "ingress-client.key"), "--token", "",
                                  "auth", "whoami", "-o", "json").stdout)
        info = me["status"]["userInfo"]
        assert info["username"] == f"system:kyvern-ingress:{node}", info
        assert "system:kyvern-ingresses" in info["groups"], info
    user = ("--as", "system:kyvern-ingress:node-a", "--as-group", "system:kyvern-ingresses")
    for verb, resource, *extra in (("list", "secrets", "-A"), ("watch", "ingresses.networking.k8s.io", "-A"),
                                   ("update", "ingresses.networking.k8s.io", "--subresource=status", "-A"),
                                   ("update", "leases.coordination.k8s.io", "-n", "kube-system")):
        cp = c.kubectl("auth", "can-i", verb, resource, *extra, *user, check=False)
        assert cp.stdout.strip() == "yes", (verb, resource, cp.stdout, cp.stderr)
    for verb, resource, *extra in (("create", "pods", "-A"), ("delete", "secrets", "-A"),
                                   ("update", "leases.coordination.k8s.io", "-n", "default")):
        cp = c.kubectl("auth", "can-i", verb, resource, *extra, *user, check=False)
        assert cp.stdout.strip() == "no", (verb, resource, cp.stdout)
    # which is why it is not the node's own identity: the node authorizer keeps nodes from every Secret
    cp = c.kubectl("auth", "can-i", "list", "secrets", "-A", "--as", "system:node:node-a", "--as-group", "system:nodes",
                   check=False)
    assert cp.stdout.strip().startswith("no"), cp.stdout


def test_the_proxy_metrics_are_on_the_agents_metrics_endpoint(nodes, ins):
    c = nodes.cluster
    serve_one_pod_on_node_a(c, ins)
    url = f"http://{address('node-b')}:{PORTS['node-b'][0]}/"
    wait_until("the Ingress answered on node-b", lambda: (lambda r: r if r and r[0] == 200 else None)(answered(url)),
               timeout=60)
    for _ in range(3):
        assert get(url, "web.test")[0] == 200
    try:
        get(f"http://{address('node-b')}:{PORTS['node-b'][0]}/", "nobody.test")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    with urllib.request.urlopen(f"http://{address('node-b')}:{METRICS_PORT}/metrics", timeout=5) as response:
        text = response.read().decode()

    def value(prefix):
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        assert lines, (prefix, [line for line in text.splitlines() if "ingress" in line])
        return float(lines[0].rsplit(" ", 1)[1])

    assert value('kyvern_ingress_requests_total{code="200"}') >= 4
    assert value('kyvern_ingress_requests_total{code="404"}') >= 1
    assert value('kyvern_ingress_upstream_errors_total{reason="connect"}') >= 0
    assert value("kyvern_ingress_active_connections") >= 0


def test_a_node_whose_agent_stops_drops_out_of_the_status(nodes, ins):
    """Last: stops node-b's agent."""
    c = nodes.cluster
    serve_one_pod_on_node_a(c, ins)
    wait_until("status lists both nodes",
               lambda: status_ips(c, ins) == [address("node-a"), address("node-b")] or None, timeout=60)
    proc = nodes.agents["node-b"]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    wait_until("status lists node-a only", lambda: status_ips(c, ins) == [address("node-a")] or None, timeout=30)


def test_the_agent_checks_its_ingress_flags_like_the_server(kyvern_bin, tmp_path):
    token = tmp_path / "token"
    token.write_text("x")
    base = [str(kyvern_bin), "agent", "--server", "https://127.0.0.1:1", "--token-file", str(token)]
    r = subprocess.run([*base, "--disable", "ingress,dns"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and '--disable: unknown component "dns" (ingress)' in r.stderr, r.stderr
    r = subprocess.run([*base, "--ingress-http-port", "70000"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "--ingress-http-port and --ingress-https-port must be between 0 and 65535" in r.stderr, r.stderr
