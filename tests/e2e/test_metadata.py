"""Object metadata as upstream: uid, resourceVersion, creationTimestamp, generation, status kept apart,
generateName, optimistic concurrency, dryRun, namespaces that don't exist."""

from __future__ import annotations

import copy
import json
import re
import uuid

import pytest

from e2e_harness import status_of

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def deployment(ns, name, replicas=1):
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}}}


def cm(ns, name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data or {"k": "v"}}


def test_create_applies_upstream_defaults(cluster, ns):
    d = cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(ns, "defaults")), 201)
    spec = d["spec"]
    assert spec["strategy"]["type"] == "RollingUpdate", spec
    assert spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600, spec
    c = spec["template"]["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent" and c["terminationMessagePath"] == "/dev/termination-log", c
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_create_sets_system_metadata(cluster, ns):
    d = cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(ns, "meta")), 201)
    m = d["metadata"]
    assert uuid.UUID(m["uid"]).version == 4 or len(m["uid"]) == 36, m["uid"]
    assert m["resourceVersion"].isdigit() and int(m["resourceVersion"]) > 0
    assert RFC3339.match(m["creationTimestamp"]), m["creationTimestamp"]
    assert m["generation"] == 1
    assert m["namespace"] == ns and m["name"] == "meta"
    assert "deletionTimestamp" not in m
    # uid and resourceVersion differ between objects; resourceVersion grows
    d2 = cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(ns, "meta2")), 201)
    assert d2["metadata"]["uid"] != m["uid"]
    assert int(d2["metadata"]["resourceVersion"]) > int(m["resourceVersion"])
    # client-supplied uid / resourceVersion / creationTimestamp on create are ignored or refused (never kept)
    body = cm(ns, "sysmeta")
    body["metadata"].update({"uid": "00000000-0000-0000-0000-000000000001", "creationTimestamp": "2001-01-01T00:00:00Z"})
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    if r.status_code == 201:
        got = r.json()["metadata"]
        assert got["uid"] != body["metadata"]["uid"] and got["creationTimestamp"] != "2001-01-01T00:00:00Z", got
    else:
        assert r.status_code in (400, 422), r.text


def test_generation_bumps_on_spec_change_only(cluster, ns):
    base = f"/apis/apps/v1/namespaces/{ns}/deployments"
    d = cluster.ok_json(cluster.post(base, deployment(ns, "gen")), 201)
    rv0 = d["metadata"]["resourceVersion"]

    # metadata-only change: new resourceVersion, same generation
    d["metadata"].setdefault("labels", {})["touched"] = "yes"
    d = cluster.ok_json(cluster.put(f"{base}/gen", d), 200)
    assert d["metadata"]["generation"] == 1
    assert d["metadata"]["labels"] == {"touched": "yes"}
    assert int(d["metadata"]["resourceVersion"]) > int(rv0)

    # spec change: generation + 1
    d["spec"]["replicas"] = 4
    d = cluster.ok_json(cluster.put(f"{base}/gen", d), 200)
    assert d["metadata"]["generation"] == 2 and d["spec"]["replicas"] == 4

    # a no-op update keeps generation (and upstream keeps the resourceVersion too)
    rv = d["metadata"]["resourceVersion"]
    d = cluster.ok_json(cluster.put(f"{base}/gen", d), 200)
    assert d["metadata"]["generation"] == 2
    assert d["metadata"]["resourceVersion"] == rv, "a no-op update should not write a new revision"

    # status through the main resource is ignored
    d["status"] = {"replicas": 7, "observedGeneration": 2}
    d = cluster.ok_json(cluster.put(f"{base}/gen", d), 200)
    assert d.get("status", {}).get("replicas") in (None, 0), d.get("status")
    assert d["metadata"]["generation"] == 2


def test_status_subresource_is_separate(cluster, ns):
    base = f"/apis/apps/v1/namespaces/{ns}/deployments"
    d = cluster.ok_json(cluster.post(base, deployment(ns, "st", 2)), 201)
    # GET /status returns the whole object
    s = cluster.ok_json(cluster.get(f"{base}/st/status"), 200)
    assert s["kind"] == "Deployment" and s["metadata"]["uid"] == d["metadata"]["uid"]
    # PUT /status changes status only: a spec change in the same body is dropped, generation unchanged
    s["status"] = {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1}
    s["spec"]["replicas"] = 9
    s["metadata"].setdefault("labels", {})["via-status"] = "x"
    out = cluster.ok_json(cluster.put(f"{base}/st/status", s), 200)
    assert out["status"]["replicas"] == 2 and out["status"]["readyReplicas"] == 1
    assert out["spec"]["replicas"] == 2, "spec must not change through /status"
    assert out["metadata"]["generation"] == 1
    assert "via-status" not in (out["metadata"].get("labels") or {}), "metadata.labels must not change through /status"
    got = cluster.ok_json(cluster.get(f"{base}/st"), 200)
    assert got["spec"]["replicas"] == 2 and got["status"]["readyReplicas"] == 1
    # PUT on the main resource keeps the status the /status write set
    got["spec"]["replicas"] = 3
    got["status"] = {"replicas": 0}
    out = cluster.ok_json(cluster.put(f"{base}/st", got), 200)
    assert out["spec"]["replicas"] == 3 and out["metadata"]["generation"] == 2
    assert out["status"]["readyReplicas"] == 1 and out["status"]["replicas"] == 2, out["status"]
    # /status with a stale resourceVersion is a conflict too
    s["metadata"]["resourceVersion"] = d["metadata"]["resourceVersion"]
    r = cluster.put(f"{base}/st/status", s)
    assert r.status_code == 409, r.text


