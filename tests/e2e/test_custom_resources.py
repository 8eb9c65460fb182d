"""CustomResourceDefinitions: served at once, named, printed, scaled, converted and cleaned up as upstream."""

from __future__ import annotations

import copy
import json
import threading
import time

import pytest

from e2e_harness import wait_until

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def crontab_crd(group: str, *, plural: str = "crontabs", kind: str = "CronTab", short: str = "ct",
                scope: str = "Namespaced", versions: list | None = None) -> dict:
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {
                "cronSpec": {"type": "string"}, "image": {"type": "string"}, "replicas": {"type": "integer"}}},
            "status": {"type": "object", "properties": {
                "replicas": {"type": "integer"}, "labelSelector": {"type": "string"}}},
        },
    }
    version = {
        "name": "v1", "served": True, "storage": True,
        "schema": {"openAPIV3Schema": schema},
        "subresources": {"status": {}, "scale": {
            "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.labelSelector"}},
        "additionalPrinterColumns": [
            {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {"name": "Image", "type": "string", "jsonPath": ".spec.image", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group, "scope": scope,
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "shortNames": [short],
                      "categories": ["all"]},
            "versions": versions if versions is not None else [version],
        },
    }


def condition(crd: dict, kind: str) -> dict | None:
    for c in (crd.get("status") or {}).get("conditions") or []:
        if c["type"] == kind:
            return c
    return None


@pytest.fixture
def define(cluster):
    """Creates CRDs, waits until they are served, and deletes them (and their objects) afterwards."""
    created: list[str] = []

    def make(body: dict, wait: bool = True) -> dict:
        out = cluster.ok_json(cluster.post(CRD_PATH, body), 201)
        created.append(body["metadata"]["name"])
        if wait:
            group = body["spec"]["group"]
            version = next(v["name"] for v in body["spec"]["versions"] if v["served"])
            plural = body["spec"]["names"]["plural"]
            wait_until(f"{plural}.{group} served", lambda: any(
                r["name"] == plural for r in (cluster.get(f"/apis/{group}/{version}").json().get("resources") or [])
            ) if cluster.get(f"/apis/{group}/{version}").status_code == 200 else False, timeout=10, interval=0.05)
        return out

    yield make
    for name in created:
        cluster.delete(f"{CRD_PATH}/{name}")
    for name in created:
        wait_until(f"CRD {name} gone", lambda: cluster.get(f"{CRD_PATH}/{name}").status_code == 404, timeout=30)


def cron(group: str, ns: str, name: str, replicas: int = 2, version: str = "v1", **extra) -> dict:
    body = {"apiVersion": f"{group}/{version}", "kind": "CronTab",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"cronSpec": "* * * * */5", "image": "my-cron-image", "replicas": replicas}}
    body["metadata"].update(extra)
    return body


