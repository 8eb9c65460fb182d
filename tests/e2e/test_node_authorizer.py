"""The Node authorizer and NodeRestriction with a real node identity: a client certificate for
`system:node:<name>` in `system:nodes` (from an approved CertificateSigningRequest), used by kubectl.
The node reads only what its pods reference and changes only itself and its own pods."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import requests
import yaml

from conftest import rand_suffix
from e2e_harness import wait_until
from test_certificates import csr_object, make_request


def node_kubeconfig(cluster, work: Path, node: str) -> Path:
    """A kubeconfig whose user is the node `node`, with a certificate the cluster CA signed."""
    user = f"system:node:{node}"
    key, request = make_request(work, user, ["system:nodes"])
    name = f"node-{node}"
    cluster.ok_json(cluster.post("/apis/certificates.k8s.io/v1/certificatesigningrequests", csr_object(name, request)), 201)
    cluster.kubectl("certificate", "approve", name)

    def issued():
        csr = cluster.ok_json(cluster.get(f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"), 200)
        return csr["status"].get("certificate")

    cert = work / f"{node}.crt"
    cert.write_bytes(base64.b64decode(wait_until("certificate issued", issued, timeout=30)))
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    config["users"] = [{"name": user, "user": {"client-certificate": str(cert), "client-key": str(key)}}]
    config["contexts"][0]["context"]["user"] = user
    path = work / f"{node}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    cluster.kubectl("delete", "csr", name)
    return path, cert, key


def test_a_node_reaches_only_its_own_pods_objects_and_itself(cluster, ns, tmp_path):
    s = rand_suffix()
    node_a, node_b = f"worker-a-{s}", f"worker-b-{s}"
    for node in (node_a, node_b):
        cluster.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node, "labels": {"kubernetes.io/hostname": node}}}))
    kubeconfig, cert, key = node_kubeconfig(cluster, tmp_path, node_a)

    def as_node(*args, check=True):
        cp = subprocess.run([cluster.kubectl_bin, "--kubeconfig", str(kubeconfig), *args],
                            capture_output=True, text=True, timeout=60)
        if check:
            assert cp.returncode == 0, cp.stderr
        return cp

    try:
        who = as_node("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}").stdout
        assert who == f'system:node:{node_a} ["system:nodes","system:authenticated"]', who

        # A pod bound to each node, each with a secret of its own.
        for secret, pod, node in (("mine", "pod-a", node_a), ("theirs", "pod-b", node_b)):
            cluster.kubectl("create", "secret", "generic", secret, "-n", ns, "--from-literal", "k=v")
            cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod},
                "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}],
                         "volumes": [{"name": "s", "secret": {"secretName": secret}}]}}))

        # Secrets: only the one a pod on this node references.
        got = as_node("get", "secret", "mine", "-n", ns, "-o", "jsonpath={.data.k}").stdout
        assert base64.b64decode(got) == b"v"
        denied = as_node("get", "secret", "theirs", "-n", ns, check=False)
        assert denied.returncode != 0
        assert (f'secrets "theirs" is forbidden: User "system:node:{node_a}" cannot get resource "secrets" in API group "" '
                f"in the namespace \"{ns}\": no relationship found between node '{node_a}' and this object") in denied.stderr, \
            denied.stderr
        listed = as_node("get", "secrets", "-n", ns, check=False)
        assert listed.returncode != 0 and "cannot list resource \"secrets\"" in listed.stderr, listed.stderr

        # Nodes: its own Node's labels and status, not another Node, not restricted labels.
        other = as_node("label", "node", node_b, "example.com/team=blue", check=False)
        assert other.returncode != 0
        assert f'nodes "{node_b}" is forbidden: node "{node_a}" is not allowed to modify node "{node_b}"' in other.stderr, \
            other.stderr
        as_node("label", "node", node_a, "example.com/team=blue", "kubernetes.io/arch=amd64")
        # As upstream, a node may patch nodes/status but not get it (kubectl patch --subresource gets
        # first), so the status patch goes straight to the API with the node's certificate.
        r = requests.patch(f"{cluster.base_url}/api/v1/nodes/{node_a}/status", cert=(str(cert), str(key)),
                           verify=False, headers={"Content-Type": "application/merge-patch+json"},
                           data=json.dumps({"status": {"conditions": [
                               {"type": "Ready", "status": "False", "reason": "Testing",
                                "message": "patched by the node itself"}]}}))
        assert r.status_code == 200, r.text
        patched = r.json()
        assert patched["metadata"]["labels"]["example.com/team"] == "blue"
        assert any(c.get("reason") == "Testing" for c in patched["status"]["conditions"]), patched["status"]
        restricted = as_node("label", "node", node_a, "node-restriction.kubernetes.io/pool=gpu", check=False)
        assert restricted.returncode != 0
        assert (f'nodes "{node_a}" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool'
                in restricted.stderr), restricted.stderr

        # Pods: it deletes only pods bound to itself.
        theirs = as_node("delete", "pod", "pod-b", "-n", ns, "--wait=false", check=False)
        assert theirs.returncode != 0
        assert (f'pods "pod-b" is forbidden: node "{node_a}" can only delete pods with spec.nodeName set to itself'
                in theirs.stderr), theirs.stderr
        as_node("delete", "pod", "pod-a", "-n", ns, "--wait=false")
        # It creates no ordinary pods.
        created = as_node("run", "sneaky", "-n", ns, "--image", "busybox", f"--overrides={json.dumps({'spec': {'nodeName': node_a}})}",
                          check=False)
        assert created.returncode != 0 and "can only create mirror pods" in created.stderr, created.stderr
    finally:
        for node in (node_a, node_b):
            cluster.kubectl("delete", "node", node, "--ignore-not-found")


def test_the_interim_group_binding_is_gone_and_removed_from_older_clusters(server_factory):
    proc = server_factory.new()
    c = server_factory.client(proc)
    assert c.get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kyvern:node-agents").status_code == 404
    system_node = c.ok_json(c.get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node"), 200)
    assert system_node["roleRef"]["name"] == "system:node" and not system_node.get("subjects")
    # An older server's default binding is deleted at the next start; one a user took over is kept.
    for name, annotation in (("kyvern:node-agents", "true"), ("kept-by-user", "false")):
        c.ok_json(c.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                         "annotations": {"rbac.authorization.kubernetes.io/autoupdate": annotation}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:nodes"}]}), 201)
    proc.stop()
    proc.start()
    c = server_factory.client(proc)
    assert c.get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kyvern:node-agents").status_code == 404
    assert c.get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kept-by-user").status_code == 200
    c.ok_json(c.delete("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kept-by-user"), 200)
    # The node rules reach a node through the Node authorizer: it may read nodes, and not secrets.
    review = c.ok_json(c.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:node:n1", "groups": ["system:nodes"],
                 "resourceAttributes": {"verb": "list", "resource": "nodes"}}}), 201)
    assert review["status"]["allowed"] is True, review
    review = c.ok_json(c.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:node:n1", "groups": ["system:nodes"],
                 "resourceAttributes": {"verb": "get", "resource": "secrets", "namespace": "default", "name": "x"}}}), 201)
    assert review["status"]["allowed"] is False
    assert "no relationship found between node 'n1' and this object" in review["status"].get("reason", ""), review


def test_authorization_mode_accepts_upstreams_lists(server_factory):
    rbac_only = server_factory.new("--authorization-mode", "RBAC")
    c = server_factory.client(rbac_only)
    review = c.ok_json(c.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:node:n1", "groups": ["system:nodes"],
                 "resourceAttributes": {"verb": "list", "resource": "nodes"}}}), 201)
    # Without the Node mode a node holds only what RBAC grants it, as upstream.
    assert review["status"]["allowed"] is False, review
    bad = subprocess.run([str(rbac_only.binary), "server", "--authorization-mode", "Node,Webhook"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "--authorization-mode" in bad.stderr, bad.stderr
