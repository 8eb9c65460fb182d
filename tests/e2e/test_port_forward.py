"""kubectl port-forward against real containers: kubectl 1.37 speaks SPDY/3.1 tunnelled in a
WebSocket (`SPDY/3.1+portforward.k8s.io`) to the API server, which bridges each forwarded
connection to the node agent's WebSocket port-forward into the pod's network namespace."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time

from test_agent_pods import get_pod, nns, pod, wait_until  # noqa: F401 (nns is a fixture)

# Port 8080 greets one line and closes; port 8081 echoes until the client half-closes; port 8082
# sends the numbers 1 to 400000, one a line (2.6 MB), and closes.
SERVERS = ("printf '#!/bin/sh\\nread line\\necho \"hello $line\"\\n' > /tmp/greet && busybox chmod +x /tmp/greet"
           " && printf '#!/bin/sh\\nexec busybox seq 1 400000\\n' > /tmp/count && busybox chmod +x /tmp/count"
           " && (busybox nc -ll -p 8082 -e /tmp/count &)"
           " && (busybox nc -ll -p 8081 -e /bin/cat &) && exec busybox nc -ll -p 8080 -e /tmp/greet")
NUMBERS = "".join(f"{i}\n" for i in range(1, 400001)).encode()


def start_servers(c, ns, name="web"):
    body = pod(name, SERVERS)
    body["metadata"]["labels"] = {"app": name}
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)
    wait_until(f"{name} Running", lambda: get_pod(c, ns, name)["status"].get("phase") == "Running")
    wait_until("the ports listening", lambda: {":8080", ":8081", ":8082"} <= set(
        re.findall(r":808[012]", " ".join(listening(c, ns, name)))))


def listening(c, ns, name):
    out = c.kubectl("exec", name, "-n", ns, "--", "busybox", "netstat", "-tln", check=False).stdout
    return [line for line in out.splitlines() if "LISTEN" in line]


def established(c, ns, name):
    """TCP connections inside the pod: the agent's connections into the pod's loopback."""
    out = c.kubectl("exec", name, "-n", ns, "--", "busybox", "netstat", "-tn").stdout
    return [line for line in out.splitlines() if "ESTABLISHED" in line and re.search(r":808[01]\b", line)]


class Forward:
    """A running `kubectl port-forward` and the local ports it printed, in order."""

    def __init__(self, c, *args):
        self.proc = c.kubectl_popen("port-forward", *args)
        self.lines: list[str] = []
        self.ports: list[int] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ports(self, count):
        def ready():
            found = [re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$", line) for line in self.lines]
            return [m for m in found if m] if sum(1 for m in found if m) >= count else None
        matches = wait_until(f"kubectl printing {count} forwarded ports", lambda: ready() or self.proc.poll() is not None)
        assert self.proc.poll() is None, f"kubectl exited {self.proc.returncode}: {self.proc.stderr.read()}"
        self.ports = [int(m.group(1)) for m in matches]
        return [int(m.group(2)) for m in matches]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        return self.proc.stderr.read()


def exchange(port, payload: bytes, half_close: bool, timeout: float = 20) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
        return received


def test_forwards_connections_to_the_pods_ports(node_cluster, nns):
    c = node_cluster.cluster
    start_servers(c, nns)
    with Forward(c, "pod/web", ":8080", ":8081", "-n", nns) as fwd:
        assert fwd.wait_ports(2) == [8080, 8081], fwd.lines
        greet, echo = fwd.ports
        # The pod's server closes after its answer: the end reaches the client as EOF.
        assert exchange(greet, b"world\n", half_close=False) == b"hello world\n"
        assert exchange(greet, b"again\n", half_close=False) == b"hello again\n"
        # A client's half-close reaches the pod (cat ends at EOF), and a large payload passes whole.
        big = bytes(range(256)) * 1024
        assert exchange(echo, big, half_close=True) == big
        # Two connections at once through the one forward.
        results: dict[int, bytes] = {}
        first = socket.create_connection(("127.0.0.1", echo), timeout=20)
        second = socket.create_connection(("127.0.0.1", echo), timeout=20)
        first.sendall(b"first ")
        second.sendall(b"second ")
        wait_until("both connections in the pod", lambda: len(established(c, nns, "web")) >= 4)
        for i, s in enumerate((first, second)):
            s.sendall(b"done" if i == 0 else b"finished")
            s.shutdown(socket.SHUT_WR)
        for i, s in enumerate((first, second)):
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            results[i] = data
            s.close()
        assert results == {0: b"first done", 1: b"second finished"}
        assert fwd.proc.poll() is None
        handled = [line for line in fwd.lines if line.startswith("Handling connection for ")]
        assert len(handled) == 5, fwd.lines
        wait_until("no connection left in the pod", lambda: established(c, nns, "web") == [])


def test_a_large_download_arrives_whole_and_in_order(node_cluster, nns):
    c = node_cluster.cluster
    start_servers(c, nns)
    with Forward(c, "pod/web", ":8082", "-n", nns) as fwd:
        fwd.wait_ports(1)
        with socket.create_connection(("127.0.0.1", fwd.ports[0]), timeout=30) as s:
            received = b""
            while chunk := s.recv(4096):
                received += chunk
                time.sleep(0.0005)  # a slow reader: the pod's side must wait, not the API server's memory
        assert len(received) == len(NUMBERS) and received == NUMBERS


def test_forwards_through_a_service_to_its_pods_target_port(node_cluster, nns):
    c = node_cluster.cluster
    start_servers(c, nns)
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "greeter"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}), 201)
    with Forward(c, "svc/greeter", ":80", "-n", nns) as fwd:
        assert fwd.wait_ports(1) == [8080], fwd.lines
        assert exchange(fwd.ports[0], b"service\n", half_close=False) == b"hello service\n"


def test_killing_kubectl_closes_the_pods_connections(node_cluster, nns):
    c = node_cluster.cluster
    start_servers(c, nns)
    with Forward(c, "pod/web", ":8081", "-n", nns) as fwd:
        fwd.wait_ports(1)
        held = socket.create_connection(("127.0.0.1", fwd.ports[0]), timeout=20)
        held.sendall(b"ping")
        assert held.recv(4) == b"ping"
        assert len(established(c, nns, "web")) == 2  # the agent's socket and cat's, in the pod
    # kubectl is gone: the API server's tunnel ends, and with it the agent's connection into the pod.
    wait_until("the pod's connection closed", lambda: established(c, nns, "web") == [])
    held.close()


def test_port_nothing_listens_on(node_cluster, nns):
    c = node_cluster.cluster
    start_servers(c, nns)
    with Forward(c, "pod/web", ":9999", "-n", nns) as fwd:
        fwd.wait_ports(1)
        assert exchange(fwd.ports[0], b"x", half_close=False) == b""
        # kubectl 1.37 logs the error from the error stream and ends the forward.
        fwd.proc.wait(timeout=30)
        err = fwd.proc.stderr.read()
        assert fwd.proc.returncode == 1, err
        assert "An error occurred forwarding" in err and "error forwarding port 9999 to pod" in err, err
        assert err.rstrip().endswith("error: lost connection to pod"), err
        assert "connection refused" in err.lower(), err


def test_pods_that_cannot_forward(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("pending", "sleep 3600", nodeSelector={"no": "such-node"})), 201)
    cp = c.kubectl("port-forward", "pod/pending", ":8080", "-n", nns, check=False, timeout=30)
    assert (cp.returncode, cp.stderr) == (1, "error: unable to forward port because pod is not running. Current status=Pending\n")
    cp = c.kubectl("port-forward", "pod/nope", ":8080", "-n", nns, check=False, timeout=30)
    assert (cp.returncode, cp.stderr) == (1, 'Error from server (NotFound): pods "nope" not found\n')


def test_python_client_forwards_over_plain_websocket(node_cluster, nns):
    """The official client speaks WebSocket `portforward.k8s.io`, relayed unchanged to the agent."""
    from kubernetes import client
    from kubernetes.stream import portforward

    c = node_cluster.cluster
    start_servers(c, nns)
    api = client.CoreV1Api(c.api_client)
    pf = portforward(api.connect_get_namespaced_pod_portforward, "web", nns, ports="8080")
    sock = pf.socket(8080)
    sock.setblocking(True)
    sock.settimeout(20)
    sock.sendall(b"python\n")
    received = b""
    while chunk := sock.recv(1024):
        received += chunk
    sock.close()
    assert received == b"hello python\n"
    assert pf.error(8080) is None
    pf.close()
