"""Label and field selectors, limit/continue, resourceVersion on lists, deletecollection."""

from __future__ import annotations

import pytest

from e2e_harness import status_of

LABELS = {
    "a": {"env": "prod", "tier": "web"},
    "b": {"env": "prod", "tier": "db"},
    "c": {"env": "dev", "tier": "web"},
    "d": {"env": "test"},
    "e": {},
    "f": {"env": "dev"},
}


@pytest.fixture
def labelled(cluster, ns):
    for name, labels in LABELS.items():
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": labels},
                "data": {"n": name}}
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body), 201)
    return ns


# Every namespace holds the controller manager's kube-root-ca.crt ConfigMap, as upstream's do; the
# selectors here would match it too, so lists leave it out.
ROOT_CA = "kube-root-ca.crt"
NOT_ROOT_CA = f"metadata.name!={ROOT_CA}"


def names(cluster, path, **params) -> list[str]:
    body = cluster.ok_json(cluster.get(path, params=params), 200)
    return sorted(i["metadata"]["name"] for i in body["items"] if i["metadata"]["name"] != ROOT_CA)


@pytest.mark.parametrize("selector,expected", [
    ("env=prod", ["a", "b"]),
    ("env==prod", ["a", "b"]),
    ("env!=prod", ["c", "d", "e", "f"]),
    ("env in (prod,dev)", ["a", "b", "c", "f"]),
    ("env notin (prod,dev)", ["d", "e"]),
    ("tier", ["a", "b", "c"]),
    ("!tier", ["d", "e", "f"]),
    ("env=prod,tier=web", ["a"]),
    ("env in (dev),!tier", ["f"]),
    ("env,tier notin (db)", ["a", "c", "d", "f"]),
    ("env=nothing", []),
])
def test_label_selector(cluster, labelled, selector, expected):
    assert names(cluster, f"/api/v1/namespaces/{labelled}/configmaps", labelSelector=selector) == expected


def test_label_selector_with_kubectl_and_python(cluster, labelled):
    cp = cluster.kubectl("get", "cm", "-n", labelled, "-l", "env in (prod,dev),tier", "-o", "name")
    assert sorted(cp.stdout.split()) == ["configmap/a", "configmap/b", "configmap/c"]
    from kubernetes import client

    v1 = client.CoreV1Api(cluster.api_client)
    got = v1.list_namespaced_config_map(labelled, label_selector="env notin (prod),tier")
    assert sorted(i.metadata.name for i in got.items) == ["c"]


def test_label_selector_across_namespaces(cluster, labelled, suffix):
    # a label value unique to this test run
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": labelled, "labels": {"run": suffix}}}
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{labelled}/configmaps", body), 201)
    lst = cluster.ok_json(cluster.get("/api/v1/configmaps", params={"labelSelector": f"run={suffix}"}), 200)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in lst["items"]] == [(labelled, "x")]


@pytest.mark.parametrize("bad", ["env in prod", "env=(x", "!env=prod", "Bad Key=1", "env in (a,b"])
def test_invalid_label_selector_is_400(cluster, ns, bad):
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps", params={"labelSelector": bad})
    assert r.status_code == 400, f"labelSelector={bad!r} -> {r.status_code} {r.text[:300]}"
    assert status_of(r)["reason"] == "BadRequest"


def test_field_selectors_metadata(cluster, labelled):
    base = f"/api/v1/namespaces/{labelled}/configmaps"
    assert names(cluster, base, fieldSelector="metadata.name=c") == ["c"]
    assert names(cluster, base, fieldSelector="metadata.name==c") == ["c"]
    assert names(cluster, base, fieldSelector="metadata.name!=c") == ["a", "b", "d", "e", "f"]
    assert names(cluster, base, fieldSelector="metadata.name!=c,metadata.name!=a") == ["b", "d", "e", "f"]
    assert names(cluster, base, fieldSelector=f"metadata.namespace={labelled}") == ["a", "b", "c", "d", "e", "f"]
    # combined with a label selector
    assert names(cluster, base, fieldSelector="metadata.name!=a", labelSelector="env=prod") == ["b"]
    # across namespaces
    assert names(cluster, "/api/v1/configmaps", fieldSelector=f"metadata.namespace={labelled},metadata.name=d") == ["d"]
    # cluster-scoped: namespaces by name
    assert names(cluster, "/api/v1/namespaces", fieldSelector=f"metadata.name={labelled}") == [labelled]
    cp = cluster.kubectl("get", "cm", "-n", labelled, "--field-selector", "metadata.name=b", "-o", "name")
    assert cp.stdout.split() == ["configmap/b"]


