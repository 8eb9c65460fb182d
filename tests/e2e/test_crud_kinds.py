"""create / get / list / delete of every served kind with kubectl, from an ordinary minimal manifest."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import yaml

from e2e_harness import wait_until
from e2e_kinds import CRUD_KINDS, Kind, manifest, name_for

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def assert_subset(expected, actual, path="") -> None:
    """Every field the manifest set is in the object with the same value (the server may add defaults)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for k, v in expected.items():
            assert k in actual, f"{path}.{k} missing from the stored object"
            assert_subset(v, actual[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {expected!r} != {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: sent {expected!r}, stored {actual!r}"


def assert_gone(cluster, kind: Kind, name: str, namespace: str | None) -> None:
    """After delete: 404, or (upstream, for objects with finalizers) marked for deletion."""
    r = cluster.get(kind.item_path(name, namespace))
    if r.status_code == 404:
        body = r.json()
        assert body["reason"] == "NotFound" and body["details"]["name"] == name, body
        return
    assert r.status_code == 200, r.text
    obj = r.json()
    if kind.resource == "namespaces":
        assert obj["status"]["phase"] == "Terminating" and obj["metadata"].get("deletionTimestamp"), obj
    else:
        assert obj["metadata"].get("deletionTimestamp") and obj["metadata"].get("finalizers"), (
            f"{kind.key} {name} still there after delete without deletionTimestamp+finalizers: {obj['metadata']}")


@pytest.mark.kubectl
@pytest.mark.parametrize("kind", CRUD_KINDS, ids=[k.key for k in CRUD_KINDS])
def test_crud_with_kubectl(cluster, ns, suffix, kind: Kind):
    name = name_for(kind, suffix)
    namespace = ns if kind.namespaced else None
    m = manifest(kind, name, namespace)
    if kind.key == "pods":
        # No scheduler answers to this name, so the built-in one leaves the pod (and its
        # resourceVersion) alone, as kube-scheduler does.
        m["spec"]["schedulerName"] = "e2e-unscheduled"
    nsargs = ["-n", ns] if kind.namespaced else []

    # create from YAML, as a user would
    cp = cluster.kubectl("create", "-f", "-", "-o", "json", input=yaml.safe_dump(m))
    created = json.loads(cp.stdout)
    if kind.key == "persistentvolumes":
        # The volume binder marks a new volume Available at once (as upstream's does); compare from then on.
        created = wait_until("the volume Available", lambda: (lambda o: o if o.get("status", {}).get("phase") == "Available"
                                                              else None)(cluster.ok_json(cluster.get(f"/api/v1/persistentvolumes/{name}"))),
                             timeout=15)
    if kind.key == "resourcequotas":
        # The quota controller fills in status.hard/used at once (as upstream's does); compare from then on.
        created = wait_until("the quota's status", lambda: (lambda o: o if o.get("status", {}).get("used") is not None
                                                             else None)(cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/resourcequotas/{name}"))),
                             timeout=15)
    if kind.key == "nodes":
        # TaintNodesByCondition: a Node is born not-ready:NoSchedule; the node lifecycle controller then
        # lifts the taint of a node whose conditions do not call for it (as upstream's). Compare from then on.
        assert {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"} in created["spec"]["taints"], created
        created = wait_until("the not-ready taint lifted", lambda: (lambda o: o if not any(
            t["key"] == "node.kubernetes.io/not-ready" for t in o["spec"].get("taints", [])) else None)(
            cluster.ok_json(cluster.get(f"/api/v1/nodes/{name}"))), timeout=15)
    try:
        assert created["apiVersion"] == kind.group_version and created["kind"] == kind.kind, created
        meta = created["metadata"]
        assert meta["name"] == name
        if kind.namespaced:
            assert meta["namespace"] == ns
        else:
            assert "namespace" not in meta or meta["namespace"] == "", meta
        uuid.UUID(meta["uid"])
        assert meta["resourceVersion"].isdigit(), meta
        assert RFC3339.match(meta["creationTimestamp"]), meta
        assert_subset({k: v for k, v in m.items() if k != "metadata"}, created)
        assert_subset(m["metadata"]["labels"], meta["labels"], "metadata.labels")

        # get by name
        cp = cluster.kubectl("get", kind.kubectl_name, name, *nsargs, "-o", "json")
        got = json.loads(cp.stdout)
        assert got["metadata"]["uid"] == meta["uid"]
        assert got["metadata"]["resourceVersion"] == meta["resourceVersion"]
        assert got["kind"] == kind.kind and got["apiVersion"] == kind.group_version, got
        assert_subset({k: v for k, v in m.items() if k != "metadata"}, got)

        # the official Python client reads it too (dynamic client, from discovery)
        res = cluster.dynamic.resources.get(api_version=kind.group_version, kind=kind.kind)
        assert res.namespaced == kind.namespaced
        py = res.get(name=name, namespace=namespace) if kind.namespaced else res.get(name=name)
        assert py.metadata.uid == meta["uid"] and py.metadata.resourceVersion == meta["resourceVersion"]
        py_list = res.get(namespace=namespace, label_selector="e2e=crud") if kind.namespaced else \
            res.get(label_selector="e2e=crud")
        assert name in [i.metadata.name for i in py_list.items]

        # list: kubectl -o name and the raw collection
        cp = cluster.kubectl("get", kind.kubectl_name, *nsargs, "-l", "e2e=crud", "-o", "name")
        assert f"{kind.name_prefix}/{name}" in cp.stdout.split(), cp.stdout
        lst = cluster.ok_json(cluster.get(kind.base_path(namespace)), 200)
        assert lst["kind"] == f"{kind.kind}List" and lst["apiVersion"] == kind.group_version, {
            k: lst.get(k) for k in ("kind", "apiVersion")}
        assert lst["metadata"]["resourceVersion"].isdigit(), lst["metadata"]
        assert int(lst["metadata"]["resourceVersion"]) >= int(meta["resourceVersion"]), lst["metadata"]
        matches = [i for i in lst["items"] if i["metadata"]["name"] == name]
        assert len(matches) == 1 and matches[0]["metadata"]["uid"] == meta["uid"], [
            i["metadata"]["name"] for i in lst["items"]]
        if kind.namespaced:
            # the all-namespaces list has it too
            everywhere = cluster.ok_json(cluster.get(kind.base_path(None)), 200)
            assert any(i["metadata"]["name"] == name and i["metadata"]["namespace"] == ns
                       for i in everywhere["items"]), f"{kind.base_path(None)} lacks {ns}/{name}"
    finally:
        cp = cluster.kubectl("delete", kind.kubectl_name, name, *nsargs, "--wait=false", check=False)
    assert cp.returncode == 0, cp.stderr
    assert re.search(rf'"{re.escape(name)}" deleted', cp.stdout), cp.stdout
    assert_gone(cluster, kind, name, namespace)


def test_pod_binding_subresource(cluster, ns):
    pod = manifest(next(k for k in CRUD_KINDS if k.key == "pods"), "bind-me", ns)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod), 201)
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bind-me", "namespace": ns},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}}
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods/bind-me/binding", binding)
    assert r.status_code == 201, r.text
    got = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/pods/bind-me"), 200)
    assert got["spec"]["nodeName"] == "node-a", got["spec"]
    # binding an already bound pod is a conflict upstream
    binding["target"]["name"] = "node-b"
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods/bind-me/binding", binding)
    assert r.status_code == 409, r.text


def test_pod_eviction_subresource(cluster, ns):
    pod = manifest(next(k for k in CRUD_KINDS if k.key == "pods"), "evict-me", ns)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod), 201)
    ev = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "evict-me", "namespace": ns}}
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods/evict-me/eviction", ev)
    assert r.status_code == 201, r.text
    # an unscheduled pod is deleted at once
    r = cluster.get(f"/api/v1/namespaces/{ns}/pods/evict-me")
    assert r.status_code == 404 or r.json()["metadata"].get("deletionTimestamp"), r.text
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods/nope/eviction",
                     {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "nope", "namespace": ns}})
    assert r.status_code == 404, r.text
