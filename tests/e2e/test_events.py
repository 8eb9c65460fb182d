"""Events: one storage behind core/v1 and events.k8s.io/v1, their conversion, TTL expiry, and kubectl's views."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from kubernetes import client

from e2e_harness import status_of


def _ts(seconds_ago: int = 0) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(seconds_ago: int = 0) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _core_event(ns, name, *, obj="web", kind="Pod", reason="Started", message="started container", type_="Normal",
                count=1, first=60, last=30, component="kubelet", host="node-1", uid="uid-1"):
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
            "involvedObject": {"kind": kind, "namespace": ns, "name": obj, "uid": uid, "apiVersion": "v1"},
            "reason": reason, "message": message, "type": type_, "count": count,
            "firstTimestamp": _ts(first), "lastTimestamp": _ts(last),
            "source": {"component": component, "host": host}}


def _v1_event(ns, name, *, obj="web", reason="Scheduled", note="assigned to node-1", type_="Normal", when=None):
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
            "eventTime": when or _micro(5), "reportingController": "default-scheduler",
            "reportingInstance": "default-scheduler-node-1", "action": "Binding", "reason": reason, "note": note,
            "type": type_,
            "regarding": {"kind": "Pod", "namespace": ns, "name": obj, "uid": "uid-2", "apiVersion": "v1"},
            "related": {"kind": "Node", "name": "node-1", "apiVersion": "v1"},
            "series": {"count": 3, "lastObservedTime": _micro(1)}}


def _core(ns):
    return f"/api/v1/namespaces/{ns}/events"


def _v1(ns):
    return f"/apis/events.k8s.io/v1/namespaces/{ns}/events"


def _strip(obj):
    obj = dict(obj)
    obj["metadata"] = {k: v for k, v in obj["metadata"].items()
                       if k not in ("uid", "resourceVersion", "creationTimestamp", "managedFields")}
    return obj


def test_core_event_seen_through_events_api(cluster, ns):
    api = client.CoreV1Api(cluster.api_client)
    body = _core_event(ns, "e1", count=4)
    created = api.create_namespaced_event(ns, body)
    assert created.count == 4 and created.source.component == "kubelet"

    got = cluster.ok_json(cluster.get(f"{_v1(ns)}/e1"), 200)
    core = cluster.ok_json(cluster.get(f"{_core(ns)}/e1"), 200)
    assert got["metadata"] == core["metadata"]
    assert _strip(got) == {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e1", "namespace": ns},
        "regarding": body["involvedObject"], "reason": "Started", "note": "started container", "type": "Normal",
        "deprecatedCount": 4, "deprecatedFirstTimestamp": core["firstTimestamp"],
        "deprecatedLastTimestamp": core["lastTimestamp"],
        "deprecatedSource": {"component": "kubelet", "host": "node-1"}, "eventTime": None,
    }


def test_events_api_event_seen_through_core(cluster, ns):
    body = _v1_event(ns, "s1")
    created = cluster.ok_json(cluster.post(_v1(ns), body), 201)
    assert _strip(created) == body | {"metadata": {"name": "s1", "namespace": ns},
                                      "deprecatedSource": {}}

    core = cluster.ok_json(cluster.get(f"{_core(ns)}/s1"), 200)
    assert _strip(core) == {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "s1", "namespace": ns},
        "eventTime": body["eventTime"], "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-node-1", "action": "Binding", "reason": "Scheduled",
        "message": "assigned to node-1", "type": "Normal", "involvedObject": body["regarding"],
        "related": body["related"], "series": body["series"], "source": {},
    }
    # The official client reads it through both APIs.
    ev = client.EventsV1Api(cluster.api_client).read_namespaced_event("s1", ns)
    assert ev.note == "assigned to node-1" and ev.series.count == 3 and ev.regarding.name == "web"
    cev = client.CoreV1Api(cluster.api_client).read_namespaced_event("s1", ns)
    assert cev.message == "assigned to node-1" and cev.reporting_component == "default-scheduler"

    # One object: a list through either API holds it once, with the same resourceVersion.
    core_list = cluster.ok_json(cluster.get(_core(ns)), 200)
    v1_list = cluster.ok_json(cluster.get(_v1(ns)), 200)
    assert v1_list["kind"] == "EventList" and v1_list["apiVersion"] == "events.k8s.io/v1"
    assert [i["metadata"]["name"] for i in core_list["items"]] == ["s1"]
    assert [i["metadata"]["resourceVersion"] for i in v1_list["items"]] == [core["metadata"]["resourceVersion"]]
    # kubectl reaches both resources.
    cp = cluster.kubectl("get", "events.events.k8s.io", "-n", ns, "-o", "custom-columns=NAME:.metadata.name,NOTE:.note")
    assert cp.stdout.splitlines() == ["NAME   NOTE", "s1     assigned to node-1"]
    cp = cluster.kubectl("get", "events.v1.", "-n", ns, "-o", "custom-columns=NAME:.metadata.name,MESSAGE:.message")
    assert cp.stdout.splitlines() == ["NAME   MESSAGE", "s1     assigned to node-1"]


def test_events_api_update_patch_delete_share_storage(cluster, ns):
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "u1")), 201)
    got = cluster.ok_json(cluster.get(f"{_v1(ns)}/u1"), 200)
    # Through events.k8s.io/v1 only the series (and metadata) of an event may change.
    got["series"] = {"count": 2, "lastObservedTime": _micro(0)}
    got["metadata"]["labels"] = {"seen": "twice"}
    put = cluster.ok_json(cluster.put(f"{_v1(ns)}/u1", got), 200)
    assert put["series"] == got["series"] and put["apiVersion"] == "events.k8s.io/v1"
    core = cluster.ok_json(cluster.get(f"{_core(ns)}/u1"), 200)
    assert core["series"] == got["series"] and core["metadata"]["labels"] == {"seen": "twice"}
    assert core["message"] == "started container" and core["count"] == 1

    changed = dict(put, note="changed through events.k8s.io")
    r = cluster.put(f"{_v1(ns)}/u1", changed)
    assert r.status_code == 422
    assert status_of(r)["message"] == ('Event.events.k8s.io "u1" is invalid: '
                                       'message: Invalid value: "changed through events.k8s.io": field is immutable')

    r = cluster.request("PATCH", f"{_v1(ns)}/u1", data=json.dumps({"note": "patched", "deprecatedCount": 7}),
                        headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 422
    assert status_of(r)["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": 'Invalid value: "patched": field is immutable', "field": "message"},
        {"reason": "FieldValueInvalid", "message": "Invalid value: 7: field is immutable", "field": "count"}]
    r = cluster.request("PATCH", f"{_v1(ns)}/u1", data=json.dumps({"series": {"count": 5}}),
                        headers={"Content-Type": "application/merge-patch+json"})
    patched = cluster.ok_json(r, 200)
    assert patched["series"] == {"count": 5, "lastObservedTime": got["series"]["lastObservedTime"]}
    # The core API has no such rule.
    r = cluster.request("PATCH", f"{_core(ns)}/u1", data=json.dumps({"message": "patched", "count": 7}),
                        headers={"Content-Type": "application/merge-patch+json"})
    assert cluster.ok_json(r, 200)["count"] == 7
    assert cluster.ok_json(cluster.get(f"{_v1(ns)}/u1"), 200)["note"] == "patched"
    core = cluster.ok_json(cluster.get(f"{_core(ns)}/u1"), 200)

    r = cluster.delete(f"{_v1(ns)}/u1")
    assert r.status_code == 200
    assert r.json()["details"] == {"name": "u1", "group": "events.k8s.io", "kind": "events",
                                   "uid": core["metadata"]["uid"]}
    r = cluster.get(f"{_core(ns)}/u1")
    assert r.status_code == 404
    r = cluster.get(f"{_v1(ns)}/u1")
    assert r.status_code == 404
    assert status_of(r)["message"] == 'events.events.k8s.io "u1" not found'
    assert status_of(r)["details"] == {"name": "u1", "group": "events.k8s.io", "kind": "events"}


def test_events_api_create_validation(cluster, ns):
    body = _v1_event(ns, "bad")
    for field in ("reportingController", "reportingInstance", "action"):
        del body[field]
    body["type"] = "Odd"
    body["deprecatedCount"] = 2
    body["series"] = {"count": 1, "lastObservedTime": _micro(0)}
    r = cluster.post(_v1(ns), body)
    assert r.status_code == 422
    st = status_of(r)
    assert st["details"]["kind"] == "Event" and st["details"]["group"] == "events.k8s.io"
    assert [(c["field"], c["message"]) for c in st["details"]["causes"]] == [
        ("reportingController", "Required value"),
        ("reportingController", "Invalid value: \"\": name part must be non-empty"),
        ("reportingController", "Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or "
                                "'.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                                "'my.name',  or '123-abc', regex used for validation is "
                                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
        ("reportingInstance", "Required value"),
        ("action", "Required value"),
        ("series.count", "Invalid value: \"\": should be at least 2"),
        ("type", "Invalid value: \"\": has invalid value: Odd"),
        ("count", "Invalid value: \"\": needs to be unset"),
    ]
    body = _v1_event(ns, "noregarding")
    del body["regarding"]["namespace"]
    r = cluster.post(_v1(ns), body)
    assert r.status_code == 422
    assert status_of(r)["message"] == (
        'Event.events.k8s.io "noregarding" is invalid: involvedObject.namespace: '
        'Invalid value: "": does not match event.namespace')


def test_events_api_field_selectors(cluster, ns):
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "a", obj="web", reason="Pulled")), 201)
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "b", obj="db", reason="Pulled", type_="Warning")), 201)
    cluster.ok_json(cluster.post(_v1(ns), _v1_event(ns, "c", obj="web")), 201)

    def names(path, selector):
        body = cluster.ok_json(cluster.get(path, params={"fieldSelector": selector}), 200)
        return sorted(i["metadata"]["name"] for i in body["items"])

    assert names(_v1(ns), "regarding.name=web") == ["a", "c"]
    assert names(_v1(ns), "regarding.name=web,reason!=Scheduled") == ["a"]
    assert names(_v1(ns), "reportingController=default-scheduler") == ["c"]
    assert names(_v1(ns), "type=Warning") == ["b"]
    assert names(_core(ns), "involvedObject.name=web,involvedObject.kind=Pod") == ["a", "c"]
    assert names(_core(ns), "reportingComponent=default-scheduler") == ["c"]
    assert names(_core(ns), "source=kubelet") == ["a", "b"]
    r = cluster.get(_v1(ns), params={"fieldSelector": "involvedObject.name=web"})
    assert r.status_code == 400 and status_of(r)["message"] == "field label not supported: involvedObject.name"


def test_events_api_watch_sees_core_writes(cluster, ns):
    rv = cluster.ok_json(cluster.get(_v1(ns)), 200)["metadata"]["resourceVersion"]
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "w0", obj="other")), 201)
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "w1", obj="web", message="hello")), 201)
    cluster.ok_json(cluster.delete(f"{_core(ns)}/w1"), 200)
    events = cluster.watch_lines(_v1(ns), {"resourceVersion": rv, "fieldSelector": "regarding.name=web"})
    added = next(events)
    deleted = next(events)
    events.close()
    assert added["type"] == "ADDED" and deleted["type"] == "DELETED"
    for ev in (added, deleted):
        assert ev["object"]["apiVersion"] == "events.k8s.io/v1" and ev["object"]["metadata"]["name"] == "w1"
        assert ev["object"]["note"] == "hello" and ev["object"]["regarding"]["name"] == "web"


@pytest.mark.kubectl
def test_kubectl_get_events_sorted_and_all_namespaces(cluster, ns):
    for name, last in (("late", 10), ("early", 300), ("middle", 100)):
        cluster.ok_json(cluster.post(_core(ns), _core_event(ns, name, first=last, last=last)), 201)
    cp = cluster.kubectl("get", "events", "-n", ns, "--sort-by=.lastTimestamp",
                         "-o", "custom-columns=NAME:.metadata.name,COUNT:.count,REASON:.reason")
    assert cp.stdout.splitlines() == [
        "NAME     COUNT   REASON", "early    1       Started", "middle   1       Started", "late     1       Started"]
    cp = cluster.kubectl("get", "events", "-A", "-o", "json")
    mine = [i["metadata"]["name"] for i in json.loads(cp.stdout)["items"] if i["metadata"]["namespace"] == ns]
    assert sorted(mine) == ["early", "late", "middle"]


@pytest.mark.kubectl
def test_kubectl_events_command(cluster, ns):
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "k1", obj="web", reason="Pulled",
                                                       message="image pulled", first=900, last=900)), 201)
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "k2", obj="web", reason="BackOff", type_="Warning",
                                                       message="back-off restarting", count=5,
                                                       first=3000, last=1200)), 201)
    cluster.ok_json(cluster.post(_core(ns), _core_event(ns, "k3", obj="db", reason="Killing",
                                                       message="stopping container", first=600, last=600)), 201)
    # kubectl prints events oldest first (by last timestamp), ages rounded as upstream's HumanDuration.
    cp = cluster.kubectl("events", "-n", ns)
    lines = [" ".join(line.split()) for line in cp.stdout.splitlines()]
    assert lines == [
        "LAST SEEN TYPE REASON OBJECT MESSAGE",
        "20m (x5 over 50m) Warning BackOff Pod/web back-off restarting",
        "15m Normal Pulled Pod/web image pulled",
        "10m Normal Killing Pod/db stopping container",
    ]
    cp = cluster.kubectl("events", "-n", ns, "--for", "pod/web")
    lines = [" ".join(line.split()) for line in cp.stdout.splitlines()]
    assert lines == [
        "LAST SEEN TYPE REASON OBJECT MESSAGE",
        "20m (x5 over 50m) Warning BackOff Pod/web back-off restarting",
        "15m Normal Pulled Pod/web image pulled",
    ]
    cp = cluster.kubectl("events", "-n", ns, "--types=Warning")
    lines = [" ".join(line.split()) for line in cp.stdout.splitlines()]
    assert lines == [
        "LAST SEEN TYPE REASON OBJECT MESSAGE",
        "20m (x5 over 50m) Warning BackOff Pod/web back-off restarting",
    ]


def _exists(c, ns, name) -> bool:
    r = c.get(f"{_core(ns)}/{name}")
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


def _wait_gone(c, ns, name, timeout) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if not _exists(c, ns, name):
            return time.monotonic() - t0
        time.sleep(0.2)
    raise AssertionError(f"event {name} still there after {timeout}s")


@pytest.mark.slow
@pytest.mark.lifecycle
def test_event_ttl_expiry_rewrite_and_restart(server_factory):
    proc = server_factory.new("--event-ttl", "3s")
    c = server_factory.client(proc)
    ns = "default"
    c.ok_json(c.post(_core(ns), _core_event(ns, "short")), 201)
    c.ok_json(c.post(_v1(ns), _v1_event(ns, "rewritten")), 201)
    c.ok_json(c.post("/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stays"}}), 201)
    time.sleep(2)
    # A write restarts the event's time to live.
    r = c.request("PATCH", f"{_v1(ns)}/rewritten", data=json.dumps({"series": {"count": 4}}),
                  headers={"Content-Type": "application/merge-patch+json"})
    c.ok_json(r, 200)
    gone_after = _wait_gone(c, ns, "short", 4)
    assert gone_after < 3
    assert _exists(c, ns, "rewritten")
    _wait_gone(c, ns, "rewritten", 4)
    assert c.get("/api/v1/namespaces/default/configmaps/stays").status_code == 200

    # Across a restart: the event expires one ttl after the server is back.
    c.ok_json(c.post(_core(ns), _core_event(ns, "survivor")), 201)
    assert proc.stop() == 0
    time.sleep(1)
    proc.start()
    assert _exists(c, ns, "survivor")
    t0 = time.monotonic()
    _wait_gone(c, ns, "survivor", 6)
    assert time.monotonic() - t0 > 1.0


@pytest.mark.slow
@pytest.mark.lifecycle
def test_event_ttl_default_keeps_events(server_factory):
    proc = server_factory.new()
    c = server_factory.client(proc)
    c.ok_json(c.post(_core("default"), _core_event("default", "kept")), 201)
    time.sleep(2)
    assert _exists(c, "default", "kept")