def test_unsupported_field_selector_is_400(cluster, ns):
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps", params={"fieldSelector": "spec.nodeName=x"})
    assert r.status_code == 400, r.text
    assert status_of(r)["reason"] == "BadRequest"
    r = cluster.get(f"/api/v1/namespaces/{ns}/pods", params={"fieldSelector": "spec.nope=x"})
    assert r.status_code == 400, r.text


def test_pod_field_selectors(cluster, ns):
    def pod(name, node=None):
        spec = {"containers": [{"name": "c", "image": "registry.example/busybox"}]}
        if node:
            spec["nodeName"] = node
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": spec}

    base = f"/api/v1/namespaces/{ns}/pods"
    cluster.ok_json(cluster.post(base, pod("on-n1", "n1")), 201)
    cluster.ok_json(cluster.post(base, pod("on-n2", "n2")), 201)
    cluster.ok_json(cluster.post(base, pod("unscheduled")), 201)
    running = cluster.ok_json(cluster.get(f"{base}/on-n1"), 200)
    running["status"]["phase"] = "Running"
    cluster.ok_json(cluster.put(f"{base}/on-n1/status", running), 200)

    assert names(cluster, base, fieldSelector="spec.nodeName=n1") == ["on-n1"]
    assert names(cluster, base, fieldSelector="spec.nodeName!=n1") == ["on-n2", "unscheduled"]
    assert names(cluster, base, fieldSelector="spec.nodeName=") == ["unscheduled"]
    assert names(cluster, base, fieldSelector="status.phase=Running") == ["on-n1"]
    assert names(cluster, base, fieldSelector="status.phase=Pending") == ["on-n2", "unscheduled"]
    assert names(cluster, base, fieldSelector="status.phase!=Running,spec.nodeName=n2") == ["on-n2"]
    assert names(cluster, "/api/v1/pods", fieldSelector=f"spec.nodeName=n2,metadata.namespace={ns}") == ["on-n2"]
    cp = cluster.kubectl("get", "pods", "-n", ns, "--field-selector", "status.phase=Running", "-o", "name")
    assert cp.stdout.split() == ["pod/on-n1"]