def test_a_new_definition_is_served_within_a_second_with_its_conditions(cluster, suffix):
    group = f"stable{suffix}.example.com"
    body = crontab_crd(group)
    start = time.monotonic()
    cluster.ok_json(cluster.post(CRD_PATH, body), 201)
    try:
        wait_until("the resource in discovery", lambda: cluster.get(f"/apis/{group}/v1").status_code == 200,
                   timeout=5, interval=0.02)
        elapsed = time.monotonic() - start
        assert elapsed < 1.0, f"served after {elapsed:.2f}s"
        listed = cluster.ok_json(cluster.get(f"/apis/{group}/v1"), 200)
        entry = next(r for r in listed["resources"] if r["name"] == "crontabs")
        assert entry["kind"] == "CronTab" and entry["namespaced"] is True
        assert entry["shortNames"] == ["ct"] and entry["categories"] == ["all"] and entry["singularName"] == "crontab"
        assert sorted(entry["verbs"]) == sorted(["create", "delete", "deletecollection", "get", "list", "patch",
                                                 "update", "watch"])
        subs = {r["name"]: r for r in listed["resources"] if "/" in r["name"]}
        assert subs["crontabs/scale"]["kind"] == "Scale" and subs["crontabs/scale"]["group"] == "autoscaling"
        assert "crontabs/status" in subs
        groups = cluster.ok_json(cluster.get("/apis"), 200)["groups"]
        mine = next(g for g in groups if g["name"] == group)
        assert mine["preferredVersion"]["version"] == "v1"
        aggregated = cluster.ok_json(cluster.get("/apis", headers={
            "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}), 200)
        agg = next(i for i in aggregated["items"] if i["metadata"]["name"] == group)
        assert agg["versions"][0]["resources"][0]["resource"] == "crontabs"
        crd = cluster.ok_json(cluster.get(f"{CRD_PATH}/crontabs.{group}"), 200)
        names = condition(crd, "NamesAccepted")
        established = condition(crd, "Established")
        assert names["status"] == "True" and names["reason"] == "NoConflicts"
        assert established["status"] == "True" and established["reason"] == "InitialNamesAccepted"
        assert crd["status"]["acceptedNames"]["plural"] == "crontabs"
        assert crd["status"]["storedVersions"] == ["v1"]
    finally:
        cluster.delete(f"{CRD_PATH}/crontabs.{group}")


def test_kubectl_creates_lists_and_prints_custom_objects_with_their_columns(cluster, ns, suffix, define):
    group = f"print{suffix}.example.com"
    define(crontab_crd(group))
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(cron(group, ns, "nightly", replicas=3)))
    out = cluster.kubectl("get", "ct", "-n", ns).stdout.splitlines()
    assert out[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert out[1].split()[:7] == ["nightly", "*", "*", "*", "*", "*/5", "3"]
    wide = cluster.kubectl("get", f"crontabs.{group}", "-n", ns, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "SPEC", "REPLICAS", "IMAGE", "AGE"]
    assert "my-cron-image" in wide[1]
    # The category `all` brings custom objects into `kubectl get all`.
    everything = cluster.kubectl("get", "all", "-n", ns).stdout
    assert f"crontab.{group}/nightly" in everything
    got = json.loads(cluster.kubectl("get", "crontab", "nightly", "-n", ns, "-o", "json").stdout)
    assert got["apiVersion"] == f"{group}/v1" and got["kind"] == "CronTab"
    assert got["spec"]["replicas"] == 3 and got["metadata"]["generation"] == 1
    cluster.kubectl("delete", "ct", "nightly", "-n", ns)
    assert cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/nightly").status_code == 404


def test_status_and_scale_subresources(cluster, ns, suffix, define):
    group = f"scale{suffix}.example.com"
    define(crontab_crd(group))
    base = f"/apis/{group}/v1/namespaces/{ns}/crontabs"
    body = cron(group, ns, "web", replicas=1)
    body["status"] = {"replicas": 9}
    created = cluster.ok_json(cluster.post(base, body), 201)
    assert "status" not in created, "status is the status subresource's, not the create's"
    # The main resource ignores status; the status subresource changes only status.
    created["status"] = {"replicas": 5}
    updated = cluster.ok_json(cluster.put(f"{base}/web", created), 200)
    assert "status" not in updated and updated["metadata"]["generation"] == 1
    updated["status"] = {"replicas": 1, "labelSelector": "app=web"}
    updated["spec"]["image"] = "ignored"
    status = cluster.ok_json(cluster.put(f"{base}/web/status", updated), 200)
    assert status["status"] == {"replicas": 1, "labelSelector": "app=web"}
    assert status["spec"]["image"] == "my-cron-image" and status["metadata"]["generation"] == 1
    scale = cluster.ok_json(cluster.get(f"{base}/web/scale"), 200)
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"]["replicas"] == 1 and scale["status"] == {"replicas": 1, "selector": "app=web"}
    cluster.kubectl("scale", "-n", ns, f"crontabs.{group}/web", "--replicas=4")
    after = cluster.ok_json(cluster.get(f"{base}/web"), 200)
    assert after["spec"]["replicas"] == 4 and after["metadata"]["generation"] == 2
    assert cluster.ok_json(cluster.get(f"{base}/web/scale"), 200)["spec"]["replicas"] == 4


def test_patches_of_custom_objects(cluster, ns, suffix, define):
    group = f"patch{suffix}.example.com"
    define(crontab_crd(group))
    cluster.ok_json(cluster.post(f"/apis/{group}/v1/namespaces/{ns}/crontabs", cron(group, ns, "p")), 201)
    # Custom kinds have no patch strategy: kubectl's default strategic merge patch is refused with 415.
    refused = cluster.kubectl("patch", "-n", ns, f"crontabs.{group}", "p", "-p", '{"spec":{"image":"x"}}', check=False)
    assert refused.returncode != 0
    assert "the body of the request was in an unknown format - accepted media types include: " \
           "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" in refused.stderr
    cluster.kubectl("patch", "-n", ns, f"crontabs.{group}", "p", "--type=merge", "-p", '{"spec":{"image":"merged"}}')
    cluster.kubectl("patch", "-n", ns, f"crontabs.{group}", "p", "--type=json",
                    "-p", '[{"op":"replace","path":"/spec/replicas","value":7}]')
    got = cluster.ok_json(cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/p"), 200)
    assert got["spec"]["image"] == "merged" and got["spec"]["replicas"] == 7
    # Server-side apply takes ownership of the fields it sets.
    applied = cron(group, ns, "p", replicas=8)
    del applied["spec"]["image"]
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", "-", input=json.dumps(applied))
    got = cluster.ok_json(cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/p"), 200)
    assert got["spec"]["replicas"] == 8
    assert any(m["manager"] == "kubectl" and m["operation"] == "Apply" for m in got["metadata"]["managedFields"])


def test_watch_of_custom_objects(cluster, ns, suffix, define):
    group = f"watch{suffix}.example.com"
    define(crontab_crd(group))
    base = f"/apis/{group}/v1/namespaces/{ns}/crontabs"
    rv = cluster.ok_json(cluster.get(base), 200)["metadata"]["resourceVersion"]
    seen: list[tuple[str, str]] = []

    def follow():
        for event in cluster.watch_lines(base, {"resourceVersion": rv, "timeoutSeconds": "10"}):
            seen.append((event["type"], event["object"]["metadata"]["name"]))
            if event["type"] == "DELETED":
                return

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    time.sleep(0.3)
    created = cluster.ok_json(cluster.post(base, cron(group, ns, "w")), 201)
    created["spec"]["replicas"] = 5
    cluster.ok_json(cluster.put(f"{base}/w", created), 200)
    cluster.ok_json(cluster.delete(f"{base}/w"), 200)
    t.join(timeout=10)
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_conflicting_names_are_not_accepted(cluster, suffix, define):
    group = f"names{suffix}.example.com"
    define(crontab_crd(group))
    clash = crontab_crd(group, plural="crontabs2", kind="CronTab2", short="ct")
    clash["metadata"]["name"] = f"crontabs2.{group}"
    define(clash, wait=False)

    def names_condition():
        got = cluster.ok_json(cluster.get(f"{CRD_PATH}/crontabs2.{group}"), 200)
        return condition(got, "NamesAccepted")

    wait_until("NamesAccepted", lambda: names_condition() is not None, timeout=10)
    names = names_condition()
    assert names["status"] == "False" and names["reason"] == "ShortNamesConflict"
    assert names["message"] == '"ct" is already in use'
    got = cluster.ok_json(cluster.get(f"{CRD_PATH}/crontabs2.{group}"), 200)
    assert condition(got, "Established")["status"] == "False"
    served = [r["name"] for r in cluster.ok_json(cluster.get(f"/apis/{group}/v1"), 200)["resources"]]
    assert "crontabs2" not in served and "crontabs" in served


def test_deleting_a_definition_deletes_its_objects_first(cluster, ns, suffix):
    group = f"cleanup{suffix}.example.com"
    cluster.ok_json(cluster.post(CRD_PATH, crontab_crd(group)), 201)
    base = f"/apis/{group}/v1/namespaces/{ns}/crontabs"
    wait_until("served", lambda: cluster.get(base).status_code == 200, timeout=10, interval=0.05)
    cluster.ok_json(cluster.post(base, cron(group, ns, "plain")), 201)
    cluster.ok_json(cluster.post(base, cron(group, ns, "held", finalizers=["example.com/hold"])), 201)
    cluster.ok_json(cluster.delete(f"{CRD_PATH}/crontabs.{group}"), 200)

    def terminating():
        got = cluster.get(f"{CRD_PATH}/crontabs.{group}").json()
        c = condition(got, "Terminating")
        return got if c and c["status"] == "True" else None

    crd = wait_until("Terminating condition", terminating, timeout=10)
    assert "customresourcecleanup.apiextensions.k8s.io" in crd["metadata"]["finalizers"]
    assert condition(crd, "Terminating")["reason"] == "InstanceDeletionInProgress"
    wait_until("the plain object deleted", lambda: cluster.get(f"{base}/plain").status_code == 404, timeout=10)
    held = cluster.ok_json(cluster.get(f"{base}/held"), 200)
    assert held["metadata"].get("deletionTimestamp"), "the held object is being deleted"
    # While terminating, reads and deletes are served and creates refused.
    refused = cluster.post(base, cron(group, ns, "late"))
    assert refused.status_code == 405, refused.text
    assert refused.json()["message"] == "create not allowed while custom resource definition is terminating"
    held["metadata"]["finalizers"] = []
    cluster.ok_json(cluster.put(f"{base}/held", held), 200)
    wait_until("the definition gone", lambda: cluster.get(f"{CRD_PATH}/crontabs.{group}").status_code == 404,
               timeout=15)
    wait_until("the resource unserved", lambda: cluster.get(base).status_code == 404, timeout=5)


def test_kubectl_explain_and_openapi_v3_carry_the_schema(cluster, suffix, define):
    group = f"explain{suffix}.example.com"
    define(crontab_crd(group))
    index = cluster.ok_json(cluster.get("/openapi/v3"), 200)["paths"]
    assert f"apis/{group}/v1" in index
    url = index[f"apis/{group}/v1"]["serverRelativeURL"]
    doc = cluster.ok_json(cluster.get(url), 200)
    schema = doc["components"]["schemas"][f"com.example.{group.split('.')[0]}.v1.CronTab"]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": group, "version": "v1", "kind": "CronTab"}]
    assert set(schema["properties"]) >= {"apiVersion", "kind", "metadata", "spec", "status"}
    post = doc["paths"][f"/apis/{group}/v1/namespaces/{{namespace}}/crontabs"]["post"]
    assert "fieldValidation" in [p["name"] for p in post["parameters"]]
    out = cluster.kubectl("explain", "crontabs.spec", f"--api-version={group}/v1").stdout
    assert "KIND:       CronTab" in out and "cronSpec\t<string>" in out and "replicas\t<integer>" in out


def test_versions_convert_on_read_and_deprecated_versions_warn(cluster, ns, suffix, define):
    group = f"versions{suffix}.example.com"
    body = crontab_crd(group)
    v1 = body["spec"]["versions"][0]
    beta = copy.deepcopy(v1)
    beta.update({"name": "v1beta1", "storage": False, "deprecated": True})
    body["spec"]["versions"] = [beta, v1]
    define(body)
    groups = cluster.ok_json(cluster.get(f"/apis/{group}"), 200)
    assert [v["version"] for v in groups["versions"]] == ["v1", "v1beta1"]
    assert groups["preferredVersion"]["version"] == "v1"
    made = cluster.post(f"/apis/{group}/v1beta1/namespaces/{ns}/crontabs", cron(group, ns, "old", version="v1beta1"))
    assert made.status_code == 201, made.text
    assert made.json()["apiVersion"] == f"{group}/v1beta1"
    assert f'{group}/v1beta1 CronTab is deprecated' in made.headers.get("Warning", "")
    as_v1 = cluster.ok_json(cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/old"), 200)
    assert as_v1["apiVersion"] == f"{group}/v1" and as_v1["spec"]["replicas"] == 2
    listed = cluster.ok_json(cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs"), 200)
    assert [i["apiVersion"] for i in listed["items"]] == [f"{group}/v1"]
    as_v1["spec"]["replicas"] = 6
    cluster.ok_json(cluster.put(f"/apis/{group}/v1/namespaces/{ns}/crontabs/old", as_v1), 200)
    again = cluster.ok_json(cluster.get(f"/apis/{group}/v1beta1/namespaces/{ns}/crontabs/old"), 200)
    assert again["apiVersion"] == f"{group}/v1beta1" and again["spec"]["replicas"] == 6
    out = cluster.kubectl("get", f"crontabs.v1beta1.{group}", "-n", ns)
    assert "is deprecated" in out.stderr and "old" in out.stdout


def test_cluster_scoped_definitions(cluster, suffix, define):
    group = f"cluster{suffix}.example.com"
    define(crontab_crd(group, scope="Cluster"))
    body = cron(group, "", "global")
    del body["metadata"]["namespace"]
    created = cluster.ok_json(cluster.post(f"/apis/{group}/v1/crontabs", body), 201)
    assert "namespace" not in created["metadata"]
    assert cluster.get(f"/apis/{group}/v1/namespaces/default/crontabs").status_code == 404
    out = cluster.kubectl("get", f"crontabs.{group}").stdout
    assert "global" in out


def test_the_python_client_drives_custom_objects(cluster, ns, suffix, define):
    from kubernetes import client

    group = f"python{suffix}.example.com"
    define(crontab_crd(group))
    api = client.CustomObjectsApi(cluster.api_client)
    api.create_namespaced_custom_object(group, "v1", ns, "crontabs", cron(group, ns, "py", replicas=1))
    api.patch_namespaced_custom_object(group, "v1", ns, "crontabs", "py", {"spec": {"replicas": 3}})
    got = api.get_namespaced_custom_object(group, "v1", ns, "crontabs", "py")
    assert got["spec"]["replicas"] == 3
    api.patch_namespaced_custom_object_scale(group, "v1", ns, "crontabs", "py", {"spec": {"replicas": 5}})
    assert api.get_namespaced_custom_object_scale(group, "v1", ns, "crontabs", "py")["spec"]["replicas"] == 5
    listed = api.list_namespaced_custom_object(group, "v1", ns, "crontabs")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["py"]
    api.delete_namespaced_custom_object(group, "v1", ns, "crontabs", "py")
    assert api.list_namespaced_custom_object(group, "v1", ns, "crontabs")["items"] == []


def test_deleting_a_namespace_deletes_its_custom_objects(cluster, suffix, define):
    group = f"nsdel{suffix}.example.com"
    define(crontab_crd(group))
    ns = f"crd-ns-{suffix}"
    cluster.create_namespace(ns, wait_for_defaults=False)
    cluster.ok_json(cluster.post(f"/apis/{group}/v1/namespaces/{ns}/crontabs", cron(group, ns, "x")), 201)
    cluster.delete_namespace(ns)
    wait_until("the namespace gone", lambda: cluster.get(f"/api/v1/namespaces/{ns}").status_code == 404, timeout=60)
    assert cluster.ok_json(cluster.get(f"/apis/{group}/v1/crontabs"), 200)["items"] == []


def test_an_autoscaler_scales_a_custom_resource_through_its_scale_subresource(server_factory, suffix):
    # A server of its own: the shared one runs without the autoscaler controller.
    c = server_factory.client(server_factory.new())
    group = f"hpa{suffix}.example.com"
    # A plural no rule derives from the kind: the autoscaler must ask discovery, as upstream's REST mapper does.
    body = crontab_crd(group, plural="schedules", kind="CronTab")
    c.ok_json(c.post(CRD_PATH, body), 201)
    base = f"/apis/{group}/v1/namespaces/default/schedules"
    wait_until("served", lambda: c.get(base).status_code == 200, timeout=10, interval=0.05)
    c.ok_json(c.post(base, cron(group, "default", "web", replicas=1)), 201)
    c.ok_json(c.post("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": f"{group}/v1", "kind": "CronTab", "name": "web"},
                 "minReplicas": 3, "maxReplicas": 5,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 50}}}]},
    }), 201)
    wait_until("the autoscaler raising the object to its minimum",
               lambda: c.get(f"{base}/web").json()["spec"]["replicas"] == 3, timeout=30)

    def able_to_scale():
        hpa = c.ok_json(c.get("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web"), 200)
        return next((x for x in hpa.get("status", {}).get("conditions", []) if x["type"] == "AbleToScale"), None)

    able = wait_until("the autoscaler's AbleToScale condition", able_to_scale, timeout=30)
    assert able["status"] == "True" and able["message"] == "the HPA controller was able to update the target scale to 3", able


