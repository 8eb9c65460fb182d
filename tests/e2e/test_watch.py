"""Watches: resumed from a resourceVersion (Python client), label-filtered, timeoutSeconds,
sendInitialEvents with the initial-events-end bookmark."""

from __future__ import annotations

import threading
import time

from kubernetes import client, watch


def cm(ns, name, labels=None, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, **({"labels": labels} if labels else {})}, "data": data or {"k": "v"}}


def test_python_watch_resumes_from_resource_version(cluster, ns):
    v1 = client.CoreV1Api(cluster.api_client)
    base = f"/api/v1/namespaces/{ns}/configmaps"
    a = cluster.ok_json(cluster.post(base, cm(ns, "a")), 201)
    rv_a = a["metadata"]["resourceVersion"]
    # the later history: exactly these events must come back, in order, with these resourceVersions
    b = cluster.ok_json(cluster.post(base, cm(ns, "b")), 201)
    a["data"]["k"] = "changed"
    a2 = cluster.ok_json(cluster.put(f"{base}/a", a), 200)
    r = cluster.delete(f"{base}/b")
    assert r.status_code == 200
    expected = [("ADDED", "b", b["metadata"]["resourceVersion"]),
                ("MODIFIED", "a", a2["metadata"]["resourceVersion"])]

    w = watch.Watch()
    got = []
    t0 = time.monotonic()
    for ev in w.stream(v1.list_namespaced_config_map, ns, resource_version=rv_a, timeout_seconds=5):
        got.append((ev["type"], ev["object"].metadata.name, ev["object"].metadata.resource_version))
        if len(got) == 3:
            w.stop()
            break
    assert time.monotonic() - t0 < 5, f"the three events took the whole timeout: {got}"
    assert got[:2] == expected, got
    assert got[2][:2] == ("DELETED", "b"), got
    assert int(got[2][2]) > int(a2["metadata"]["resourceVersion"]), got
    delete_rv = got[2][2]
    assert ev["object"].data == {"k": "v"}  # DELETED carries the last state

    # resuming from the last event's resourceVersion yields nothing until something new happens
    w2 = watch.Watch()
    later = []

    def consume():
        for ev2 in w2.stream(v1.list_namespaced_config_map, ns, resource_version=delete_rv, timeout_seconds=4):
            later.append((ev2["type"], ev2["object"].metadata.name))
            w2.stop()
            break

    th = threading.Thread(target=consume)
    th.start()
    time.sleep(1.0)
    assert later == [], f"events replayed past the resume point: {later}"
    cluster.ok_json(cluster.post(base, cm(ns, "c")), 201)
    th.join(timeout=10)
    assert later == [("ADDED", "c")], later


def test_watch_without_resource_version_starts_now(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    cluster.ok_json(cluster.post(base, cm(ns, "old")), 201)
    lst = cluster.ok_json(cluster.get(base), 200)
    got = []
    def run():
        for ev in cluster.watch_lines(base, {"resourceVersion": lst["metadata"]["resourceVersion"], "timeoutSeconds": "5"}):
            got.append((ev["type"], ev["object"]["metadata"]["name"]))
            if len(got) == 1:
                return
    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.5)
    cluster.ok_json(cluster.post(base, cm(ns, "new")), 201)
    th.join(timeout=10)
    assert got == [("ADDED", "new")], got