def test_limit_and_continue(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    all_names = [f"page-{i:02d}" for i in range(7)]
    for n in reversed(all_names):  # created out of order; lists are in key (name) order
        cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": n, "namespace": ns, "labels": {"p": "y"}}}), 201)
    first = cluster.ok_json(cluster.get(base, params={"limit": 3, "fieldSelector": NOT_ROOT_CA}), 200)
    assert [i["metadata"]["name"] for i in first["items"]] == all_names[:3]
    token = first["metadata"].get("continue")
    assert token, first["metadata"]
    if "remainingItemCount" in first["metadata"]:
        assert first["metadata"]["remainingItemCount"] == 4, first["metadata"]
    rv = first["metadata"]["resourceVersion"]

    # a write between pages is not seen: the continuation serves the first page's snapshot
    cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": "page-99", "namespace": ns, "labels": {"p": "y"}}}), 201)
    second = cluster.ok_json(cluster.get(base, params={"limit": 3, "continue": token, "fieldSelector": NOT_ROOT_CA}), 200)
    assert [i["metadata"]["name"] for i in second["items"]] == all_names[3:6]
    assert second["metadata"]["resourceVersion"] == rv
    third = cluster.ok_json(cluster.get(base, params={"limit": 3, "continue": second["metadata"]["continue"],
                                                      "fieldSelector": NOT_ROOT_CA}), 200)
    assert [i["metadata"]["name"] for i in third["items"]] == all_names[6:]
    assert not third["metadata"].get("continue"), third["metadata"]

    # with a label selector, pages still hold `limit` matching items at most
    p1 = cluster.ok_json(cluster.get(base, params={"limit": 5, "labelSelector": "p=y"}), 200)
    got = [i["metadata"]["name"] for i in p1["items"]]
    assert len(got) <= 5
    tok = p1["metadata"].get("continue")
    guard = 0
    while tok and guard < 10:
        guard += 1
        nxt = cluster.ok_json(cluster.get(base, params={"limit": 5, "labelSelector": "p=y", "continue": tok}), 200)
        got += [i["metadata"]["name"] for i in nxt["items"]]
        tok = nxt["metadata"].get("continue")
    assert got == all_names + ["page-99"]

    # a garbage continue token is a 400
    r = cluster.get(base, params={"limit": 3, "continue": "not-a-token"})
    assert r.status_code == 400, r.text

    # kubectl pages through with --chunk-size
    cp = cluster.kubectl("get", "cm", "-n", ns, "--chunk-size=2", "-l", "p=y", "-o", "name")
    assert cp.stdout.split() == [f"configmap/{n}" for n in all_names + ["page-99"]]


def test_list_resource_version_semantics(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    a = cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rv-a"}}), 201)
    rv_a = a["metadata"]["resourceVersion"]
    cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rv-b"}}), 201)
    # Exact: the state at rv_a (only rv-a)
    exact = cluster.ok_json(cluster.get(base, params={"resourceVersion": rv_a, "resourceVersionMatch": "Exact",
                                                      "fieldSelector": NOT_ROOT_CA}), 200)
    assert [i["metadata"]["name"] for i in exact["items"]] == ["rv-a"]
    assert exact["metadata"]["resourceVersion"] == rv_a
    # NotOlderThan: at least rv_a, so both
    newer = cluster.ok_json(cluster.get(base, params={"resourceVersion": rv_a, "resourceVersionMatch": "NotOlderThan",
                                                      "fieldSelector": NOT_ROOT_CA}), 200)
    assert sorted(i["metadata"]["name"] for i in newer["items"]) == ["rv-a", "rv-b"]
    # resourceVersion=0: any (possibly cached) state
    any_ = cluster.ok_json(cluster.get(base, params={"resourceVersion": "0"}), 200)
    assert {"rv-a"} <= {i["metadata"]["name"] for i in any_["items"]}
    # resourceVersionMatch without resourceVersion is invalid
    r = cluster.get(base, params={"resourceVersionMatch": "Exact"})
    assert r.status_code in (400, 422), r.text
    # get at a resourceVersion in the far future: upstream waits, then answers 504 "Too large resource version";
    # at least it must not be served as if current
    r = cluster.get(base, params={"resourceVersion": str(int(rv_a) + 10_000_000), "resourceVersionMatch": "NotOlderThan"},
                    timeout=30)
    assert r.status_code in (504, 410, 400, 422) or r.status_code >= 400, r.text


def test_deletecollection(cluster, labelled):
    base = f"/api/v1/namespaces/{labelled}/configmaps"
    r = cluster.delete(base, params={"labelSelector": "env=dev"})
    assert r.status_code == 200, r.text
    assert names(cluster, base) == ["a", "b", "d", "e"]
    r = cluster.delete(base, params={"fieldSelector": "metadata.name=e"})
    assert r.status_code == 200, r.text
    assert names(cluster, base) == ["a", "b", "d"]
    # dryRun deletecollection deletes nothing
    r = cluster.delete(base, params={"dryRun": "All"})
    assert r.status_code == 200, r.text
    assert names(cluster, base) == ["a", "b", "d"]
    from kubernetes import client

    client.CoreV1Api(cluster.api_client).delete_collection_namespaced_config_map(labelled)
    assert names(cluster, base) == []
    # namespaces have no deletecollection upstream
    r = cluster.delete("/api/v1/namespaces", params={"labelSelector": "nothing=here"})
    assert r.status_code == 405, r.text