def test_selectable_fields_filter_lists(cluster, ns, suffix, define):
    group = f"fields{suffix}.example.com"
    body = crontab_crd(group)
    body["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".spec.image"}]
    define(body)
    base = f"/apis/{group}/v1/namespaces/{ns}/crontabs"
    cluster.ok_json(cluster.post(base, cron(group, ns, "a")), 201)
    other = cron(group, ns, "b")
    other["spec"]["image"] = "other"
    cluster.ok_json(cluster.post(base, other), 201)
    listed = cluster.ok_json(cluster.get(base, params={"fieldSelector": "spec.image=other"}), 200)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["b"]
    refused = cluster.get(base, params={"fieldSelector": "spec.cronSpec=x"})
    assert refused.status_code == 400 and "field label not supported: spec.cronSpec" in refused.json()["message"]


def test_custom_objects_outlive_kill_9_and_are_served_on_the_first_request(server_factory, suffix):
    p = server_factory.new()
    c = server_factory.client(p)
    group = f"restart{suffix}.example.com"
    c.ok_json(c.post(CRD_PATH, crontab_crd(group)), 201)
    base = f"/apis/{group}/v1/namespaces/default/crontabs"
    wait_until("served", lambda: c.get(base).status_code == 200, timeout=10, interval=0.05)
    c.ok_json(c.post(base, cron(group, "default", "kept", replicas=4)), 201)
    p.kill9()
    p.start()
    got = c.get(f"{base}/kept")
    assert got.status_code == 200, got.text
    assert got.json()["spec"]["replicas"] == 4


def schema_crd(group: str) -> dict:
    body = crontab_crd(group)
    spec_schema = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec_schema["properties"]["replicas"].update({"minimum": 1, "maximum": 10, "default": 1})
    spec_schema["properties"]["cronSpec"]["pattern"] = r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"
    spec_schema["properties"]["mode"] = {"type": "string", "enum": ["Fast", "Slow"], "default": "Slow"}
    spec_schema["required"] = ["cronSpec"]
    return body


def test_the_schema_validates_prunes_and_defaults_custom_objects(cluster, ns, suffix, define):
    group = f"schema{suffix}.example.com"
    define(schema_crd(group))
    base = f"/apis/{group}/v1/namespaces/{ns}/crontabs"
    bad = cron(group, ns, "bad")
    bad["spec"]["replicas"] = "three"
    r = cluster.post(base, bad)
    assert r.status_code == 422, r.text
    status = r.json()
    assert status["reason"] == "Invalid" and status["details"]["kind"] == "CronTab"
    assert 'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"' \
        in status["message"]
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.replicas"]
    too_many = cron(group, ns, "many", replicas=11)
    r = cluster.post(base, too_many)
    assert r.status_code == 422 and "spec.replicas in body should be less than or equal to 10" in r.text, r.text
    missing = cron(group, ns, "missing")
    del missing["spec"]["cronSpec"]
    r = cluster.post(base, missing)
    assert r.status_code == 422 and 'spec.cronSpec: Required value' in r.text, r.text
    assert cluster.get(f"{base}/bad").status_code == 404, "nothing invalid is stored"
    # Unknown fields are pruned (and reported: kubectl asks for strict field validation).
    extra = cron(group, ns, "extra")
    extra["spec"]["colour"] = "blue"
    refused = cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(extra), check=False)
    assert refused.returncode != 0 and 'strict decoding error: unknown field "spec.colour"' in refused.stderr
    made = cluster.ok_json(cluster.post(base, extra), 201)
    assert "colour" not in made["spec"]
    # Defaults are filled in.
    plain = cron(group, ns, "plain")
    del plain["spec"]["replicas"]
    made = cluster.ok_json(cluster.post(base, plain), 201)
    assert made["spec"]["replicas"] == 1 and made["spec"]["mode"] == "Slow"