def test_watch_event_objects_are_complete(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    lst = cluster.ok_json(cluster.get(base), 200)
    created = cluster.ok_json(cluster.post(base, cm(ns, "full", x="1")), 201)
    for ev in cluster.watch_lines(base, {"resourceVersion": lst["metadata"]["resourceVersion"], "timeoutSeconds": "5"}):
        assert ev["type"] == "ADDED"
        obj = ev["object"]
        assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1", obj
        assert obj["metadata"]["uid"] == created["metadata"]["uid"]
        assert obj["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
        assert obj["data"] == {"x": "1"}
        break
    else:
        raise AssertionError("no event")


def test_label_filtered_watch_sends_deleted_when_object_stops_matching(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    start = cluster.ok_json(cluster.get(base), 200)["metadata"]["resourceVersion"]
    m = cluster.ok_json(cluster.post(base, cm(ns, "m", {"sel": "yes"})), 201)
    cluster.ok_json(cluster.post(base, cm(ns, "other", {"sel": "no"})), 201)
    m["metadata"]["labels"]["sel"] = "no"
    cluster.ok_json(cluster.put(f"{base}/m", m), 200)
    m = cluster.ok_json(cluster.get(f"{base}/m"), 200)
    m["metadata"]["labels"]["sel"] = "yes"
    cluster.ok_json(cluster.put(f"{base}/m", m), 200)
    got = []
    for ev in cluster.watch_lines(base, {"resourceVersion": start, "labelSelector": "sel=yes", "timeoutSeconds": "3"}):
        got.append((ev["type"], ev["object"]["metadata"]["name"], ev["object"]["metadata"]["labels"]["sel"]))
        if len(got) == 3:
            break
    assert got == [("ADDED", "m", "yes"), ("DELETED", "m", "no"), ("ADDED", "m", "yes")], got


def test_watch_field_selector_and_single_object(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    start = cluster.ok_json(cluster.get(base), 200)["metadata"]["resourceVersion"]
    cluster.ok_json(cluster.post(base, cm(ns, "x1")), 201)
    cluster.ok_json(cluster.post(base, cm(ns, "x2")), 201)
    got = []
    for ev in cluster.watch_lines(base, {"resourceVersion": start, "fieldSelector": "metadata.name=x2",
                                         "timeoutSeconds": "3"}):
        got.append((ev["type"], ev["object"]["metadata"]["name"]))
        break
    assert got == [("ADDED", "x2")]


def test_watch_timeout_seconds_ends_stream(cluster, ns):
    t0 = time.monotonic()
    # (the namespace's kube-root-ca.crt, from the controller manager, is left out of the watch)
    events = list(cluster.watch_lines(f"/api/v1/namespaces/{ns}/configmaps",
                                      {"timeoutSeconds": "2", "fieldSelector": "metadata.name!=kube-root-ca.crt"},
                                      read_timeout=15))
    took = time.monotonic() - t0
    assert events == [] or all(e["type"] == "BOOKMARK" for e in events), events
    assert 1.5 <= took < 8, f"watch with timeoutSeconds=2 ended after {took:.1f}s"


def test_watch_send_initial_events_with_bookmark(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    for n in ("i1", "i2"):
        cluster.ok_json(cluster.post(base, cm(ns, n)), 201)
    got = []
    params = {"sendInitialEvents": "true", "allowWatchBookmarks": "true", "resourceVersionMatch": "NotOlderThan",
              "resourceVersion": "", "timeoutSeconds": "5",
              # leave out the namespace's kube-root-ca.crt (the controller manager's)
              "fieldSelector": "metadata.name!=kube-root-ca.crt"}
    bookmark = None
    for ev in cluster.watch_lines(base, params):
        if ev["type"] == "BOOKMARK":
            ann = ev["object"]["metadata"].get("annotations") or {}
            if ann.get("k8s.io/initial-events-end") == "true":
                bookmark = ev
                break
            continue
        got.append((ev["type"], ev["object"]["metadata"]["name"]))
    assert sorted(got) == [("ADDED", "i1"), ("ADDED", "i2")], got
    assert bookmark is not None, "no BOOKMARK with k8s.io/initial-events-end annotation"
    assert bookmark["object"]["kind"] == "ConfigMap", bookmark
    assert bookmark["object"]["metadata"]["resourceVersion"].isdigit(), bookmark


def test_watch_send_initial_events_requires_bookmarks(cluster, ns):
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps",
                    params={"watch": "true", "sendInitialEvents": "true", "timeoutSeconds": "1"})
    assert r.status_code == 422, r.text


def test_watch_across_namespaces_and_kinds(cluster, ns):
    """A cluster-wide watch on deployments sees one created in this namespace."""
    start = cluster.ok_json(cluster.get("/apis/apps/v1/deployments", params={"limit": 1}), 200)["metadata"]["resourceVersion"]
    labels = {"app": "wx"}
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "wx", "namespace": ns},
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                  "spec": {"containers": [{"name": "c", "image": "registry.example/x"}]}}}}
    cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", d), 201)
    for ev in cluster.watch_lines("/apis/apps/v1/deployments", {"resourceVersion": start, "timeoutSeconds": "5"}):
        if ev["object"]["metadata"].get("namespace") == ns:
            assert ev["type"] == "ADDED" and ev["object"]["kind"] == "Deployment"
            break
    else:
        raise AssertionError("cluster-wide watch did not deliver the deployment")