def test_pod_status_subresource_and_phase(cluster, ns):
    # A scheduler name nobody answers to: no scheduler writes the pod between our read and write.
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
           "spec": {"schedulerName": "e2e-unscheduled",
                    "containers": [{"name": "c", "image": "registry.example/busybox"}]}}
    p = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod), 201)
    assert p["status"]["phase"] == "Pending", p.get("status")
    assert p["status"]["qosClass"] == "BestEffort", p.get("status")
    p["status"]["phase"] = "Running"
    p["status"]["podIP"] = "10.244.0.9"
    out = cluster.ok_json(cluster.put(f"/api/v1/namespaces/{ns}/pods/p/status", p), 200)
    assert out["status"]["phase"] == "Running" and out["status"]["podIP"] == "10.244.0.9"


def test_generate_name(cluster, ns):
    body = cm(ns, "")
    del body["metadata"]["name"]
    body["metadata"]["generateName"] = "gen-"
    names = set()
    for _ in range(3):
        o = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body), 201)
        assert re.fullmatch(r"gen-[a-z0-9]{5}", o["metadata"]["name"]), o["metadata"]["name"]
        assert o["metadata"]["generateName"] == "gen-"
        names.add(o["metadata"]["name"])
    assert len(names) == 3
    lst = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps"), 200)
    assert names <= {i["metadata"]["name"] for i in lst["items"]}
    # no name and no generateName -> 422 naming metadata.name
    del body["metadata"]["generateName"]
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    assert r.status_code == 422, r.text
    st = status_of(r)
    assert any(c.get("field") in ("metadata.name", "name") for c in st["details"]["causes"]), st


