"""ServiceAccount tokens, end to end: `kubectl create token` mints a JWT signed with the server's key
(checked here against the published JWKS with plain RSA arithmetic), the token authenticates requests
and TokenReviews, an altered token or one bound to a deleted pod gets 401, the TokenRequest API refuses
what upstream refuses, and a projected serviceAccountToken volume gets a working token (runc only)."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import time

import pytest
import requests

from e2e_harness import wait_until

ISSUER = "https://kubernetes.default.svc.cluster.local"


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict, dict]:
    header, claims, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))


def rs256_valid(token: str, jwk: dict) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256, checked by hand (no crypto library in the test venv)."""
    signing_input, _, signature = token.rpartition(".")
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(b64url_decode(signature), "big"), e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(signing_input.encode()).digest()
    return em == b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info


def with_token(cluster, token: str, method: str, path: str, body=None) -> requests.Response:
    s = cluster.new_session(authenticated=False)
    s.headers["Authorization"] = f"Bearer {token}"
    return s.request(method, cluster.base_url + path, json=body, timeout=30)


def token_review(cluster, token: str, audiences=None) -> dict:
    spec = {"token": token}
    if audiences:
        spec["audiences"] = audiences
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}
    return cluster.ok_json(cluster.post("/apis/authentication.k8s.io/v1/tokenreviews", body), 201)


def create_sa(cluster, ns: str, name: str) -> dict:
    return cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/serviceaccounts",
                                        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}), 201)


def unscheduled_pod(cluster, ns: str, name: str, sa: str) -> dict:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"serviceAccountName": sa, "nodeName": "no-such-node",
                     "containers": [{"name": "c", "image": "busybox"}]}}
    return cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", body), 201)


