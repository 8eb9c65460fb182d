"""kubectl apply (client-side and --server-side), kubectl diff, --prune, managedFields, and server-side
apply through the official Python client."""

from __future__ import annotations

import json

import pytest
import yaml

pytestmark = pytest.mark.kubectl


def _cm(ns, name, data, labels=None):
    meta = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _deploy(ns, name, replicas=None, image="registry.example/app:1", labels=None):
    sel = {"app": name}
    spec = {"selector": {"matchLabels": sel},
            "template": {"metadata": {"labels": sel},
                         "spec": {"containers": [{"name": "app", "image": image}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    meta = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def _yaml(*objs) -> str:
    return yaml.safe_dump_all(list(objs))


def _get(cluster, ns, kind, name) -> dict:
    return json.loads(cluster.kubectl("get", kind, name, "-n", ns, "-o", "json", "--show-managed-fields").stdout)


def _managers(obj) -> list[tuple]:
    return [(e["manager"], e["operation"], e["apiVersion"], e.get("subresource"))
            for e in obj["metadata"].get("managedFields", [])]


def _fields(obj, manager, operation) -> dict:
    for e in obj["metadata"]["managedFields"]:
        if e["manager"] == manager and e["operation"] == operation:
            assert e["fieldsType"] == "FieldsV1" and isinstance(e["time"], str) and e["time"].endswith("Z")
            return e["fieldsV1"]
    raise AssertionError(f"no {manager}/{operation} entry in {obj['metadata'].get('managedFields')}")


# ---- client-side apply -------------------------------------------------------------------------

def test_client_side_apply_create_update_remove_unchanged(cluster, ns):
    cm = _cm(ns, "web", {"a": "1", "b": "2"}, labels={"app": "web", "tier": "front"})
    cp = cluster.kubectl("apply", "-f", "-", input=_yaml(cm))
    assert cp.stdout.strip() == "configmap/web created"
    first = _get(cluster, ns, "configmap", "web")
    assert _managers(first) == [("kubectl-client-side-apply", "Update", "v1", None)]
    assert _fields(first, "kubectl-client-side-apply", "Update") == {
        "f:data": {".": {}, "f:a": {}, "f:b": {}},
        "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                       "f:labels": {".": {}, "f:app": {}, "f:tier": {}}},
    }
    last = json.loads(first["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["data"] == {"a": "1", "b": "2"}

    cp = cluster.kubectl("apply", "-f", "-", input=_yaml(cm))
    assert cp.stdout.strip() == "configmap/web unchanged"
    again = _get(cluster, ns, "configmap", "web")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == first["metadata"]["managedFields"]

    # Dropping a key and a label from the manifest removes them from the object.
    cm2 = _cm(ns, "web", {"a": "10"}, labels={"app": "web"})
    cp = cluster.kubectl("apply", "-f", "-", input=_yaml(cm2))
    assert cp.stdout.strip() == "configmap/web configured"
    after = _get(cluster, ns, "configmap", "web")
    assert after["data"] == {"a": "10"}
    assert after["metadata"]["labels"] == {"app": "web"}
    assert int(after["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert _fields(after, "kubectl-client-side-apply", "Update") == {
        "f:data": {".": {}, "f:a": {}},
        "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                       "f:labels": {".": {}, "f:app": {}}},
    }


def test_client_side_apply_deployment_list_removal(cluster, ns):
    d = _deploy(ns, "shop", replicas=2)
    d["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "registry.example/side:1",
                                                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]})
    assert cluster.kubectl("apply", "-f", "-", input=_yaml(d)).stdout.strip() == "deployment.apps/shop created"
    d["spec"]["template"]["spec"]["containers"][1]["env"] = [{"name": "A", "value": "1"}]
    assert cluster.kubectl("apply", "-f", "-", input=_yaml(d)).stdout.strip() == "deployment.apps/shop configured"
    got = _get(cluster, ns, "deployment", "shop")
    assert got["spec"]["template"]["spec"]["containers"][1]["env"] == [{"name": "A", "value": "1"}]
    del d["spec"]["template"]["spec"]["containers"][1]
    assert cluster.kubectl("apply", "-f", "-", input=_yaml(d)).stdout.strip() == "deployment.apps/shop configured"
    got = _get(cluster, ns, "deployment", "shop")
    assert [c["name"] for c in got["spec"]["template"]["spec"]["containers"]] == ["app"]
    rv = got["metadata"]["resourceVersion"]
    assert cluster.kubectl("apply", "-f", "-", input=_yaml(d)).stdout.strip() == "deployment.apps/shop unchanged"
    assert _get(cluster, ns, "deployment", "shop")["metadata"]["resourceVersion"] == rv


def test_client_side_apply_prune(cluster, ns):
    objs = [_cm(ns, "one", {"k": "1"}, labels={"app": "x"}), _cm(ns, "two", {"k": "2"}, labels={"app": "x"}),
            _deploy(ns, "three", labels={"app": "x"})]
    cluster.kubectl("apply", "-f", "-", input=_yaml(*objs))
    # An object with the label that was never applied is not pruned.
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, "manual", {"k": "m"}, labels={"app": "x"})), 201)
    cp = cluster.kubectl("apply", "--prune", "-l", "app=x", "-n", ns, "-f", "-", input=_yaml(objs[0]))
    lines = sorted(cp.stdout.strip().splitlines())
    assert lines == ["configmap/one unchanged", "configmap/two pruned", "deployment.apps/three pruned"], cp.stdout + cp.stderr
    names = cluster.kubectl("get", "configmaps,deployments", "-n", ns, "-l", "app=x", "-o", "name").stdout.split()
    assert sorted(names) == ["configmap/manual", "configmap/one"]


def test_kubectl_diff(cluster, ns):
    d = _deploy(ns, "diffy", replicas=1)
    cluster.kubectl("apply", "-f", "-", input=_yaml(d))
    cp = cluster.kubectl("diff", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode == 0 and cp.stdout == "", cp.stdout + cp.stderr
    d["spec"]["replicas"] = 4
    cp = cluster.kubectl("diff", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode == 1, cp.stderr
    changed = [line for line in cp.stdout.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---")) and "generation" not in line]
    assert changed == ["-  replicas: 1", "+  replicas: 4"], cp.stdout
    # diff is a dry run: nothing changed.
    assert _get(cluster, ns, "deployment", "diffy")["spec"]["replicas"] == 1
    # Server-side diff is a dry-run apply by "kubectl", which takes over what client-side apply set.
    cp = cluster.kubectl("diff", "--server-side", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode == 1 and "+  replicas: 4" in cp.stdout.splitlines(), cp.stdout + cp.stderr
    cp = cluster.kubectl("diff", "--server-side", "--field-manager=other", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode > 1 and "Apply failed with 1 conflict" in cp.stderr, cp.stdout + cp.stderr
    assert _get(cluster, ns, "deployment", "diffy")["spec"]["replicas"] == 1


# ---- server-side apply -----------------------------------------------------------------------

def test_server_side_apply_create_fields_and_idempotence(cluster, ns):
    d = _deploy(ns, "ssa", replicas=2)
    cp = cluster.kubectl("apply", "--server-side", "-f", "-", input=_yaml(d))
    assert cp.stdout.strip() == "deployment.apps/ssa serverside-applied"
    got = _get(cluster, ns, "deployment", "ssa")
    assert _managers(got) == [("kubectl", "Apply", "apps/v1", None)]
    assert _fields(got, "kubectl", "Apply") == {
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}}}},
            },
        },
    }
    assert "last-applied-configuration" not in json.dumps(got["metadata"].get("annotations", {}))

    cp = cluster.kubectl("apply", "--server-side", "-f", "-", input=_yaml(d))
    assert cp.stdout.strip() == "deployment.apps/ssa serverside-applied"
    again = _get(cluster, ns, "deployment", "ssa")
    assert again["metadata"]["resourceVersion"] == got["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == got["metadata"]["managedFields"]

    # Fields dropped from the applied configuration are removed.
    del d["spec"]["replicas"]
    d["spec"]["template"]["spec"]["containers"][0]["args"] = ["--serve"]
    cluster.kubectl("apply", "--server-side", "-f", "-", input=_yaml(d))
    after = _get(cluster, ns, "deployment", "ssa")
    assert after["spec"].get("replicas", 1) == 1  # removed (then defaulted to 1 where defaults are applied)
    assert after["spec"]["template"]["spec"]["containers"][0]["args"] == ["--serve"]
    spec_fields = _fields(after, "kubectl", "Apply")["f:spec"]
    assert "f:replicas" not in spec_fields
    assert spec_fields["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}'] == {
        ".": {}, "f:args": {}, "f:image": {}, "f:name": {}}


def test_server_side_apply_after_client_side_apply(cluster, ns):
    d = _deploy(ns, "clash", replicas=2)
    cluster.kubectl("apply", "-f", "-", input=_yaml(d))
    d["spec"]["replicas"] = 3
    # Another manager conflicts with what client-side apply set.
    cp = cluster.kubectl("apply", "--server-side", "--field-manager=deployer", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode == 1
    assert cp.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas\n'
        "Please review the fields above--they currently have other managers."), cp.stderr
    assert _get(cluster, ns, "deployment", "clash")["spec"]["replicas"] == 2

    # kubectl itself upgrades from client-side apply without conflicts: the fields its last-applied
    # annotation still describes are taken over.
    cp = cluster.kubectl("apply", "--server-side", "-f", "-", input=_yaml(d))
    assert cp.stdout.strip() == "deployment.apps/clash serverside-applied"
    got = _get(cluster, ns, "deployment", "clash")
    assert got["spec"]["replicas"] == 3
    # kubectl then re-applies the last-applied annotation as "kubectl-last-applied" and migrates the
    # client-side apply entry into its own (a JSON patch of managedFields).
    assert sorted(_managers(got)) == [("kubectl", "Apply", "apps/v1", None),
                                      ("kubectl-last-applied", "Apply", "apps/v1", None)]
    assert "f:replicas" in _fields(got, "kubectl", "Apply")["f:spec"]
    last = json.loads(got["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3
    assert _fields(got, "kubectl-last-applied", "Apply") == {
        "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}}

    # --force-conflicts takes the field from its owner.
    d["spec"]["replicas"] = 4
    cp = cluster.kubectl("apply", "--server-side", "--field-manager=deployer", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode == 1 and 'conflict with "kubectl": .spec.replicas' in cp.stderr, cp.stderr
    cp = cluster.kubectl("apply", "--server-side", "--field-manager=deployer", "--force-conflicts", "-f", "-", input=_yaml(d))
    assert cp.stdout.strip() == "deployment.apps/clash serverside-applied"
    got = _get(cluster, ns, "deployment", "clash")
    assert got["spec"]["replicas"] == 4
    assert "f:replicas" in _fields(got, "deployer", "Apply")["f:spec"]
    assert "f:replicas" not in _fields(got, "kubectl", "Apply")["f:spec"]


def test_server_side_apply_conflict_between_two_managers(cluster, ns):
    cm = _cm(ns, "shared", {"a": "1", "b": "1"})
    cluster.kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-", input=_yaml(cm))
    cm2 = _cm(ns, "shared", {"a": "2", "b": "2"})
    cp = cluster.kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-", input=_yaml(cm2), check=False)
    assert cp.returncode == 1
    assert cp.stderr.startswith('error: Apply failed with 2 conflicts: conflicts with "alice":\n- .data.a\n- .data.b\n'), cp.stderr
    # Applying the same values shares ownership without conflict.
    cp = cluster.kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-",
                         input=_yaml(_cm(ns, "shared", {"a": "1"})))
    got = _get(cluster, ns, "configmap", "shared")
    assert sorted(_managers(got)) == [("alice", "Apply", "v1", None), ("bob", "Apply", "v1", None)]
    assert _fields(got, "bob", "Apply") == {"f:data": {"f:a": {}}}
    # alice stops applying a: bob still owns it, so it stays; b had only alice, so it goes.
    cluster.kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-", input=_yaml(_cm(ns, "shared", {"c": "3"})))
    assert _get(cluster, ns, "configmap", "shared")["data"] == {"a": "1", "c": "3"}


def test_server_side_apply_on_object_from_kubectl_create(cluster, ns):
    cluster.kubectl("create", "deployment", "made", "-n", ns, "--image=registry.example/app:1")
    got = _get(cluster, ns, "deployment", "made")
    assert _managers(got) == [("kubectl-create", "Update", "apps/v1", None)]
    created = _fields(got, "kubectl-create", "Update")
    assert created["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']["f:image"] == {}
    assert "f:replicas" in created["f:spec"]  # defaulted on create, owned by the creator

    d = _deploy(ns, "made", image="registry.example/app:2")
    cp = cluster.kubectl("apply", "--server-side", "-f", "-", input=_yaml(d), check=False)
    assert cp.returncode == 1
    assert ('conflict with "kubectl-create" using apps/v1: .spec.template.spec.containers[name="app"].image'
            in cp.stderr), cp.stderr
    cp = cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=_yaml(d))
    got = _get(cluster, ns, "deployment", "made")
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/app:2"
    assert sorted(_managers(got)) == [("kubectl", "Apply", "apps/v1", None),
                                      ("kubectl-create", "Update", "apps/v1", None)]


def test_managed_fields_of_updates_and_status(cluster, ns):
    cluster.kubectl("create", "configmap", "cfg", "-n", ns, "--from-literal=a=1")
    cluster.kubectl("label", "configmap", "cfg", "-n", ns, "team=blue")
    got = _get(cluster, ns, "configmap", "cfg")
    assert [m[:2] for m in _managers(got)] == [("kubectl-create", "Update"), ("kubectl-label", "Update")]
    assert _fields(got, "kubectl-label", "Update") == {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}

    # A write without fieldManager is recorded under the User-Agent's product.
    r = cluster.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/cfg", data=json.dumps({"data": {"b": "2"}}),
                        headers={"Content-Type": "application/merge-patch+json", "User-Agent": "robot/1.0 (linux)"})
    body = cluster.ok_json(r, 200)
    assert ("robot", "Update", "v1", None) in _managers(body)
    assert _fields(body, "robot", "Update") == {"f:data": {"f:b": {}}}

    # Status writes are recorded with their subresource.
    d = _deploy(ns, "st", replicas=1)
    cluster.kubectl("apply", "--server-side", "-f", "-", input=_yaml(d))
    base = f"/apis/apps/v1/namespaces/{ns}/deployments/st/status"
    r = cluster.request("PATCH", base, data=json.dumps({"status": {"observedGeneration": 1}}),
                        params={"fieldManager": "ctrl"}, headers={"Content-Type": "application/merge-patch+json"})
    body = cluster.ok_json(r, 200)
    assert ("ctrl", "Update", "apps/v1", "status") in _managers(body)
    assert _fields(body, "ctrl", "Update") == {"f:status": {"f:observedGeneration": {}}}

    # Server-side apply to the status subresource owns status fields only.
    r = cluster.request("PATCH", base, params={"fieldManager": "status-applier", "force": "true"},
                        data=json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                                         "metadata": {"name": "st", "namespace": ns},
                                         "spec": {"replicas": 7}, "status": {"observedGeneration": 2, "replicas": 0}}),
                        headers={"Content-Type": "application/apply-patch+yaml"})
    body = cluster.ok_json(r, 200)
    assert body["spec"]["replicas"] == 1 and body["status"]["observedGeneration"] == 2
    assert ("status-applier", "Apply", "apps/v1", "status") in _managers(body)
    assert _fields(body, "status-applier", "Apply") == {"f:status": {"f:observedGeneration": {}, "f:replicas": {}}}
    assert ("ctrl", "Update", "apps/v1", "status") not in _managers(body)  # forced: its only field was taken

    # kubectl scale (no fieldManager: "kubectl" from its User-Agent) writes the scale subresource.
    cluster.kubectl("scale", "deployment", "st", "-n", ns, "--replicas=2")
    got = _get(cluster, ns, "deployment", "st")
    scale = [e for e in got["metadata"]["managedFields"] if e.get("subresource") == "scale"]
    assert [(e["manager"], e["operation"], e["fieldsV1"]) for e in scale] == [
        ("kubectl", "Update", {"f:spec": {"f:replicas": {}}})], got["metadata"]["managedFields"]

    # A single empty entry resets managed fields.
    r = cluster.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/cfg",
                        data=json.dumps({"metadata": {"managedFields": [{}]}}),
                        headers={"Content-Type": "application/merge-patch+json"})
    assert "managedFields" not in cluster.ok_json(r, 200)["metadata"]


def test_apply_options_validation(cluster, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps/v"
    body = json.dumps(_cm(ns, "v", {"a": "1"}))
    r = cluster.request("PATCH", path, data=body, headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 422, r.text
    st = r.json()
    assert st["reason"] == "Invalid"
    assert st["message"] == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    r = cluster.request("PATCH", path, data=body, params={"fieldManager": "m" * 129},
                        headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 422 and r.json()["details"]["causes"][0]["field"] == "fieldManager", r.text
    r = cluster.request("POST", f"/api/v1/namespaces/{ns}/configmaps", data=body, params={"fieldManager": "m" * 129},
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["message"].startswith('CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long'), r.text
    r = cluster.request("PATCH", path, data=json.dumps({"data": {"a": "2"}}), params={"force": "true"},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 422, r.text
    assert r.json()["message"] == 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'

    # Apply creates a missing object (201), YAML bodies included; applying again answers 200.
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\n  namespace: {ns}\ndata:\n  a: '1'\n"
    r = cluster.request("PATCH", path, data=manifest, params={"fieldManager": "yaml-applier"},
                        headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["data"] == {"a": "1"}
    assert _managers(created) == [("yaml-applier", "Apply", "v1", None)]
    r = cluster.request("PATCH", path, data=manifest, params={"fieldManager": "yaml-applier"},
                        headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 200 and r.json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

    # Conflicts are a 409 with one cause per field.
    r = cluster.request("PATCH", path, data=manifest.replace("'1'", "'9'"), params={"fieldManager": "other"},
                        headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 409, r.text
    assert r.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Conflict", "code": 409,
        "message": 'Apply failed with 1 conflict: conflict with "yaml-applier": .data.a',
        "details": {"causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "yaml-applier"',
                                "field": ".data.a"}]},
    }
    r = cluster.request("PATCH", path, data=json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                         "metadata": {"name": "v", "managedFields": [{"manager": "x"}]}}),
                        params={"fieldManager": "other"}, headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 400 and r.json()["message"] == "metadata.managedFields must be nil", r.text


def test_python_client_server_side_apply(cluster, ns):
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(cluster.api_client)
    body = _cm(ns, "py", {"x": "1"})
    created = core.patch_namespaced_config_map("py", ns, body, field_manager="py-one",
                                               _content_type="application/apply-patch+yaml")
    assert created.data == {"x": "1"}
    entries = created.metadata.managed_fields
    assert [(e.manager, e.operation, e.api_version) for e in entries] == [("py-one", "Apply", "v1")]
    assert entries[0].fields_v1 == {"f:data": {"f:x": {}}}

    with pytest.raises(ApiException) as info:
        core.patch_namespaced_config_map("py", ns, _cm(ns, "py", {"x": "2"}), field_manager="py-two",
                                         _content_type="application/apply-patch+yaml")
    assert info.value.status == 409
    assert json.loads(info.value.body)["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "py-one"', "field": ".data.x"}]

    forced = core.patch_namespaced_config_map("py", ns, _cm(ns, "py", {"x": "2"}), field_manager="py-two", force=True,
                                              _content_type="application/apply-patch+yaml")
    assert forced.data == {"x": "2"}
    assert [(e.manager, e.operation) for e in forced.metadata.managed_fields] == [("py-two", "Apply")]

    # An update through the client sends the entries back (times as +00:00): they are kept as stored,
    # and the write is recorded under the client's User-Agent product.
    forced.data = {"x": "2", "y": "3"}
    replaced = core.replace_namespaced_config_map("py", ns, forced)
    by_manager = {(e.manager, e.operation): e for e in replaced.metadata.managed_fields}
    assert sorted(by_manager) == [("OpenAPI-Generator", "Update"), ("py-two", "Apply")]
    assert by_manager[("OpenAPI-Generator", "Update")].fields_v1 == {"f:data": {"f:y": {}}}
    raw = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps/py"), 200)
    assert all(e["time"].endswith("Z") for e in raw["metadata"]["managedFields"])


def test_apply_of_a_kind_list_file_validates_with_openapi_v2(cluster, ns):
    """kubectl validates a `kind: List` file against /openapi/v2, which it reads only as protocol buffers."""
    listing = {"apiVersion": "v1", "kind": "List", "items": [
        _cm(ns, "listed", {"a": "b"}),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "listed", "namespace": ns},
         "spec": {"selector": {"app": "listed"}, "ports": [{"port": 80}]}},
    ]}
    out = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(listing)).stdout
    assert out.splitlines() == ["configmap/listed created", "service/listed created"], out
    bad = {"apiVersion": "v1", "kind": "List", "items": [dict(_cm(ns, "typo", {"a": "b"}), bogus=1)]}
    r = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert r.returncode == 1
    assert 'ValidationError(ConfigMap): unknown field "bogus" in io.k8s.api.core.v1.ConfigMap' in r.stderr, r.stderr
    assert cluster.get(f"/api/v1/namespaces/{ns}/configmaps/typo").status_code == 404
    # the JSON form stays the default
    r = cluster.get("/openapi/v2")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json" and r.json()["swagger"] == "2.0"
    r = cluster.get("/openapi/v2", headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert r.content[:5] == b"\x0a\x032.0"  # field 1 (swagger) = "2.0"
