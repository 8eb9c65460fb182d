"""Per-node identities. The server's own node agent, its service proxy and its cluster DNS act as
`system:node:<name>` (group `system:nodes`), `system:kube-proxy` and `system:coredns`, with
certificates the server issues at every start (DATA/agent.kubeconfig, proxy.kubeconfig,
dns.kubeconfig). A joining agent bootstraps like upstream's kubelet: the join token may only ask for a
`kubernetes.io/kube-apiserver-client-kubelet` certificate, which csrapproving approves after a
SubjectAccessReview and csrsigning signs; the agent then acts as `system:node:<name>`, keeps the
certificate in its data dir and reuses it on restart."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import requests

import images
from e2e_harness import free_port, wait_until
from node_cluster import IMAGE, clean_agent_leftovers

POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
  - level: Metadata
    resources:
      - group: coordination.k8s.io
        resources: [leases]
  - level: None
"""


def audit_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def whoami(c, kubeconfig: Path) -> dict:
    cp = c.kubectl("--kubeconfig", str(kubeconfig), "auth", "whoami", "-o", "json")
    return json.loads(cp.stdout)["status"]["userInfo"]


def node_ready(c, name: str) -> bool:
    r = c.get(f"/api/v1/nodes/{name}")
    return r.status_code == 200 and any(
        cond["type"] == "Ready" and cond["status"] == "True" for cond in r.json()["status"].get("conditions", []))


def kubelet_csrs(c) -> list[dict]:
    items = json.loads(c.kubectl("get", "csr", "-o", "json").stdout)["items"]
    return [i for i in items if i["spec"]["signerName"] == "kubernetes.io/kube-apiserver-client-kubelet"]


def certificate_subject(pem: bytes) -> str:
    cp = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "RFC2253"], input=pem,
                        capture_output=True, check=True)
    return cp.stdout.decode().strip().removeprefix("subject=")


