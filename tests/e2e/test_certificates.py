"""A user certificate from an approved CertificateSigningRequest, as a new user gets one upstream:
openssl makes a key and request, `kubectl certificate approve` approves it, the cluster CA signs
it, and the certificate then authenticates in a kubeconfig, confined to what RBAC grants its CN."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import yaml

from conftest import rand_suffix
from e2e_harness import status_of, wait_until


def make_request(work: Path, user: str, groups: list[str]) -> tuple[Path, bytes]:
    key = work / f"{user}.key"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    subject = f"/CN={user}" + "".join(f"/O={g}" for g in groups)
    csr = subprocess.run(["openssl", "req", "-new", "-key", str(key), "-subj", subject], check=True,
                         capture_output=True).stdout
    return key, csr


def csr_object(name: str, request: bytes, usages=("client auth",), seconds: int = 86400) -> dict:
    return {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": name},
            "spec": {"request": base64.b64encode(request).decode(), "signerName": "kubernetes.io/kube-apiserver-client",
                     "expirationSeconds": seconds, "usages": list(usages)}}


def test_an_approved_request_yields_a_working_user_certificate(cluster, tmp_path):
    s = rand_suffix()
    user, ns = f"dave-{s}", f"certs-{s}"
    cluster.create_namespace(ns)
    try:
        key, request = make_request(tmp_path, user, ["dev-team"])
        name = f"{user}-csr"
        created = cluster.ok_json(cluster.post("/apis/certificates.k8s.io/v1/certificatesigningrequests",
                                               csr_object(name, request)), 201)
        # The requester is recorded from the credentials, not from the body.
        assert created["spec"]["username"] == "kyvern-admin"
        assert "system:masters" in created["spec"]["groups"]
        out = cluster.kubectl("get", "csr", name).stdout
        assert "Pending" in out and "kubernetes.io/kube-apiserver-client" in out, out

        cluster.kubectl("certificate", "approve", name)
        def issued():
            csr = cluster.ok_json(cluster.get(f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"), 200)
            return csr["status"].get("certificate")
        certificate = base64.b64decode(wait_until("certificate issued", issued, timeout=30))
        assert certificate.startswith(b"-----BEGIN CERTIFICATE-----")
        out = cluster.kubectl("get", "csr", name).stdout
        assert "Approved,Issued" in out, out
        text = subprocess.run(["openssl", "x509", "-noout", "-subject", "-issuer"], input=certificate,
                              capture_output=True, check=True).stdout.decode()
        assert f"CN = {user}" in text and "O = dev-team" in text, text

        # A kubeconfig with the certificate: the user is the CN, its groups the O's.
        cert_file = tmp_path / f"{user}.crt"
        cert_file.write_bytes(certificate)
        config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
        config["users"] = [{"name": user, "user": {"client-certificate": str(cert_file), "client-key": str(key)}}]
        config["contexts"][0]["context"]["user"] = user
        user_kubeconfig = tmp_path / "user.kubeconfig"
        user_kubeconfig.write_text(yaml.safe_dump(config))

        def as_user(*args, check=True):
            cp = subprocess.run([cluster.kubectl_bin, "--kubeconfig", str(user_kubeconfig), *args],
                                capture_output=True, text=True, timeout=60)
            if check:
                assert cp.returncode == 0, cp.stderr
            return cp

        who = as_user("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}").stdout
        assert who == f'{user} ["dev-team","system:authenticated"]', who
        denied = as_user("get", "pods", "-n", ns, check=False)
        assert denied.returncode != 0
        assert (f'pods is forbidden: User "{user}" cannot list resource "pods" in API group "" '
                f'in the namespace "{ns}"') in denied.stderr, denied.stderr
        cluster.kubectl("create", "rolebinding", "devs-edit", "--clusterrole", "edit", "--group", "dev-team", "-n", ns)
        wait_until("edit granted", lambda: as_user("auth", "can-i", "create", "pods", "-n", ns, check=False).returncode == 0,
                   timeout=10)
        as_user("create", "configmap", "from-dave", "-n", ns, "--from-literal", "k=v")
        assert as_user("get", "secrets", "-n", "default", check=False).returncode != 0
    finally:
        cluster.delete_namespace(ns)


def test_only_approvers_approve_and_bad_requests_are_refused(cluster, tmp_path):
    s = rand_suffix()
    _, request = make_request(tmp_path, f"erin-{s}", [])
    name = f"erin-{s}"
    cluster.ok_json(cluster.post("/apis/certificates.k8s.io/v1/certificatesigningrequests", csr_object(name, request)), 201)
    # Someone who may update requests but not approve for the signer is refused by admission.
    cluster.kubectl("create", "clusterrole", f"csr-editor-{s}", "--verb=get,update",
                    "--resource=certificatesigningrequests,certificatesigningrequests/approval")
    cluster.kubectl("create", "clusterrolebinding", f"csr-editor-{s}", "--clusterrole", f"csr-editor-{s}",
                    "--user", f"frank-{s}")
    cp = cluster.kubectl("certificate", "approve", name, "--as", f"frank-{s}", check=False)
    assert cp.returncode != 0
    assert 'user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"' in cp.stderr, cp.stderr
    csr = cluster.ok_json(cluster.get(f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"), 200)
    assert not csr["status"].get("conditions")
    # A request whose usages the client signer does not allow is marked Failed once approved.
    _, request = make_request(tmp_path, f"gina-{s}", [])
    bad = f"gina-{s}"
    cluster.ok_json(cluster.post("/apis/certificates.k8s.io/v1/certificatesigningrequests",
                                 csr_object(bad, request, usages=("server auth",))), 201)
    cluster.kubectl("certificate", "approve", bad)
    def failed():
        csr = cluster.ok_json(cluster.get(f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{bad}"), 200)
        return [c for c in csr["status"].get("conditions", []) if c["type"] == "Failed"]
    condition = wait_until("request failed", failed, timeout=30)[0]
    assert condition["reason"] == "SignerValidationFailure" and "server auth" in condition["message"], condition
    # A body that is no certificate request is 422 naming the field.
    r = cluster.post("/apis/certificates.k8s.io/v1/certificatesigningrequests",
                     csr_object(f"junk-{s}", b"not a request"))
    assert r.status_code == 422 and status_of(r)["details"]["causes"][0]["field"] == "spec.request", r.text
    for obj in (f"clusterrolebinding/csr-editor-{s}", f"clusterrole/csr-editor-{s}", f"csr/{name}", f"csr/{bad}"):
        cluster.kubectl("delete", obj)
