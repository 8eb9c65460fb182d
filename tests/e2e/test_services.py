"""Services on a real node, as a new user tries them: a Deployment of busybox httpd pods behind a
ClusterIP Service, reached from a client pod by virtual IP and by DNS name, spread over every
ready pod; a pod deleted mid-run drops out of the rotation; NodePort from the host; session
affinity; a Service without endpoints refuses at once; headless Services in DNS.

Runs on the shared `node_cluster` (runc, CNI, the agent's Service proxy and cluster DNS). Traffic
goes only to the cluster's own virtual IPs, pod IPs (network namespaces the agent made) and
127.0.0.1."""
from __future__ import annotations

import collections
import json
import socket
import threading
import time
import urllib.request

from node_cluster import IMAGE
from test_agent_pods import nns, wait_until  # noqa: F401 (nns is a fixture)

# Every pod serves its own name on :8080.
HTTPD = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"


def web_manifest(name: str, replicas: int = 3, service: dict | None = None) -> str:
    svc_spec = {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    svc_spec.update(service or {})
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
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": svc_spec}
    return json.dumps(deployment) + "\n---\n" + json.dumps(svc)


def ready_pods(c, ns, app):
    out = c.kubectl("get", "pods", "-n", ns, "-l", f"app={app}", "-o", "json").stdout
    pods = json.loads(out)["items"]
    return {p["metadata"]["name"]: p["status"].get("podIP") for p in pods
            if p["metadata"].get("deletionTimestamp") is None
            and any(cond["type"] == "Ready" and cond["status"] == "True" for cond in p["status"].get("conditions", []))}


def slice_addresses(c, ns, svc, ready_only=True):
    out = c.kubectl("get", "endpointslices", "-n", ns, "-l", f"kubernetes.io/service-name={svc}", "-o", "json").stdout
    addresses = set()
    for item in json.loads(out)["items"]:
        for endpoint in item.get("endpoints") or []:
            if not ready_only or endpoint.get("conditions", {}).get("ready"):
                addresses.update(endpoint["addresses"])
    return addresses


def deploy(c, ns, name, replicas=3, service=None):
    """Applies the Deployment and Service and waits until every pod is ready and in the Service's slices."""
    c.kubectl("apply", "-n", ns, "-f", "-", input=web_manifest(name, replicas, service))
    pods = wait_until(f"{replicas} ready {name} pods",
                      lambda: (lambda p: p if len(p) == replicas else None)(ready_pods(c, ns, name)), timeout=90)
    wait_until(f"the {name} slices listing every pod",
               lambda: slice_addresses(c, ns, name) == set(pods.values()), timeout=30)
    svc = json.loads(c.kubectl("get", "service", name, "-n", ns, "-o", "json").stdout)
    return pods, svc


def client_pod(c, ns, name="client"):
    c.kubectl("run", name, "-n", ns, f"--image={IMAGE}", "--image-pull-policy=IfNotPresent", "--restart=Never",
              "--command", "--", "sleep", "3600")
    c.kubectl("wait", "-n", ns, f"pod/{name}", "--for=condition=Ready", "--timeout=60s")
    return name


def exec_in(c, ns, pod, script, timeout=90):
    return c.kubectl("exec", "-n", ns, pod, "--", "sh", "-c", script, timeout=timeout, check=False)


def fetch(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode().strip()


def test_a_cluster_ip_spreads_requests_from_a_pod_over_every_ready_pod(node_cluster, nns):
    c = node_cluster.cluster
    pods, svc = deploy(c, nns, "web")
    ip = svc["spec"]["clusterIP"]
    assert ip.startswith("10.43."), svc
    client_pod(c, nns)
    r = exec_in(c, nns, "client", f"for i in $(seq 60); do timeout 5 wget -q -O - http://{ip}/ || echo FAIL; done")
    assert r.returncode == 0, r.stderr
    served = collections.Counter(r.stdout.split())
    assert "FAIL" not in served, r.stdout
    assert set(served) == set(pods), served
    assert all(n >= 5 for n in served.values()), served  # 60 requests over 3 pods: ~20 each
    assert sum(served.values()) == 60


def test_pods_reach_a_service_by_its_dns_names(node_cluster, nns):
    c = node_cluster.cluster
    pods, svc = deploy(c, nns, "named", replicas=2)
    client_pod(c, nns)
    r = exec_in(c, nns, "client", f"nslookup named.{nns}.svc.cluster.local")
    assert r.returncode == 0, r.stdout + r.stderr
    assert svc["spec"]["clusterIP"] in r.stdout, r.stdout
    # the short name through the pod's search path (ndots:5), and the namespace-qualified one
    for name in ("named", f"named.{nns}"):
        r = exec_in(c, nns, "client", f"timeout 5 wget -q -O - http://{name}/")
        assert r.returncode == 0 and r.stdout.strip() in pods, (name, r.stdout, r.stderr)
    resolv = exec_in(c, nns, "client", "cat /etc/resolv.conf").stdout
    assert f"search {nns}.svc.cluster.local svc.cluster.local cluster.local" in resolv, resolv
    assert "nameserver 10.43.0.10" in resolv and "options ndots:5" in resolv, resolv
    # a name that does not exist in the cluster zone
    r = exec_in(c, nns, "client", f"nslookup nosuch.{nns}.svc.cluster.local")
    assert r.returncode != 0 and "NXDOMAIN" in r.stdout + r.stderr, r.stdout + r.stderr


def test_a_headless_service_answers_every_pod_ip(node_cluster, nns):
    c = node_cluster.cluster
    pods, svc = deploy(c, nns, "peers", replicas=3, service={"clusterIP": "None"})
    assert svc["spec"]["clusterIP"] == "None"
    client_pod(c, nns)
    r = exec_in(c, nns, "client", f"nslookup peers.{nns}.svc.cluster.local")
    assert r.returncode == 0, r.stdout + r.stderr
    answered = {line.split()[-1] for line in r.stdout.splitlines()
                if line.startswith("Address") and "#53" not in line and ":53" not in line}
    assert answered == set(pods.values()), r.stdout


def test_a_deleted_pod_leaves_the_rotation_within_two_seconds(node_cluster, nns):
    c = node_cluster.cluster
    pods, svc = deploy(c, nns, "rot")
    url = f"http://{svc['spec']['clusterIP']}/"
    victim = sorted(pods)[0]
    results: list[tuple[float, str]] = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            t = time.monotonic()
            try:
                results.append((t, fetch(url, timeout=1.0)))
            except OSError as e:
                results.append((t, f"FAIL {e}"))
            time.sleep(0.02)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    try:
        time.sleep(1.5)
        deleted_at = time.monotonic()
        c.kubectl("delete", "pod", victim, "-n", nns, "--wait=false")
        wait_until("the victim gone from the ready endpoints", lambda: pods[victim] not in slice_addresses(c, nns, "rot"),
                   timeout=10, interval=0.1)
        time.sleep(3)
    finally:
        stop.set()
        worker.join(timeout=5)
    before = [r for t, r in results if t < deleted_at]
    after = [(t - deleted_at, r) for t, r in results if t >= deleted_at + 2.0]
    assert victim in before and not any(r.startswith("FAIL") for r in before), collections.Counter(before)
    assert len(after) >= 20, len(after)
    assert not [r for _, r in after if r == victim or r.startswith("FAIL")], after[:20]
    # the Deployment's replacement joins the rotation
    wait_until("3 ready pods again", lambda: len(ready_pods(c, nns, "rot")) == 3, timeout=60)


def test_node_port_from_the_host_and_client_ip_affinity(node_cluster, nns):
    c = node_cluster.cluster
    pods, svc = deploy(c, nns, "np", service={"type": "NodePort", "sessionAffinity": "ClientIP"})
    port = svc["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    assert svc["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == 10800
    seen = collections.Counter(fetch(f"http://127.0.0.1:{port}/") for _ in range(15))
    assert len(seen) == 1 and set(seen) <= set(pods), seen  # ClientIP affinity: one pod for this client
    # without affinity the same NodePort spreads over every pod
    c.kubectl("patch", "service", "np", "-n", nns, "-p", '{"spec":{"sessionAffinity":"None"}}')

    def spread():
        got = collections.Counter(fetch(f"http://127.0.0.1:{port}/") for _ in range(45))
        return got if set(got) == set(pods) else None
    wait_until("NodePort requests reaching every pod", spread, timeout=10, interval=0.2)


def test_a_service_without_ready_endpoints_refuses_connections_at_once(node_cluster, nns):
    c = node_cluster.cluster
    c.kubectl("create", "service", "clusterip", "nobody", "-n", nns, "--tcp=80:8080")
    ip = json.loads(c.kubectl("get", "service", "nobody", "-n", nns, "-o", "json").stdout)["spec"]["clusterIP"]

    def refused():
        t = time.monotonic()
        try:
            socket.create_connection((ip, 80), timeout=3).close()
            return None
        except ConnectionRefusedError:
            return time.monotonic() - t
        except OSError:
            return None
    # the first refusal may span the moment the proxy programs the rule (a SYN sent before it is
    # dropped and retried); once the rule is in place, every new connection is refused at once
    wait_until("the connection refused", refused, timeout=10, interval=0.2)
    took = [refused() for _ in range(3)]
    assert all(t is not None and t < 0.5 for t in took), took


def test_host_network_and_host_port_pods_are_reached_on_the_node(node_cluster, nns):
    c = node_cluster.cluster
    host_port = 31000 + int(time.time()) % 700
    net_port = host_port + 700
    pods = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "on-host"},
         "spec": {"hostNetwork": True, "terminationGracePeriodSeconds": 1,
                  "containers": [{"name": "httpd", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                  "command": ["sh", "-c", f"mkdir -p /www && echo host-network > /www/index.html && exec httpd -f -p 127.0.0.1:{net_port} -h /www"]}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mapped"},
         "spec": {"terminationGracePeriodSeconds": 1,
                  "containers": [{"name": "httpd", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                  "command": ["sh", "-c", HTTPD],
                                  "ports": [{"containerPort": 8080, "hostPort": host_port}]}]}},
    ]
    c.kubectl("apply", "-n", nns, "-f", "-", input="\n---\n".join(json.dumps(p) for p in pods))
    for name in ("on-host", "mapped"):
        c.kubectl("wait", "-n", nns, f"pod/{name}", "--for=condition=Ready", "--timeout=60s")
    on_host = json.loads(c.kubectl("get", "pod", "on-host", "-n", nns, "-o", "json").stdout)
    assert on_host["status"]["podIP"] == on_host["status"]["hostIP"], on_host["status"]
    assert wait_until("the host-network pod's server", lambda: _try(f"http://127.0.0.1:{net_port}/")) == "host-network"
    mapped = json.loads(c.kubectl("get", "pod", "mapped", "-n", nns, "-o", "json").stdout)
    assert mapped["status"]["podIP"] != mapped["status"]["hostIP"]
    host_ip = mapped["status"]["hostIP"]
    assert wait_until("the hostPort", lambda: _try(f"http://{host_ip}:{host_port}/")) == "mapped"


def _try(url):
    try:
        return fetch(url, timeout=1.0)
    except OSError:
        return None