def test_kubectl_create_token_authenticates_as_the_service_account(cluster, ns):
    wait_until("the default ServiceAccount", lambda: cluster.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default").status_code == 200)
    sa = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default"))
    token = cluster.kubectl("create", "token", "default", "-n", ns, "--duration", "15m").stdout.strip()

    header, claims = jwt_parts(token)
    assert header["alg"] == "RS256"
    assert claims["iss"] == ISSUER
    assert claims["sub"] == f"system:serviceaccount:{ns}:default"
    assert claims["aud"] == [ISSUER]
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 120
    assert claims["jti"]
    assert claims["kubernetes.io"] == {"namespace": ns, "serviceaccount": {"name": "default", "uid": sa["metadata"]["uid"]}}

    # The token authenticates: discovery, which every authenticated user may read, succeeds.
    r = with_token(cluster, token, "GET", "/apis")
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "APIGroupList"
    # RBAC confines it: the default account holds no Role, so listing namespaces is refused.
    assert with_token(cluster, token, "GET", "/api/v1/namespaces").status_code == 403
    me = cluster.ok_json(with_token(cluster, token, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                    {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}), 201)
    assert me["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:default"
    assert me["status"]["userInfo"]["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]

    whoami = cluster.kubectl("auth", "whoami", "--token", token, "-o", "jsonpath={.status.userInfo.username}").stdout
    assert whoami == f"system:serviceaccount:{ns}:default"

    # An altered token (claims or signature) is refused with 401.
    head, body, sig = token.split(".")
    forged_claims = dict(claims, sub=f"system:serviceaccount:{ns}:other")
    forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("="), sig])
    assert with_token(cluster, forged, "GET", "/apis").status_code == 401
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert with_token(cluster, f"{head}.{body}.{flipped}", "GET", "/apis").status_code == 401


def test_token_review_reports_user_audiences_and_errors(cluster, ns):
    sa = create_sa(cluster, ns, "reviewer")
    token = cluster.kubectl("create", "token", "reviewer", "-n", ns, "--audience", "vault", "--audience", ISSUER).stdout.strip()
    review = token_review(cluster, token)
    assert review["kind"] == "TokenReview"
    status = review["status"]
    assert status["authenticated"] is True, status
    assert status["user"]["username"] == f"system:serviceaccount:{ns}:reviewer"
    assert status["user"]["uid"] == sa["metadata"]["uid"]
    assert status["user"]["extra"]["authentication.kubernetes.io/credential-id"] == [f"JTI={jwt_parts(token)[1]['jti']}"]
    assert status["audiences"] == [ISSUER]
    assert token_review(cluster, token, ["vault"])["status"]["audiences"] == ["vault"]

    vault_only = cluster.kubectl("create", "token", "reviewer", "-n", ns, "--audience", "vault").stdout.strip()
    refused = token_review(cluster, vault_only)["status"]
    assert refused["authenticated"] is False and "invalid for the target audiences" in refused["error"], refused
    assert with_token(cluster, vault_only, "GET", "/apis").status_code == 401

    assert token_review(cluster, "not-a-token")["status"] == {"authenticated": False, "user": {}, "error": "invalid bearer token"}
    r = cluster.post("/apis/authentication.k8s.io/v1/tokenreviews",
                     {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {}})
    assert r.status_code == 400 and r.json()["message"] == "token is required for TokenReview in authentication"
    # Reviews are not stored.
    assert cluster.get("/apis/authentication.k8s.io/v1/tokenreviews").status_code == 405


def test_deleting_the_bound_pod_invalidates_its_token(cluster, ns):
    create_sa(cluster, ns, "bound")
    pod = unscheduled_pod(cluster, ns, "holder", "bound")
    token = cluster.kubectl("create", "token", "bound", "-n", ns, "--bound-object-kind", "Pod",
                            "--bound-object-name", "holder").stdout.strip()
    claims = jwt_parts(token)[1]
    assert claims["kubernetes.io"]["pod"] == {"name": "holder", "uid": pod["metadata"]["uid"]}
    assert with_token(cluster, token, "GET", "/apis").status_code == 200
    extra = token_review(cluster, token)["status"]["user"]["extra"]
    assert extra["authentication.kubernetes.io/pod-name"] == ["holder"]
    assert extra["authentication.kubernetes.io/pod-uid"] == [pod["metadata"]["uid"]]

    cluster.ok_json(cluster.delete(f"/api/v1/namespaces/{ns}/pods/holder", params={"gracePeriodSeconds": "0"}), 200)
    wait_until("pod gone", lambda: cluster.get(f"/api/v1/namespaces/{ns}/pods/holder").status_code == 404)
    wait_until("token refused", lambda: with_token(cluster, token, "GET", "/apis").status_code == 401,
               timeout=10)
    status = token_review(cluster, token)["status"]
    assert status["authenticated"] is False and status["error"] == "service account token has been invalidated"

    # Deleting the ServiceAccount invalidates its unbound tokens too.
    unbound = cluster.kubectl("create", "token", "bound", "-n", ns).stdout.strip()
    assert with_token(cluster, unbound, "GET", "/apis").status_code == 200
    cluster.ok_json(cluster.delete(f"/api/v1/namespaces/{ns}/serviceaccounts/bound"), 200)
    wait_until("token refused", lambda: with_token(cluster, unbound, "GET", "/apis").status_code == 401, timeout=10)


def test_token_request_validation(cluster, ns):
    create_sa(cluster, ns, "checked")
    path = f"/api/v1/namespaces/{ns}/serviceaccounts/checked/token"

    def request(spec):
        return cluster.post(path, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec})

    r = request({"expirationSeconds": 599})
    assert r.status_code == 422, r.text
    assert r.json()["message"] == ('TokenRequest.authentication.k8s.io "checked" is invalid: spec.expirationSeconds: '
                                   'Invalid value: 599: may not specify a duration less than 10 minutes')
    assert r.json()["details"]["causes"][0]["field"] == "spec.expirationSeconds"
    cp = cluster.kubectl("create", "token", "checked", "-n", ns, "--duration", "5m", check=False)
    assert cp.returncode != 0 and "may not specify a duration less than 10 minutes" in cp.stderr

    missing = cluster.post(f"/api/v1/namespaces/{ns}/serviceaccounts/ghost/token",
                           {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
    assert missing.status_code == 404 and missing.json()["message"] == 'serviceaccounts "ghost" not found'
    cp = cluster.kubectl("create", "token", "ghost", "-n", ns, check=False)
    assert cp.returncode != 0 and 'serviceaccounts "ghost" not found' in cp.stderr

    r = request({"boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "nope"}})
    assert r.status_code == 404 and r.json()["message"] == 'pods "nope" not found'
    pod = unscheduled_pod(cluster, ns, "other-sa", "default")
    r = request({"boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "other-sa"}})
    assert r.status_code == 400, r.text
    unscheduled_pod(cluster, ns, "mine", "checked")
    r = request({"boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "mine", "uid": pod["metadata"]["uid"]}})
    assert r.status_code == 409, r.text

    ok = cluster.ok_json(request({}), 201)
    assert ok["kind"] == "TokenRequest" and ok["apiVersion"] == "authentication.k8s.io/v1"
    assert ok["spec"]["expirationSeconds"] == 3600 and ok["spec"]["audiences"] == [ISSUER]
    assert ok["status"]["token"].count(".") == 2 and ok["status"]["expirationTimestamp"].endswith("Z")


def test_issuer_discovery_publishes_the_signing_key(cluster, ns):
    config = cluster.ok_json(cluster.get("/.well-known/openid-configuration"))
    assert config["issuer"] == ISSUER
    assert config["jwks_uri"].startswith("https://") and config["jwks_uri"].endswith("/openid/v1/jwks")
    assert config["response_types_supported"] == ["id_token"]
    assert config["subject_types_supported"] == ["public"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]

    r = cluster.get("/openid/v1/jwks")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/jwk-set+json"
    keys = r.json()["keys"]
    assert len(keys) == 1
    jwk = keys[0]
    assert jwk["use"] == "sig" and jwk["kty"] == "RSA" and jwk["alg"] == "RS256"

    create_sa(cluster, ns, "published")
    token = cluster.kubectl("create", "token", "published", "-n", ns).stdout.strip()
    assert jwt_parts(token)[0]["kid"] == jwk["kid"]
    assert rs256_valid(token, jwk)
    assert cluster.get("/openid/v1/jwks", authenticated=False).status_code == 403  # anonymous, not bound

    # Discovery lists the subresource and the group.
    resources = cluster.ok_json(cluster.get("/api/v1"))["resources"]
    token_sub = next(r for r in resources if r["name"] == "serviceaccounts/token")
    assert token_sub["kind"] == "TokenRequest" and token_sub["verbs"] == ["create"]
    group = cluster.ok_json(cluster.get("/apis/authentication.k8s.io/v1"))
    assert {r["name"] for r in group["resources"]} == {"tokenreviews", "selfsubjectreviews"}


def test_the_signing_key_survives_a_restart(server_factory):
    proc = server_factory.new()
    c = server_factory.client(proc)
    wait_until("default SA", lambda: c.get("/api/v1/namespaces/default/serviceaccounts/default").status_code == 200)
    token = c.kubectl("create", "token", "default").stdout.strip()
    assert with_token(c, token, "GET", "/apis").status_code == 200
    key = (proc.data_dir / "pki" / "service-account.key")
    assert key.stat().st_mode & 0o777 == 0o600
    if shutil.which("openssl"):
        # upstream's key id: base64url(SHA-256(DER SubjectPublicKeyInfo)), computed here by openssl
        der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                             capture_output=True, check=True).stdout
        kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
        assert c.ok_json(c.get("/openid/v1/jwks"))["keys"][0]["kid"] == kid
        assert jwt_parts(token)[0]["kid"] == kid
    proc.stop()
    proc.start()
    assert with_token(c, token, "GET", "/apis").status_code == 200


def test_projected_token_volume_holds_a_bound_token(node_cluster):
    """A pod with a projected serviceAccountToken volume gets a JWT bound to it (real node agent, runc)."""
    from node_cluster import IMAGE

    c = node_cluster.cluster
    ns = f"sat-{int(time.time() * 1000) % 10**8}"
    c.create_namespace(ns)
    try:
        create_sa(c, ns, "projected")
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reader"},
                "spec": {"serviceAccountName": "projected", "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                         "command": ["sh", "-c", "cat /var/run/secrets/tokens/token; echo; sleep 3600"],
                                         "volumeMounts": [{"name": "tok", "mountPath": "/var/run/secrets/tokens"}]}],
                         "volumes": [{"name": "tok", "projected": {"sources": [
                             {"serviceAccountToken": {"path": "token", "expirationSeconds": 600}}]}}]}}
        pod = c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)

        def logged_token():
            r = c.get(f"/api/v1/namespaces/{ns}/pods/reader/log")
            text = r.text.strip() if r.status_code == 200 else ""
            return text if text.count(".") == 2 else None

        token = wait_until("the token in the pod's log", logged_token, timeout=90)
        claims = jwt_parts(token)[1]
        assert claims["sub"] == f"system:serviceaccount:{ns}:projected"
        assert claims["kubernetes.io"]["pod"] == {"name": "reader", "uid": pod["metadata"]["uid"]}
        assert claims["kubernetes.io"]["node"]["name"] == "e2e-node"
        status = token_review(c, token)["status"]
        assert status["authenticated"] is True, status
        assert status["user"]["extra"]["authentication.kubernetes.io/node-name"] == ["e2e-node"]
        assert with_token(c, token, "GET", "/apis").status_code == 200
    finally:
        c.delete_namespace(ns)


def test_servers_on_one_etcd_accept_each_others_tokens(server_factory):
    from etcd_cluster import EtcdCluster

    etcd = EtcdCluster(1)
    try:
        a = server_factory.new("--datastore-endpoint", etcd.endpoints, "--token", "s3cret")
        b = server_factory.new("--datastore-endpoint", etcd.endpoints, "--token", "s3cret")
        ca, cb = server_factory.client(a), server_factory.client(b)
        assert (a.data_dir / "pki" / "service-account.key").read_text() == (b.data_dir / "pki" / "service-account.key").read_text()
        assert ca.ok_json(ca.get("/openid/v1/jwks")) == cb.ok_json(cb.get("/openid/v1/jwks"))
        create_sa(ca, "default", "shared")
        token = ca.kubectl("create", "token", "shared").stdout.strip()
        wait_until("B accepts A's token", lambda: with_token(cb, token, "GET", "/apis").status_code == 200, timeout=10)
    finally:
        etcd.close()


def test_a_token_used_by_the_python_client_is_confined_to_its_role(cluster, ns):
    """The issue's case: a token from `kubectl create token`, used by the official Python client,
    may do what a Role bound to its ServiceAccount grants, in that namespace, and nothing else."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    cluster.kubectl("create", "serviceaccount", "deployer", "-n", ns)
    cluster.kubectl("create", "role", "cm-editor", "--verb=get,list,create", "--resource=configmaps", "-n", ns)
    cluster.kubectl("create", "rolebinding", "deployer-cm", "--role", "cm-editor", "--serviceaccount", f"{ns}:deployer",
                    "-n", ns)
    token = cluster.kubectl("create", "token", "deployer", "-n", ns, "--duration", "10m").stdout.strip()
    configuration = client.Configuration()
    configuration.host = cluster.base_url
    configuration.ssl_ca_cert = cluster.ca_path
    configuration.api_key = {"authorization": f"Bearer {token}"}
    api = client.CoreV1Api(client.ApiClient(configuration))
    wait_until("role effective", lambda: _allowed(lambda: api.list_namespaced_config_map(ns)), timeout=10)
    api.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-token"), data={"k": "v"}))
    assert api.read_namespaced_config_map("from-token", ns).data == {"k": "v"}
    for call in (lambda: api.list_namespaced_secret(ns), lambda: api.list_namespaced_config_map("default"),
                 lambda: api.list_namespace(), lambda: api.delete_namespaced_config_map("from-token", ns)):
        try:
            call()
            raise AssertionError("allowed beyond the Role")
        except ApiException as e:
            assert e.status == 403, e
    try:
        api.list_namespaced_secret(ns)
    except ApiException as e:
        assert json.loads(e.body)["message"] == (f'secrets is forbidden: User "system:serviceaccount:{ns}:deployer" cannot '
                                                 f'list resource "secrets" in API group "" in the namespace "{ns}"')


def _allowed(call) -> bool:
    from kubernetes.client.rest import ApiException
    try:
        call()
        return True
    except ApiException:
        return False
