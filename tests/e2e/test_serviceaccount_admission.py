"""The ServiceAccount admission step and the root-ca-cert-publisher, end to end: a new pod gets the
`kube-api-access-*` projected volume (bound token, cluster CA, namespace) mounted in every container,
unless its pod or account opts out; a pod naming a missing account is refused with upstream's 403;
every namespace holds `kube-root-ca.crt` with the cluster CA, put back when deleted or edited; and on
a real node the three files are there and the token authenticates as the pod's account (runc only)."""
from __future__ import annotations

import json
import time

import pytest

from conftest import ServerFactory
from e2e_harness import wait_until

MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod_body(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "no-such-node", "containers": [{"name": "c", "image": "busybox"}], **spec}}


def cluster_ca(cluster) -> str:
    r = cluster.get("/cacerts")
    assert r.status_code == 200, r.text
    return r.text


def root_ca(cluster, ns: str):
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt")
    return r.json() if r.status_code == 200 else None


@pytest.fixture(scope="module")
def no_token_volume_server(kyvern_bin):
    """A server started with `--service-account-token-volume false`."""
    factory = ServerFactory(kyvern_bin)
    try:
        proc = factory.new("--service-account-token-volume", "false")
        yield factory.client(proc)
    finally:
        factory.cleanup()


def test_the_token_volume_can_be_switched_off(no_token_volume_server):
    c = no_token_volume_server
    c.create_namespace("plain")
    pod = c.ok_json(c.post("/api/v1/namespaces/plain/pods", pod_body("p")), 201)
    assert pod["spec"]["serviceAccountName"] == "default"
    assert "volumes" not in pod["spec"] and "volumeMounts" not in pod["spec"]["containers"][0]


def test_a_new_pod_gets_the_token_volume_in_every_container(cluster, ns):
    body = pod_body("two", initContainers=[{"name": "init", "image": "busybox"}],
                    containers=[{"name": "a", "image": "busybox"},
                                {"name": "b", "image": "busybox",
                                 "volumeMounts": [{"name": "own", "mountPath": MOUNT}]}],
                    volumes=[{"name": "own", "emptyDir": {}}])
    pod = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", body), 201)
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default"
    token_volumes = [v for v in spec["volumes"] if v["name"].startswith("kube-api-access-")]
    assert len(token_volumes) == 1
    volume = token_volumes[0]
    assert len(volume["name"]) == len("kube-api-access-") + 5
    assert volume["projected"] == {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}
    mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT}
    assert spec["initContainers"][0]["volumeMounts"] == [mount]
    assert spec["containers"][0]["volumeMounts"] == [mount]
    # A container with its own volume at the path keeps it.
    assert spec["containers"][1]["volumeMounts"] == [{"name": "own", "mountPath": MOUNT}]
    # kubectl shows it as upstream's does.
    described = cluster.kubectl("describe", "pod", "two", "-n", ns).stdout
    assert volume["name"] in described and "Projected" in described


def test_automount_can_be_declined_by_the_pod_or_its_account(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/serviceaccounts", {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"},
        "automountServiceAccountToken": False, "imagePullSecrets": [{"name": "registry"}]}), 201)
    by_account = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod_body("a", serviceAccountName="quiet")), 201)
    assert "volumes" not in by_account["spec"]
    assert "volumeMounts" not in by_account["spec"]["containers"][0]
    assert by_account["spec"]["imagePullSecrets"] == [{"name": "registry"}]

    overriding = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods",
                                              pod_body("b", serviceAccountName="quiet", automountServiceAccountToken=True)), 201)
    assert [v["name"][:16] for v in overriding["spec"]["volumes"]] == ["kube-api-access-"]

    by_pod = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod_body("c", automountServiceAccountToken=False)), 201)
    assert "volumes" not in by_pod["spec"]


def test_a_pod_naming_a_missing_account_is_forbidden(cluster, ns):
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod_body("lost", serviceAccountName="nobody"))
    assert r.status_code == 403, r.text
    status = r.json()
    assert status["reason"] == "Forbidden"
    assert status["message"] == (f'pods "lost" is forbidden: error looking up service account {ns}/nobody: '
                                 'serviceaccount "nobody" not found')
    assert cluster.get(f"/api/v1/namespaces/{ns}/pods/lost").status_code == 404
    # kubectl shows the same words.
    out = cluster.kubectl("run", "lost2", "-n", ns, "--image", "busybox", "--overrides",
                          json.dumps({"spec": {"serviceAccountName": "nobody"}}), check=False)
    assert out.returncode != 0
    assert 'error looking up service account' in out.stderr and 'serviceaccount "nobody" not found' in out.stderr


def test_every_namespace_gets_the_root_ca_and_keeps_it(cluster, ns):
    ca = cluster_ca(cluster)
    published = wait_until("kube-root-ca.crt in the new namespace", lambda: root_ca(cluster, ns), timeout=30)
    assert published["data"] == {"ca.crt": ca}
    assert published["metadata"]["annotations"]["kubernetes.io/description"]
    # default and kube-system have it too.
    for other in ("default", "kube-system"):
        assert wait_until(f"kube-root-ca.crt in {other}", lambda: root_ca(cluster, other), timeout=30)["data"] == {"ca.crt": ca}

    edited = dict(published)
    edited["data"] = {"ca.crt": "not a certificate"}
    assert cluster.put(f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt", edited).status_code == 200
    wait_until("the CA put back after an edit", lambda: (root_ca(cluster, ns) or {}).get("data") == {"ca.crt": ca}, timeout=30)

    assert cluster.delete(f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt").status_code == 200
    wait_until("the CA put back after a deletion", lambda: (root_ca(cluster, ns) or {}).get("data") == {"ca.crt": ca}, timeout=30)


def test_a_pod_on_a_real_node_reads_its_credentials(node_cluster):
    """The three files are in the container and the token authenticates as the pod's account (runc)."""
    from node_cluster import IMAGE

    c = node_cluster.cluster
    ns = f"saa-{int(time.time() * 1000) % 10**8}"
    c.create_namespace(ns)
    try:
        # "@@" separates the files: it cannot occur in a namespace, a PEM or a JWT ("==" can end a PEM's base64).
        script = (f"cat {MOUNT}/namespace; echo; echo @@; cat {MOUNT}/ca.crt; echo @@; cat {MOUNT}/token; echo; "
                  "sleep 3600")
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reader"},
                "spec": {"terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                         "command": ["sh", "-c", script]}]}}
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", body), 201)

        def logged():
            r = c.get(f"/api/v1/namespaces/{ns}/pods/reader/log")
            parts = r.text.split("@@") if r.status_code == 200 else []
            return parts if len(parts) == 3 and parts[2].strip().count(".") == 2 else None

        namespace, ca, token = wait_until("the credentials in the pod's log", logged, timeout=90)
        assert namespace.strip() == ns
        assert ca.strip() == cluster_ca(c).strip()
        s = c.new_session(authenticated=False)
        s.headers["Authorization"] = f"Bearer {token.strip()}"
        review = s.post(c.base_url + "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                        json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}, timeout=30)
        assert review.status_code == 201, review.text
        assert review.json()["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:default"
    finally:
        c.delete_namespace(ns)
