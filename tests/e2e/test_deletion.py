"""Deletion as upstream: grace periods for scheduled pods, --force, preconditions, finalizers,
propagationPolicy recorded as finalizers, and namespaces that terminate asynchronously."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from e2e_harness import status_of


def pod(name, node=None, grace=None):
    spec = {"containers": [{"name": "c", "image": "registry.example/app:1"}]}
    if node:
        spec["nodeName"] = node
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def cm(name, finalizers=None):
    meta = {"name": name}
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


def ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_unscheduled_pod_is_deleted_at_once(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("loose")), 201)
    r = cluster.delete(f"/api/v1/namespaces/{ns}/pods/loose")
    assert r.status_code == 200, r.text
    body = r.json()
    # pods answer with the deleted object, marked with a grace period of 0
    assert body["kind"] == "Pod" and body["metadata"]["deletionGracePeriodSeconds"] == 0, body["metadata"]
    assert cluster.get(f"/api/v1/namespaces/{ns}/pods/loose").status_code == 404


def test_scheduled_pod_gets_grace_period_then_force(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/pods"
    created = cluster.ok_json(cluster.post(base, pod("bound", node="node-a", grace=45)), 201)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    cp = cluster.kubectl("delete", "pod", "bound", "-n", ns, "--wait=false")
    assert cp.stdout.strip() == f'pod "bound" deleted from {ns} namespace', cp.stdout
    p = cluster.ok_json(cluster.get(f"{base}/bound"), 200)
    assert p["metadata"]["deletionGracePeriodSeconds"] == 45
    dt = ts(p["metadata"]["deletionTimestamp"])
    assert 44 <= (dt - before).total_seconds() <= 47, (before, dt)
    assert p["metadata"]["generation"] == created["metadata"]["generation"] + 1
    # deleting again with a longer period changes nothing
    r = cluster.delete(f"{base}/bound", params={"gracePeriodSeconds": "60"})
    assert r.status_code == 200 and r.json()["metadata"]["deletionGracePeriodSeconds"] == 45, r.text
    # a shorter one shortens it
    r = cluster.delete(f"{base}/bound", params={"gracePeriodSeconds": "10"})
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["deletionGracePeriodSeconds"] == 10
    assert (dt - ts(r.json()["metadata"]["deletionTimestamp"])).total_seconds() == 35
    # --force --grace-period=0 removes it
    cp = cluster.kubectl("delete", "pod", "bound", "-n", ns, "--grace-period=0", "--force")
    assert 'pod "bound" force deleted' in cp.stdout, cp.stdout + cp.stderr
    assert cluster.get(f"{base}/bound").status_code == 404


def test_scheduled_pod_default_grace_is_30_and_finished_pod_goes_at_once(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/pods"
    cluster.ok_json(cluster.post(base, pod("dflt", node="node-a")), 201)
    r = cluster.delete(f"{base}/dflt")
    assert r.status_code == 200 and r.json()["metadata"]["deletionGracePeriodSeconds"] == 30, r.text
    done = cluster.ok_json(cluster.post(base, pod("done", node="node-a")), 201)
    done["status"]["phase"] = "Succeeded"
    cluster.ok_json(cluster.put(f"{base}/done/status", done), 200)
    r = cluster.delete(f"{base}/done")
    assert r.status_code == 200, r.text
    assert cluster.get(f"{base}/done").status_code == 404
    # the Python client deletes with an explicit grace period of 0
    from kubernetes import client

    v1 = client.CoreV1Api(cluster.api_client)
    v1.delete_namespaced_pod("dflt", ns, grace_period_seconds=0)
    assert cluster.get(f"{base}/dflt").status_code == 404


def test_preconditions_conflict(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    made = cluster.ok_json(cluster.post(base, cm("pre")), 201)
    r = cluster.request("DELETE", f"{base}/pre", json_body={
        "kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "0000"}})
    assert r.status_code == 409, r.text
    st = status_of(r)
    assert st["reason"] == "Conflict"
    assert st["message"] == (f'Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition (0000) does '
                             f'not match the UID in record ({made["metadata"]["uid"]}). The object might have been '
                             f'deleted and then recreated'), st["message"]
    assert st["details"] == {"name": "pre", "kind": "ConfigMap"}, st["details"]
    r = cluster.request("DELETE", f"{base}/pre", json_body={
        "kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": "1"}})
    assert r.status_code == 409, r.text
    assert status_of(r)["message"] == (
        f'Operation cannot be fulfilled on ConfigMap "pre": the ResourceVersion in the precondition (1) does not '
        f'match the ResourceVersion in record ({made["metadata"]["resourceVersion"]}). The object might have been modified')
    r = cluster.request("DELETE", f"{base}/pre", json_body={
        "kind": "DeleteOptions", "apiVersion": "v1",
        "preconditions": {"uid": made["metadata"]["uid"], "resourceVersion": made["metadata"]["resourceVersion"]}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": "pre", "kind": "configmaps", "uid": made["metadata"]["uid"]}}, body


def test_invalid_delete_options(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    cluster.ok_json(cluster.post(base, cm("opt")), 201)
    r = cluster.delete(f"{base}/opt", params={"propagationPolicy": "Sideways"})
    assert r.status_code == 422, r.text
    assert status_of(r)["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                                       '"Sideways": supported values: "Foreground", "Background", "Orphan", "nil"')
    r = cluster.request("DELETE", f"{base}/opt", json_body={
        "kind": "DeleteOptions", "apiVersion": "v1", "orphanDependents": True, "propagationPolicy": "Orphan"})
    assert r.status_code == 422, r.text
    assert status_of(r)["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: '
                                       '"Orphan": orphanDependents and deletionPropagation cannot be both set')


def test_finalizers_hold_object_until_removed(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    cluster.ok_json(cluster.post(base, cm("held", finalizers=["example.com/hold"])), 201)
    r = cluster.delete(f"{base}/held")
    assert r.status_code == 200, r.text
    marked = r.json()
    assert marked["kind"] == "ConfigMap" and marked["metadata"]["deletionTimestamp"], marked["metadata"]
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 0
    assert marked["metadata"]["finalizers"] == ["example.com/hold"]
    # deleting again changes nothing
    again = cluster.delete(f"{base}/held").json()
    assert again["metadata"]["resourceVersion"] == marked["metadata"]["resourceVersion"]
    # new finalizers cannot be added... but removing the last one deletes it
    cp = cluster.kubectl("patch", "configmap", "held", "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    assert cp.returncode == 0, cp.stderr
    assert cluster.get(f"{base}/held").status_code == 404


@pytest.mark.parametrize("policy,finalizer", [("Foreground", "foregroundDeletion"), ("Orphan", "orphan")])
def test_propagation_policy_recorded_as_finalizer(cluster, ns, policy, finalizer):
    base = f"/apis/apps/v1/namespaces/{ns}/deployments"
    # A finalizer of our own holds the object, so the garbage collector's finalizer can be seen
    # recorded (in the DELETE response) and then removed by the collector.
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dep", "finalizers": ["example.com/hold"]},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                  "template": {"metadata": {"labels": {"a": "b"}},
                               "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}]}}}}
    made = cluster.ok_json(cluster.post(base, d), 201)
    got = cluster.ok_json(cluster.delete(f"{base}/dep", params={"propagationPolicy": policy}), 200)
    assert got["metadata"]["finalizers"] == ["example.com/hold", finalizer]
    assert got["metadata"]["deletionTimestamp"] and got["metadata"]["deletionGracePeriodSeconds"] == 0
    assert got["metadata"]["generation"] == made["metadata"]["generation"] + 1
    # the garbage collector (no dependents here) removes its finalizer; ours keeps the object
    deadline = time.time() + 20
    while time.time() < deadline:
        got = cluster.ok_json(cluster.get(f"{base}/dep"), 200)
        if got["metadata"]["finalizers"] == ["example.com/hold"]:
            break
        time.sleep(0.2)
    assert got["metadata"]["finalizers"] == ["example.com/hold"]
    cp = cluster.kubectl("patch", "deployment", "dep", "-n", ns, "--type=json",
                         "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    assert cluster.get(f"{base}/dep").status_code == 404


def test_background_and_legacy_orphan_dependents(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    cluster.ok_json(cluster.post(base, cm("bg")), 201)
    r = cluster.delete(f"{base}/bg", params={"propagationPolicy": "Background"})
    assert r.status_code == 200 and r.json()["kind"] == "Status", r.text
    cluster.ok_json(cluster.post(base, cm("legacy")), 201)
    r = cluster.request("DELETE", f"{base}/legacy", json_body={"kind": "DeleteOptions", "apiVersion": "v1",
                                                               "orphanDependents": True})
    assert r.status_code == 200 and r.json()["metadata"]["finalizers"] == ["orphan"], r.text
    # orphanDependents=false removes a recorded policy and adds none: the object goes
    cluster.ok_json(cluster.post(base, cm("cascade", finalizers=["orphan"])), 201)
    r = cluster.request("DELETE", f"{base}/cascade", json_body={"kind": "DeleteOptions", "apiVersion": "v1",
                                                                "orphanDependents": False})
    assert r.status_code == 200 and r.json()["kind"] == "Status", r.text
    # an object kept by finalizers, with a cascade asked the legacy way: 202, as upstream
    cluster.ok_json(cluster.post(base, cm("kept", finalizers=["example.com/x"])), 201)
    r = cluster.request("DELETE", f"{base}/kept", json_body={"kind": "DeleteOptions", "apiVersion": "v1",
                                                             "orphanDependents": False})
    assert r.status_code == 202 and r.json()["metadata"]["finalizers"] == ["example.com/x"], r.text
    assert r.json()["metadata"]["deletionTimestamp"]


def test_namespace_terminates_asynchronously(cluster, suffix):
    name = f"e2e-term-{suffix}"
    cluster.create_namespace(name)
    try:
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{name}/configmaps", cm("a")), 201)
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{name}/configmaps", cm("held", finalizers=["example.com/x"])), 201)
        r = cluster.delete(f"/api/v1/namespaces/{name}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["kind"] == "Namespace" and body["status"]["phase"] == "Terminating"
        assert body["metadata"]["deletionTimestamp"] and body["spec"]["finalizers"] == ["kubernetes"]
        # creates are refused while it terminates
        r = cluster.post(f"/api/v1/namespaces/{name}/configmaps", cm("late"))
        assert r.status_code == 403, r.text
        st = status_of(r)
        assert st["reason"] == "Forbidden"
        assert st["message"] == (f'configmaps "late" is forbidden: unable to create new content in namespace {name} '
                                 "because it is being terminated")
        assert st["details"] == {"name": "late", "kind": "configmaps", "causes": [
            {"reason": "NamespaceTerminating", "message": f"namespace {name} is being terminated",
             "field": "metadata.namespace"}]}
        # a generated name is not known yet: the refusal names the prefix, as upstream's admission does
        r = cluster.post(f"/api/v1/namespaces/{name}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        assert r.status_code == 403, r.text
        st = status_of(r)
        assert st["message"] == (f'pods "web-" is forbidden: unable to create new content in namespace {name} '
                                 "because it is being terminated")
        assert st["details"]["name"] == "web-" and st["details"]["kind"] == "pods"
        assert st["details"]["causes"][0]["reason"] == "NamespaceTerminating"
        # kubectl shows the same refusal
        r = cluster.kubectl("-n", name, "create", "configmap", "late2", check=False)
        assert r.returncode == 1
        assert r.stderr == (f'error: failed to create configmap: configmaps "late2" is forbidden: unable to create new '
                            f"content in namespace {name} because it is being terminated\n")
        # content goes, the finalizer-held object stays and the conditions say so
        def conditions():
            ns = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{name}"), 200)
            cs = {c["type"]: c for c in ns["status"].get("conditions", [])}
            return cs if cs.get("NamespaceFinalizersRemaining", {}).get("status") == "True" else None
        cs = wait_for(conditions)
        assert cs, "no NamespaceFinalizersRemaining condition"
        assert cs["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
        assert cs["NamespaceContentRemaining"]["message"] == "Some resources are remaining: configmaps. has 1 resource instances"
        assert cs["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizerRemain"
        assert cs["NamespaceFinalizersRemaining"]["message"] == "Some finalizers are remaining: example.com/x in 1 resource instances"
        assert cs["NamespaceDeletionDiscoveryFailure"] == {**cs["NamespaceDeletionDiscoveryFailure"], "status": "False",
                                                           "reason": "ResourcesDiscovered",
                                                           "message": "All resources successfully discovered"}
        assert cs["NamespaceDeletionContentFailure"]["status"] == "False"
        assert cluster.get(f"/api/v1/namespaces/{name}/configmaps/a").status_code == 404
        held = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{name}/configmaps/held"), 200)
        assert held["metadata"]["deletionTimestamp"]
        # a second delete answers with the namespace, still terminating
        r = cluster.delete(f"/api/v1/namespaces/{name}")
        assert r.status_code == 200 and r.json()["status"]["phase"] == "Terminating", r.text
        cp = cluster.kubectl("get", "ns", name, "-o", "jsonpath={.status.phase}")
        assert cp.stdout == "Terminating"
        # release the finalizer: the namespace goes
        cluster.kubectl("patch", "configmap", "held", "-n", name, "--type=merge", "-p", '{"metadata":{"finalizers":[]}}')
        gone = wait_for(lambda: cluster.get(f"/api/v1/namespaces/{name}").status_code == 404)
        assert gone, cluster.get(f"/api/v1/namespaces/{name}").text
    finally:
        cluster.delete_namespace(name)


def test_kubectl_delete_namespace_waits_until_gone(cluster, suffix):
    name = f"e2e-kdel-{suffix}"
    cluster.create_namespace(name)
    for i in range(3):
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{name}/configmaps", cm(f"c{i}")), 201)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{name}/pods", pod("p")), 201)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{name}/services",
                                 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                                  "spec": {"clusterIP": "10.43.202.7", "ports": [{"port": 80}]}}), 201)
    cp = cluster.kubectl("delete", "namespace", name, timeout=60)
    assert cp.stdout.strip() == f'namespace "{name}" deleted', cp.stdout
    assert cluster.get(f"/api/v1/namespaces/{name}").status_code == 404
    # the Service's address went back with it
    cluster.create_namespace(name)
    try:
        s = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{name}/services",
                                         {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                                          "spec": {"clusterIP": "10.43.202.7", "ports": [{"port": 80}]}}), 201)
        assert s["spec"]["clusterIP"] == "10.43.202.7"
    finally:
        cluster.delete_namespace(name)


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_system_namespaces_may_not_be_deleted(cluster, name):
    r = cluster.delete(f"/api/v1/namespaces/{name}")
    assert r.status_code == 403, r.text
    st = status_of(r)
    assert st["reason"] == "Forbidden"
    assert st["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    assert st["details"] == {"name": name, "kind": "namespaces"}
    assert cluster.ok_json(cluster.get(f"/api/v1/namespaces/{name}"), 200)["status"]["phase"] == "Active"


def test_eviction_of_a_scheduled_pod_is_graceful(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/pods"
    cluster.ok_json(cluster.post(base, pod("ev", node="node-a", grace=20)), 201)
    r = cluster.post(f"{base}/ev/eviction", {"apiVersion": "policy/v1", "kind": "Eviction",
                                             "metadata": {"name": "ev", "namespace": ns}})
    assert r.status_code == 201, r.text
    p = cluster.ok_json(cluster.get(f"{base}/ev"), 200)
    assert p["metadata"]["deletionGracePeriodSeconds"] == 20 and p["metadata"]["deletionTimestamp"]
    r = cluster.post(f"{base}/ev/eviction", {"apiVersion": "policy/v1", "kind": "Eviction",
                                             "metadata": {"name": "ev", "namespace": ns},
                                             "deleteOptions": {"gracePeriodSeconds": 0}})
    assert r.status_code == 201, r.text
    assert cluster.get(f"{base}/ev").status_code == 404


def test_namespace_finalize_subresource(cluster, suffix):
    """PUT namespaces/{name}/finalize replaces only spec.finalizers; a terminating namespace held by
    a custom finalizer goes once it is handed back with none; bad names are 422."""
    name = f"e2e-fin-{suffix}"
    cluster.create_namespace(name)
    try:
        ns = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{name}"), 200)
        ns["spec"]["finalizers"] = ["kubernetes", "example.com/hold"]
        ns["metadata"]["labels"]["ignored"] = "yes"
        out = cluster.ok_json(cluster.put(f"/api/v1/namespaces/{name}/finalize", ns), 200)
        assert out["spec"]["finalizers"] == ["kubernetes", "example.com/hold"]
        assert "ignored" not in out["metadata"]["labels"], "finalize must change nothing but spec.finalizers"

        bad = dict(out, spec={"finalizers": ["hold"]})
        r = cluster.put(f"/api/v1/namespaces/{name}/finalize", bad)
        assert r.status_code == 422, r.text
        st = status_of(r)
        assert st["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.finalizers[0]",
                                            "message": 'Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified'}]

        assert cluster.delete(f"/api/v1/namespaces/{name}").status_code == 200
        # the namespace finalizer removes "kubernetes"; the custom one keeps it Terminating
        def held():
            got = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{name}"), 200)
            return got if got["spec"].get("finalizers") == ["example.com/hold"] else None
        got = wait_for(held)
        assert got and got["status"]["phase"] == "Terminating"

        # handing it back with no finalizers deletes it, through the official client as a user would
        from kubernetes import client as k8s
        v1 = k8s.CoreV1Api(cluster.api_client)
        body = v1.read_namespace(name)
        body.spec.finalizers = []
        v1.replace_namespace_finalize(name, body)
        assert wait_for(lambda: cluster.get(f"/api/v1/namespaces/{name}").status_code == 404)
    finally:
        cluster.delete(f"/api/v1/namespaces/{name}")