def test_an_invalid_definition_is_refused_with_the_field(cluster, suffix):
    group = f"invalid{suffix}.example.com"
    body = crontab_crd(group)
    body["spec"]["versions"][0]["storage"] = False
    r = cluster.post(CRD_PATH, body)
    assert r.status_code == 422, r.text
    assert r.json()["details"]["kind"] == "CustomResourceDefinition"
    assert "spec.versions: Invalid value:" in r.text and "must have exactly one version marked as storage version" in r.text
    unstructural = crontab_crd(group)
    del unstructural["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["image"]["type"]
    r = cluster.post(CRD_PATH, unstructural)
    assert r.status_code == 422, r.text
    # As upstream, the schema of a single-version definition is reported under spec.validation.
    assert "spec.validation.openAPIV3Schema.properties[spec].properties[image].type: Required value: " \
           "must not be empty for specified object fields" in r.text
    assert cluster.get(f"{CRD_PATH}/crontabs.{group}").status_code == 404


def test_cel_rules_validate_custom_objects_and_bad_rules_refuse_the_definition(cluster, ns, suffix, define):
    group = f"cel{suffix}.example.com"
    body = crontab_crd(group)
    spec_schema = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec_schema["x-kubernetes-validations"] = [
        {"rule": "self.replicas <= 5 || self.image.startsWith('big-')",
         "message": "more than 5 replicas need a big- image"},
        {"rule": "self.cronSpec.size() > 0", "messageExpression": "'cronSpec of ' + string(self.replicas) + ' is empty'"},
    ]
    spec_schema["properties"]["replicas"]["x-kubernetes-validations"] = [
        {"rule": "self >= oldSelf", "message": "replicas may not shrink", "reason": "FieldValueForbidden"}]
    define(body)
    base = f"/apis/{group}/v1/namespaces/{ns}/crontabs"
    r = cluster.post(base, cron(group, ns, "many", replicas=8))
    assert r.status_code == 422, r.text
    assert r.json()["details"]["causes"][0] == {"reason": "FieldValueInvalid", "field": "spec",
                                                  "message": "Invalid value: \"object\": more than 5 replicas need a big- image"}
    empty = cron(group, ns, "empty")
    empty["spec"]["cronSpec"] = ""
    r = cluster.post(base, empty)
    assert r.status_code == 422 and "cronSpec of 2 is empty" in r.text, r.text
    ok = cluster.ok_json(cluster.post(base, cron(group, ns, "ok", replicas=3)), 201)
    ok["spec"]["replicas"] = 2
    r = cluster.put(f"{base}/ok", ok)
    assert r.status_code == 422 and "spec.replicas: Forbidden: replicas may not shrink" in r.text, r.text
    refused = cluster.kubectl("apply", "-n", ns, "-f", "-", check=False,
                              input=json.dumps(cron(group, ns, "kubectl", replicas=9)))
    assert refused.returncode != 0 and "more than 5 replicas need a big- image" in refused.stderr
    # A rule that does not compile refuses the definition, naming the rule.
    broken = crontab_crd(f"celbad{suffix}.example.com")
    broken["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["x-kubernetes-validations"] = [
        {"rule": "self.nosuchfield > 1"}]
    r = cluster.post(CRD_PATH, broken)
    assert r.status_code == 422, r.text
    assert "x-kubernetes-validations[0].rule" in r.text and "compilation failed" in r.text, r.text


CONVERTER = r'''
import json, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = review["request"]
        out = []
        for o in req["objects"]:
            o = dict(o)
            spec = dict(o.get("spec") or {})
            if req["desiredAPIVersion"].endswith("/v2"):
                spec["schedule"] = spec.pop("cronSpec", "")
            else:
                spec["cronSpec"] = spec.pop("schedule", "")
            o["spec"] = spec
            o["apiVersion"] = req["desiredAPIVersion"]
            out.append(o)
        body = json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview", "response": {
            "uid": req["uid"], "convertedObjects": out, "result": {"status": "Success"}}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
'''


def test_a_conversion_webhook_converts_between_versions(cluster, ns, suffix, define, tmp_path):
    import base64
    import subprocess
    import sys

    from test_admission_webhooks import make_certificates

    cert, key, ca = make_certificates(tmp_path)
    script = tmp_path / "converter.py"
    script.write_text(CONVERTER)
    proc = subprocess.Popen([sys.executable, str(script), str(cert), str(key)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        group = f"convert{suffix}.example.com"
        body = crontab_crd(group)
        v1 = body["spec"]["versions"][0]
        v1["additionalPrinterColumns"] = []
        v1["subresources"] = {}
        v2 = copy.deepcopy(v1)
        v2["name"] = "v2"
        v2["storage"] = False
        props = v2["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        props["schedule"] = props.pop("cronSpec")
        body["spec"]["versions"] = [v1, v2]
        body["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {
            "conversionReviewVersions": ["v1"],
            "clientConfig": {"url": f"https://127.0.0.1:{port}/convert", "caBundle": base64.b64encode(ca).decode()}}}
        define(body)
        cluster.ok_json(cluster.post(f"/apis/{group}/v1/namespaces/{ns}/crontabs", cron(group, ns, "c")), 201)
        as_v2 = cluster.ok_json(cluster.get(f"/apis/{group}/v2/namespaces/{ns}/crontabs/c"), 200)
        assert as_v2["apiVersion"] == f"{group}/v2"
        assert as_v2["spec"]["schedule"] == "* * * * */5" and "cronSpec" not in as_v2["spec"]
        listed = cluster.ok_json(cluster.get(f"/apis/{group}/v2/namespaces/{ns}/crontabs"), 200)
        assert listed["items"][0]["spec"]["schedule"] == "* * * * */5"
        out = json.loads(cluster.kubectl("get", f"crontabs.v2.{group}", "c", "-n", ns, "-o", "json").stdout)
        assert out["spec"]["schedule"] == "* * * * */5"
        # A v2 update is read back at v1 in v1's shape.
        as_v2["spec"]["schedule"] = "0 * * * *"
        cluster.ok_json(cluster.put(f"/apis/{group}/v2/namespaces/{ns}/crontabs/c", as_v2), 200)
        as_v1 = cluster.ok_json(cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/c"), 200)
        assert as_v1["spec"]["cronSpec"] == "0 * * * *"
    finally:
        proc.kill()
        proc.wait()
    # With the webhook gone, reading at a version other than the storage one (v1: the v2 update was
    # converted to v1 before it was stored) fails as upstream words it; v1 reads need no webhook.
    r = cluster.get(f"/apis/{group}/v2/namespaces/{ns}/crontabs/c")
    assert r.status_code == 500 and f"conversion webhook for {group}/v1, Kind=CronTab failed" in r.text, r.text
    assert cluster.ok_json(cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/c"), 200)["spec"]["cronSpec"] == "0 * * * *"


def test_server_side_apply_follows_the_schemas_list_types(cluster, ns, suffix, define):
    group = f"ssa{suffix}.example.com"
    body = crontab_crd(group)
    spec_props = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    spec_props["ports"] = {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                           "items": {"type": "object", "required": ["name"], "properties": {
                               "name": {"type": "string"}, "port": {"type": "integer"}}}}
    spec_props["tags"] = {"type": "array", "items": {"type": "string"}}
    define(body)
    path = f"/apis/{group}/v1/namespaces/{ns}/crontabs/svc"

    def apply(manager: str, spec: dict, force: bool = False):
        obj = {"apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "svc"}, "spec": spec}
        params = {"fieldManager": manager}
        if force:
            params["force"] = "true"
        return cluster.request("PATCH", path, data=json.dumps(obj), params=params,
                               headers={"Content-Type": "application/apply-patch+yaml"})

    assert apply("a", {"ports": [{"name": "http", "port": 80}], "tags": ["x"]}).status_code == 201
    r = apply("b", {"ports": [{"name": "https", "port": 443}]})
    assert r.status_code == 200, r.text
    # A list map merges the items of both managers by key.
    assert sorted(p["name"] for p in r.json()["spec"]["ports"]) == ["http", "https"]
    # A list without a type is atomic: another manager's list conflicts as a whole.
    conflict = apply("b", {"tags": ["y"]})
    assert conflict.status_code == 409, conflict.text
    assert 'conflict with "a"' in conflict.json()["message"] and ".spec.tags" in conflict.json()["message"]
    forced = apply("b", {"ports": [{"name": "https", "port": 443}], "tags": ["y"]}, force=True)
    assert forced.status_code == 200 and forced.json()["spec"]["tags"] == ["y"], forced.text


def test_openapi_v2_carries_custom_resources_within_a_second(cluster, ns, suffix, define):
    group = f"swagger{suffix}.example.com"
    body = crontab_crd(group)
    spec_schema = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    # v3-only constructs upstream leaves out of v2: a nullable field, a junctor.
    spec_schema["properties"]["note"] = {"type": "string", "nullable": True}
    spec_schema["anyOf"] = [{"required": ["cronSpec"]}, {"required": ["image"]}]
    name = f"com.example.{group.split('.')[0]}.v1.CronTab"
    start = time.monotonic()
    cluster.ok_json(cluster.post(CRD_PATH, body), 201)
    try:
        wait_until("the schema in /openapi/v2", lambda: name in cluster.get("/openapi/v2").json()["definitions"],
                   timeout=5, interval=0.05)
        elapsed = time.monotonic() - start
        assert elapsed < 1.0, f"in /openapi/v2 after {elapsed:.2f}s"
        doc = cluster.ok_json(cluster.get("/openapi/v2"), 200)
        assert doc["swagger"] == "2.0" and "io.k8s.api.apps.v1.Deployment" in doc["definitions"]
        schema = doc["definitions"][name]
        assert schema["x-kubernetes-group-version-kind"] == [{"group": group, "version": "v1", "kind": "CronTab"}]
        assert schema["properties"]["metadata"] == {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
        spec = schema["properties"]["spec"]
        assert spec["properties"]["cronSpec"] == {"type": "string"} and spec["properties"]["note"] == {}
        assert "anyOf" not in spec
        assert doc["definitions"][name + "List"]["properties"]["items"]["items"] == {"$ref": f"#/definitions/{name}"}
        post = doc["paths"][f"/apis/{group}/v1/namespaces/{{namespace}}/crontabs"]["post"]
        assert post["parameters"][0] == {"in": "body", "name": "body", "required": True,
                                         "schema": {"$ref": f"#/definitions/{name}"}}
        assert post["x-kubernetes-group-version-kind"] == {"group": group, "version": "v1", "kind": "CronTab"}
        assert f"/apis/{group}/v1/namespaces/{{namespace}}/crontabs/{{name}}/scale" in doc["paths"]
        # kubectl validates a `kind: List` file against /openapi/v2 (protocol buffers): the custom
        # object in it is known, and a field the schema lacks is refused.
        items = {"apiVersion": "v1", "kind": "List", "items": [cron(group, ns, "listed")]}
        cluster.kubectl("create", "--validate=true", "-n", ns, "-f", "-", input=json.dumps(items))
        assert cluster.get(f"/apis/{group}/v1/namespaces/{ns}/crontabs/listed").status_code == 200
        bad = cron(group, ns, "bad")
        bad["spec"]["nope"] = 1
        out = cluster.kubectl("create", "--validate=true", "-n", ns, "-f", "-", check=False,
                              input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [bad]}))
        assert out.returncode != 0 and "nope" in out.stderr, out.stderr
    finally:
        cluster.delete(f"{CRD_PATH}/crontabs.{group}")
    wait_until("the schema out of /openapi/v2", lambda: name not in cluster.get("/openapi/v2").json()["definitions"],
               timeout=30, interval=0.1)


def stored_object(cluster, group: str, plural: str, ns: str, name: str) -> dict:
    """The object as the datastore holds it (the shared server keeps state.db in its data dir)."""
    import sqlite3

    db = sqlite3.connect(f"file:{cluster.process.data_dir / 'state.db'}?mode=ro", uri=True, timeout=10)
    try:
        key = f"/registry/{group}/{plural}/{ns}/{name}".encode()
        row = db.execute("SELECT value FROM current WHERE key = ?", (key,)).fetchone()
    finally:
        db.close()
    assert row is not None, f"{key!r} not in the datastore"
    return json.loads(row[0])


def test_objects_are_stored_at_the_storage_version(cluster, ns, suffix, define):
    group = f"storage{suffix}.example.com"
    body = crontab_crd(group)
    v1 = body["spec"]["versions"][0]
    v1["storage"] = False
    v2 = copy.deepcopy(v1)
    v2.update({"name": "v2", "storage": True})
    body["spec"]["versions"] = [v1, v2]
    define(body)
    base = f"/apis/{group}/{{}}/namespaces/{ns}/crontabs"
    made = cluster.ok_json(cluster.post(base.format("v1"), cron(group, ns, "a", version="v1")), 201)
    assert made["apiVersion"] == f"{group}/v1"
    assert stored_object(cluster, group, "crontabs", ns, "a")["apiVersion"] == f"{group}/v2"
    got = cluster.ok_json(cluster.get(base.format("v1") + "/a"), 200)
    assert got["apiVersion"] == f"{group}/v1" and got["spec"]["replicas"] == 2
    listed = cluster.ok_json(cluster.get(base.format("v1")), 200)
    assert [i["apiVersion"] for i in listed["items"]] == [f"{group}/v1"]
    got["spec"]["replicas"] = 4
    updated = cluster.ok_json(cluster.put(base.format("v1") + "/a", got), 200)
    assert updated["apiVersion"] == f"{group}/v1" and updated["spec"]["replicas"] == 4
    assert stored_object(cluster, group, "crontabs", ns, "a")["apiVersion"] == f"{group}/v2"
    crd = cluster.ok_json(cluster.get(f"{CRD_PATH}/crontabs.{group}"), 200)
    assert crd["status"]["storedVersions"] == ["v2"]
    # Moving storage to v1 adds it to storedVersions; writes from then on are stored at v1.
    crd["spec"]["versions"][0]["storage"] = True
    crd["spec"]["versions"][1]["storage"] = False
    cluster.ok_json(cluster.put(f"{CRD_PATH}/crontabs.{group}", crd), 200)
    wait_until("storedVersions has both", lambda: cluster.get(f"{CRD_PATH}/crontabs.{group}").json()
               .get("status", {}).get("storedVersions") == ["v2", "v1"], timeout=10, interval=0.05)
    # The server takes the new storage version once its CRD watch brings the change (as upstream
    # rebuilds its handler): new objects are stored at v1 from then on.
    made_b: list[str] = []

    def stored_at_v1() -> bool:
        name = f"b{len(made_b)}"
        cluster.ok_json(cluster.post(base.format("v2"), cron(group, ns, name, version="v2")), 201)
        made_b.append(name)
        return stored_object(cluster, group, "crontabs", ns, name)["apiVersion"] == f"{group}/v1"

    wait_until("writes stored at v1", stored_at_v1, timeout=10, interval=0.05)
    for name in made_b[:-1]:
        cluster.ok_json(cluster.delete(base.format("v2") + f"/{name}"), 200)
    assert stored_object(cluster, group, "crontabs", ns, "a")["apiVersion"] == f"{group}/v2"
    patched = cluster.request("PATCH", base.format("v2") + "/a", data=json.dumps({"spec": {"replicas": 5}}),
                              headers={"Content-Type": "application/merge-patch+json"})
    assert patched.status_code == 200 and patched.json()["apiVersion"] == f"{group}/v2", patched.text
    assert stored_object(cluster, group, "crontabs", ns, "a")["apiVersion"] == f"{group}/v1"
    listed = cluster.ok_json(cluster.get(base.format("v2")), 200)
    assert sorted((i["metadata"]["name"], i["apiVersion"]) for i in listed["items"]) == [
        ("a", f"{group}/v2"), (made_b[-1], f"{group}/v2")]
    deleted = cluster.ok_json(cluster.delete(base.format("v2") + f"/{made_b[-1]}"), 200)
    assert deleted["kind"] != "CronTab" or deleted["apiVersion"] == f"{group}/v2", deleted
    gone = cluster.ok_json(cluster.delete(base.format("v1")), 200)
    assert [(i["metadata"]["name"], i["apiVersion"]) for i in gone["items"]] == [("a", f"{group}/v1")]