def test_conflicts(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    a = cluster.ok_json(cluster.post(base, cm(ns, "c1")), 201)
    # create again -> 409 AlreadyExists
    r = cluster.post(base, cm(ns, "c1"))
    assert r.status_code == 409, r.text
    st = status_of(r)
    assert st["reason"] == "AlreadyExists", st
    assert st["message"] == 'configmaps "c1" already exists', st
    assert st["details"] == {"name": "c1", "kind": "configmaps"} or (
        st["details"]["name"] == "c1" and st["details"]["kind"] == "configmaps"), st

    # update with the current resourceVersion works, with the old one -> 409 Conflict
    b = copy.deepcopy(a)
    b["data"]["k"] = "second"
    b = cluster.ok_json(cluster.put(f"{base}/c1", b), 200)
    stale = copy.deepcopy(a)
    stale["data"]["k"] = "stale"
    r = cluster.put(f"{base}/c1", stale)
    assert r.status_code == 409, r.text
    st = status_of(r)
    assert st["reason"] == "Conflict", st
    assert st["message"] == ('Operation cannot be fulfilled on configmaps "c1": the object has been modified; '
                             'please apply your changes to the latest version and try again'), st["message"]
    assert cluster.ok_json(cluster.get(f"{base}/c1"), 200)["data"]["k"] == "second"

    # update without resourceVersion is an unconditional update (allowed for configmaps upstream)
    nov = copy.deepcopy(b)
    del nov["metadata"]["resourceVersion"]
    nov["data"]["k"] = "third"
    assert cluster.ok_json(cluster.put(f"{base}/c1", nov), 200)["data"]["k"] == "third"

    # name in body differs from the URL -> 400
    wrong = copy.deepcopy(b)
    wrong["metadata"]["name"] = "other"
    r = cluster.put(f"{base}/c1", wrong)
    assert r.status_code == 400, r.text
    assert status_of(r)["reason"] == "BadRequest"

    # update of something missing -> 404 (configmaps do not allow create-on-update)
    r = cluster.put(f"{base}/missing", cm(ns, "missing"))
    assert r.status_code == 404, r.text

    # delete with a stale resourceVersion precondition -> 409
    r = cluster.request("DELETE", f"{base}/c1", json_body={
        "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": a["metadata"]["resourceVersion"]}})
    assert r.status_code == 409, r.text
    r = cluster.request("DELETE", f"{base}/c1", json_body={
        "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}})
    assert r.status_code == 409, r.text
    r = cluster.delete(f"{base}/c1")
    assert r.status_code == 200, r.text
    r = cluster.delete(f"{base}/c1")
    assert r.status_code == 404 and status_of(r)["reason"] == "NotFound", r.text


def test_not_found_status(cluster, ns):
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps/nope")
    assert r.status_code == 404
    st = status_of(r)
    assert st["reason"] == "NotFound"
    assert st["message"] == 'configmaps "nope" not found'
    assert st["details"]["name"] == "nope" and st["details"]["kind"] == "configmaps", st
    r = cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/nope")
    st = status_of(r)
    assert st["message"] == 'deployments.apps "nope" not found', st
    assert st["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}, st
    # an unknown resource path is 404 too
    r = cluster.get("/api/v1/nosuchresources")
    assert r.status_code == 404, r.text


def test_create_in_missing_namespace_is_404(cluster, suffix):
    missing = f"e2e-absent-{suffix}"
    r = cluster.post(f"/api/v1/namespaces/{missing}/configmaps", cm(missing, "x"))
    assert r.status_code == 404, r.text
    st = status_of(r)
    assert st["reason"] == "NotFound"
    assert st["message"] == f'namespaces "{missing}" not found', st
    assert st["details"]["name"] == missing and st["details"]["kind"] == "namespaces", st
    r = cluster.post(f"/apis/apps/v1/namespaces/{missing}/deployments", deployment(missing, "d"))
    assert r.status_code == 404, r.text
    # nothing was stored anywhere
    lst = cluster.ok_json(cluster.get("/api/v1/configmaps", params={"fieldSelector": f"metadata.namespace={missing}"}), 200)
    assert lst["items"] == []


def test_dry_run_all_stores_nothing(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    before = cluster.ok_json(cluster.get(base), 200)["metadata"]["resourceVersion"]
    r = cluster.post(base, cm(ns, "dry"), params={"dryRun": "All"})
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["metadata"]["name"] == "dry" and o["data"] == {"k": "v"}
    assert cluster.get(f"{base}/dry").status_code == 404, "dryRun=All create stored the object"
    # an invalid object under dryRun is still validated
    r = cluster.post(base, cm(ns, "Dry_Bad"), params={"dryRun": "All"})
    assert r.status_code == 422, r.text

    real = cluster.ok_json(cluster.post(base, cm(ns, "wet")), 201)
    changed = copy.deepcopy(real)
    changed["data"]["k"] = "dry-update"
    r = cluster.put(f"{base}/wet", changed, params={"dryRun": "All"})
    assert r.status_code == 200 and r.json()["data"]["k"] == "dry-update", r.text
    after = cluster.ok_json(cluster.get(f"{base}/wet"), 200)
    assert after["data"]["k"] == "v" and after["metadata"]["resourceVersion"] == real["metadata"]["resourceVersion"]

    r = cluster.delete(f"{base}/wet", params={"dryRun": "All"})
    assert r.status_code == 200, r.text
    assert cluster.get(f"{base}/wet").status_code == 200, "dryRun=All delete deleted the object"

    # an unknown dryRun value is rejected (upstream: 422 Invalid CreateOptions)
    r = cluster.post(base, cm(ns, "dry2"), params={"dryRun": "Sometimes"})
    assert r.status_code == 422, r.text
    assert cluster.get(f"{base}/dry2").status_code == 404

    # kubectl --dry-run=server goes through the same path
    cp = cluster.kubectl("create", "-f", "-", "--dry-run=server", "-o", "name", input=json.dumps(cm(ns, "kdry")))
    assert cp.stdout.strip() == "configmap/kdry"
    assert cluster.get(f"{base}/kdry").status_code == 404
    # ... and the writes above left no trace but the one real create
    names = sorted(i["metadata"]["name"] for i in cluster.ok_json(cluster.get(base), 200)["items"]
                   if i["metadata"]["name"] in ("dry", "wet", "dry2", "kdry"))
    assert names == ["wet"], names
    assert before.isdigit()


def test_namespaced_object_in_cluster_path_and_namespace_mismatch(cluster, ns):
    other = cm("some-other-namespace", "mm")
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", other)
    assert r.status_code == 400, r.text
    st = status_of(r)
    assert st["reason"] == "BadRequest"
    assert "does not match the namespace" in st["message"], st["message"]
    # no namespace in the body: it comes from the path
    body = cm(ns, "frompath")
    del body["metadata"]["namespace"]
    o = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body), 201)
    assert o["metadata"]["namespace"] == ns


def test_delete_returns_and_uid_changes_on_recreate(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    a = cluster.ok_json(cluster.post(base, cm(ns, "again")), 201)
    r = cluster.delete(f"{base}/again")
    assert r.status_code == 200, r.text
    b = cluster.ok_json(cluster.post(base, cm(ns, "again")), 201)
    assert b["metadata"]["uid"] != a["metadata"]["uid"]
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