def test_the_servers_own_node_components_act_as_their_own_users(server_factory, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    log = tmp_path / "audit" / "audit.log"
    server = server_factory.new("--agent", "--node-name", "own-node", "--runtime", "process",
                                "--kubelet-port", str(free_port()), "--cluster-dns-listen", f"127.0.0.1:{free_port()}",
                                "--audit-policy-file", str(policy), "--audit-log-path", str(log))
    c = server_factory.client(server)
    wait_until("own-node Ready", lambda: node_ready(c, "own-node"), timeout=60)

    agent = whoami(c, server.data_dir / "agent.kubeconfig")
    assert agent["username"] == "system:node:own-node"
    assert "system:nodes" in agent["groups"] and "system:masters" not in agent["groups"]
    assert whoami(c, server.data_dir / "proxy.kubeconfig")["username"] == "system:kube-proxy"
    assert whoami(c, server.data_dir / "dns.kubeconfig")["username"] == "system:coredns"
    for name in ("agent", "proxy", "dns"):
        assert (os.stat(server.data_dir / f"{name}.kubeconfig").st_mode & 0o777) == 0o600

    # The node's Lease is written by the node itself, never by the admin.
    def lease_writes():
        return [e for e in audit_events(log) if e.get("objectRef", {}).get("name") == "own-node"
                and e["verb"] in ("create", "update", "patch") and e["stage"] == "ResponseComplete"]
    writes = wait_until("the node's lease created, audited", lambda: [e for e in lease_writes() if e["verb"] == "create"] and lease_writes(), timeout=30)
    assert {e["user"]["username"] for e in writes} == {"system:node:own-node"}, writes
    assert any(e["verb"] == "create" and e["responseStatus"]["code"] == 201 for e in writes), writes

    # The proxy's and the DNS server's roles cover what they read; neither may write.
    for kubeconfig in ("proxy.kubeconfig", "dns.kubeconfig"):
        for verb, resource in (("list", "services"), ("watch", "endpointslices.discovery.k8s.io")):
            cp = c.kubectl("--kubeconfig", str(server.data_dir / kubeconfig), "auth", "can-i", verb, resource, "-A",
                           check=False)
            assert cp.stdout.strip() == "yes", (kubeconfig, verb, resource, cp.stdout, cp.stderr)
        cp = c.kubectl("--kubeconfig", str(server.data_dir / kubeconfig), "auth", "can-i", "create", "pods", check=False)
        assert cp.stdout.strip() == "no", (kubeconfig, cp.stdout)


def test_a_joining_agent_bootstraps_its_own_node_identity(server_factory):
    server = server_factory.new()
    c = server_factory.client(server)
    token_file = server.data_dir / "node-token"
    token = token_file.read_text().strip()

    work = Path(tempfile.mkdtemp(prefix="kyvern-e2e-nodeid-"))
    data = work / "agent"
    layout = work / "busybox-layout"
    images.build_busybox_layout(layout, name=IMAGE)
    r = subprocess.run([str(server.binary), "image", "import", "--data-dir", str(data), str(layout)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    argv = [str(server.binary), "agent", "--server", server.base_url, "--token-file", str(token_file),
            "--runtime", "process", "--node-name", "joined", "--data-dir", str(data), "--kubelet-port", str(free_port())]
    log_path = work / "agent.log"
    log = open(log_path, "ab")
    agent = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def ready():
            assert agent.poll() is None, log_path.read_text()[-3000:]
            return node_ready(c, "joined")
        wait_until("the joined node Ready", ready, timeout=90)

        # One kubelet-client CSR, requested by the bootstrap identity, auto-approved and issued.
        csrs = kubelet_csrs(c)
        assert len(csrs) == 1, csrs
        csr = csrs[0]
        assert csr["spec"]["username"] == "system:bootstrap:kyvern"
        assert "system:bootstrappers" in csr["spec"]["groups"]
        assert sorted(csr["spec"]["usages"]) == ["client auth", "digital signature"]
        approved = [x for x in csr["status"]["conditions"] if x["type"] == "Approved"]
        assert approved and approved[0]["reason"] == "AutoApproved", csr["status"]
        assert approved[0]["message"] == "Auto approving kubelet client certificate after SubjectAccessReview."
        issued = base64.b64decode(csr["status"]["certificate"])
        assert certificate_subject(issued) == "CN=system:node:joined,O=system:nodes"
        row = [line for line in c.kubectl("get", "csr").stdout.splitlines() if line.startswith(csr["metadata"]["name"])]
        assert row and "kubernetes.io/kube-apiserver-client-kubelet" in row[0] and "system:bootstrap:kyvern" in row[0] \
            and row[0].split()[-1] == "Approved,Issued", row

        # The agent keeps key and certificate in its data dir; they name system:node:joined.
        crt, key = data / "pki" / "kubelet-client.crt", data / "pki" / "kubelet-client.key"
        assert crt.read_bytes() == issued
        assert (os.stat(key).st_mode & 0o777) == 0o600
        kubeconfig = work / "joined.kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "joined",
            "clusters": [{"name": "c", "cluster": {"server": server.base_url, "certificate-authority": c.ca_path}}],
            "users": [{"name": "joined", "user": {"client-certificate": str(crt), "client-key": str(key)}}],
            "contexts": [{"name": "joined", "context": {"cluster": "c", "user": "joined"}}]}))
        me = whoami(c, kubeconfig)
        assert me["username"] == "system:node:joined" and "system:nodes" in me["groups"], me

        # A pod bound to the node runs there.
        c.ok_json(c.post("/api/v1/namespaces/default/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "on-joined"},
            "spec": {"nodeName": "joined", "terminationGracePeriodSeconds": 1, "containers": [{
                "name": "main", "image": IMAGE, "imagePullPolicy": "Never", "command": ["sh", "-c", "sleep 3600"]}]}}),
            201)
        wait_until("the pod Running on the joined node", lambda: c.get("/api/v1/namespaces/default/pods/on-joined")
                   .json().get("status", {}).get("phase") == "Running", timeout=60)

        # The join token alone can do nothing but ask for certificates.
        s = c.new_session(authenticated=False)
        s.headers["Authorization"] = f"Bearer {token}"
        r = s.get(c.base_url + "/api/v1/pods", timeout=10)
        assert r.status_code == 403, r.text
        assert r.json()["message"].startswith('pods is forbidden: User "system:bootstrap:kyvern" cannot list resource "pods"'), r.text
        assert s.get(c.base_url + "/api/v1/nodes/joined", timeout=10).status_code == 403
        assert s.get(c.base_url + "/apis/certificates.k8s.io/v1/certificatesigningrequests", timeout=10).status_code == 200

        # A restarted agent reuses its certificate: no second request.
        agent.terminate()
        agent.wait(timeout=15)
        agent = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until("the restarted agent's log says it reuses its certificate",
                   lambda: "using the stored node client certificate" in log_path.read_text(), timeout=30)
        time.sleep(2)
        assert agent.poll() is None, log_path.read_text()[-3000:]
        assert len(kubelet_csrs(c)) == 1
        c.delete("/api/v1/namespaces/default/pods/on-joined?gracePeriodSeconds=0")
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=15)
        except subprocess.TimeoutExpired:
            agent.kill()
        log.close()
        # The pod's token volume may still be mounted (the agent stopped before tearing it down).
        clean_agent_leftovers(data)
        subprocess.run(["rm", "-rf", str(work)])
