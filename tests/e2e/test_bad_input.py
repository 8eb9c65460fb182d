"""Bad input gets a Kubernetes Status with upstream's code, reason and field paths; nothing is stored; never a 500."""

from __future__ import annotations

import json
import re

import pytest
import requests

from e2e_harness import status_of


def cm(ns, name, **extra):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"k": "v"}}
    body.update(extra)
    return body


def stored_names(cluster, ns) -> list[str]:
    """The ConfigMaps the test made (not the controller manager's kube-root-ca.crt, in every namespace)."""
    body = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps"), 200)
    return sorted(i["metadata"]["name"] for i in body["items"] if i["metadata"]["name"] != "kube-root-ca.crt")


def post_raw(cluster, ns, data: bytes | str, content_type="application/json", resource="configmaps", params=None):
    return cluster.request("POST", f"/api/v1/namespaces/{ns}/{resource}", data=data,
                           headers={"Content-Type": content_type}, params=params)


@pytest.mark.parametrize("body", [
    '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "broken"',
    '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "broken"}, "data": {"k": 1}}',
    "not json at all",
    '["a", "list"]',
    '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": "oops"}',
], ids=["truncated", "wrong-type-data", "garbage", "array", "metadata-string"])
def test_malformed_json_is_400(cluster, ns, body):
    r = post_raw(cluster, ns, body)
    assert r.status_code == 400, f"{r.status_code}: {r.text[:300]}"
    st = status_of(r)
    assert st["reason"] == "BadRequest", st
    assert stored_names(cluster, ns) == []


def test_malformed_yaml_is_400(cluster, ns):
    r = post_raw(cluster, ns, "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n  name: x\n", "application/yaml")
    assert r.status_code == 400, r.text
    assert status_of(r)["reason"] == "BadRequest"
    # and good YAML is accepted
    r = post_raw(cluster, ns, f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\n  namespace: {ns}\ndata:\n  a: b\n",
                 "application/yaml")
    assert r.status_code == 201, r.text
    assert stored_names(cluster, ns) == ["fromyaml"]


def test_empty_body_is_400(cluster, ns):
    r = post_raw(cluster, ns, b"")
    assert r.status_code == 400, r.text
    assert status_of(r)["reason"] == "BadRequest"


def test_unsupported_media_type_is_415(cluster, ns):
    r = post_raw(cluster, ns, json.dumps(cm(ns, "x")), "text/plain")
    assert r.status_code == 415, r.text
    assert status_of(r)["reason"] == "UnsupportedMediaType"
    assert stored_names(cluster, ns) == []


@pytest.mark.parametrize("body", [
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "wrongkind"}, "data": {}},
    {"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "wronggroup"}},
    {"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "wrongversion"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "deploy-to-cm"},
     "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
              "spec": {"containers": [{"name": "c", "image": "i"}]}}}},
    {"metadata": {"name": "nokind"}, "data": {"a": "b"}, "kind": "Nope", "apiVersion": "v1"},
], ids=["secret-to-configmaps", "apps-configmap", "v2-configmap", "deployment-to-configmaps", "unknown-kind"])
def test_wrong_kind_or_version_for_path_is_400(cluster, ns, body):
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    assert r.status_code == 400, f"{r.status_code}: {r.text[:300]}"
    assert status_of(r)["reason"] == "BadRequest"
    assert stored_names(cluster, ns) == []


def test_missing_kind_and_apiversion_are_defaulted_from_path(cluster, ns):
    """Upstream accepts a body without apiVersion/kind and takes them from the path."""
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "bare"}, "data": {"a": "b"}})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "ConfigMap" and r.json()["apiVersion"] == "v1"


@pytest.mark.parametrize("name", ["Bad_Name", "UPPER", "-leading-dash", "trailing-dash-", "a" * 254, "has space", "dot..dot"])
def test_invalid_name_is_422_with_cause(cluster, ns, name):
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", cm(ns, name))
    assert r.status_code == 422, f"{r.status_code}: {r.text[:300]}"
    st = status_of(r)
    assert st["reason"] == "Invalid", st
    assert st["details"]["kind"] == "ConfigMap" and st["details"]["name"] == name, st["details"]
    causes = st["details"]["causes"]
    assert any(c["field"] == "metadata.name" and c["reason"] == "FieldValueInvalid" for c in causes), causes
    if len(name) < 64:
        assert st["message"].startswith(f'ConfigMap "{name}" is invalid: metadata.name: Invalid value: "{name}"'), st["message"]
    assert stored_names(cluster, ns) == []


@pytest.mark.parametrize("name", ["has.dot", "a" * 64])
def test_invalid_dns_label_name_for_namespace_and_service(cluster, ns, name):
    """Namespaces and Services need a DNS label (no dots, at most 63 characters)."""
    r = cluster.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert r.status_code == 422, r.text
    assert any(c["field"] == "metadata.name" for c in status_of(r)["details"]["causes"])
    assert cluster.get(f"/api/v1/namespaces/{name}").status_code == 404
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
           "spec": {"ports": [{"port": 80}], "selector": {"a": "b"}}}
    r = cluster.post(f"/api/v1/namespaces/{ns}/services", svc)
    assert r.status_code == 422, r.text
    assert any(c["field"] == "metadata.name" for c in status_of(r)["details"]["causes"])


@pytest.mark.parametrize("labels,what", [
    ({"bad key!": "v"}, "key"),
    ({"good": "bad value!"}, "value"),
    ({"k": "v" * 64}, "value too long"),
    ({"example.com/": "v"}, "empty name part"),
    ({"-x": "v"}, "leading dash"),
])
def test_invalid_labels_are_422(cluster, ns, labels, what):
    body = cm(ns, "badlabels")
    body["metadata"]["labels"] = labels
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    assert r.status_code == 422, f"{what}: {r.status_code} {r.text[:300]}"
    st = status_of(r)
    assert st["reason"] == "Invalid"
    assert any(c["field"] == "metadata.labels" for c in st["details"]["causes"]), st["details"]["causes"]
    assert stored_names(cluster, ns) == []


def test_invalid_annotation_key_is_422(cluster, ns):
    body = cm(ns, "badann")
    body["metadata"]["annotations"] = {"not valid/key/x": "v"}
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    assert r.status_code == 422, r.text
    assert any(c["field"] == "metadata.annotations" for c in status_of(r)["details"]["causes"])


def test_invalid_spec_field_paths(cluster, ns):
    """Validation errors name the spec field path, several at once."""
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "inv", "namespace": ns},
         "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "x"}},
                  "template": {"metadata": {"labels": {"app": "other"}},
                               "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    r = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", d)
    assert r.status_code == 422, r.text
    st = status_of(r)
    fields = {c["field"] for c in st["details"]["causes"]}
    assert "spec.replicas" in fields, fields
    assert "spec.template.metadata.labels" in fields, fields
    assert st["details"]["group"] == "apps" and st["details"]["kind"] == "Deployment", st["details"]

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nocontainers", "namespace": ns}, "spec": {"containers": []}}
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod)
    assert r.status_code == 422, r.text
    st = status_of(r)
    assert any(c["field"] == "spec.containers" and c["reason"] == "FieldValueRequired" for c in st["details"]["causes"]), st

    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "badport", "namespace": ns},
           "spec": {"ports": [{"port": 70000}], "selector": {"a": "b"}}}
    r = cluster.post(f"/api/v1/namespaces/{ns}/services", svc)
    assert r.status_code == 422, r.text
    assert any(c["field"] == "spec.ports[0].port" for c in status_of(r)["details"]["causes"]), r.text
    assert cluster.get(f"/api/v1/namespaces/{ns}/services/badport").status_code == 404


def test_update_validation_immutable_fields(cluster, ns):
    base = f"/apis/apps/v1/namespaces/{ns}/deployments"
    labels = {"app": "imm"}
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "imm", "namespace": ns},
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                  "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    d = cluster.ok_json(cluster.post(base, d), 201)
    d["spec"]["selector"]["matchLabels"] = {"app": "imm", "x": "y"}
    d["spec"]["template"]["metadata"]["labels"] = {"app": "imm", "x": "y"}
    r = cluster.put(f"{base}/imm", d)
    assert r.status_code == 422, r.text
    assert any(c["field"] == "spec.selector" for c in status_of(r)["details"]["causes"]), r.text
    # immutable ConfigMap
    c = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", cm(ns, "frozen", immutable=True)), 201)
    c["data"]["k"] = "changed"
    r = cluster.put(f"/api/v1/namespaces/{ns}/configmaps/frozen", c)
    assert r.status_code == 422, r.text
    assert any(c["field"] == "data" for c in status_of(r)["details"]["causes"]), r.text


def test_body_over_3mib_is_413(cluster, ns):
    big = cm(ns, "toobig")
    big["data"] = {"blob": "x" * (3 * 1024 * 1024 + 1024)}
    try:
        r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", big, timeout=60)
    except requests.ConnectionError as e:
        pytest.fail(f"server dropped the connection instead of answering 413: {e}")
    assert r.status_code == 413, f"{r.status_code}: {r.text[:300]}"
    st = status_of(r)
    assert st["reason"] == "RequestEntityTooLarge", st
    assert "3145728" in st["message"], st["message"]
    assert cluster.get(f"/api/v1/namespaces/{ns}/configmaps/toobig").status_code == 404
    # the server still answers on a fresh connection
    assert cluster.get("/readyz", authenticated=False).status_code == 200


def test_object_just_under_limit_is_size_checked_by_validation(cluster, ns):
    """A 1.5 MiB ConfigMap is fine for the body limit but over ConfigMap's 1 MiB data limit: 422."""
    body = cm(ns, "large")
    body["data"] = {"blob": "y" * (1024 * 1024 + 10)}
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body, timeout=60)
    assert r.status_code == 422, f"{r.status_code}: {r.text[:300]}"
    assert status_of(r)["reason"] == "Invalid"
    body["data"] = {"blob": "y" * (512 * 1024)}
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body, timeout=60)
    assert r.status_code == 201, r.text[:300]
    assert cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps/large"), 200)["data"]["blob"] == "y" * (512 * 1024)


def test_unknown_field_strict_is_400_naming_the_field(cluster, ns):
    body = cm(ns, "strict", bogusTopLevel=1)
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", body, params={"fieldValidation": "Strict"})
    assert r.status_code == 400, r.text
    st = status_of(r)
    assert st["reason"] == "BadRequest"
    assert 'unknown field "bogusTopLevel"' in st["message"], st["message"]
    assert "strict decoding error" in st["message"], st["message"]

    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "strictd", "namespace": ns},
         "spec": {"selector": {"matchLabels": {"a": "b"}}, "bogusSpecField": True,
                  "template": {"metadata": {"labels": {"a": "b"}},
                               "spec": {"containers": [{"name": "c", "image": "i", "imagePullPolcy": "Always"}]}}}}
    r = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", d, params={"fieldValidation": "Strict"})
    assert r.status_code == 400, r.text
    msg = status_of(r)["message"]
    assert 'unknown field "spec.bogusSpecField"' in msg, msg
    assert 'unknown field "spec.template.spec.containers[0].imagePullPolcy"' in msg, msg
    # duplicate fields are errors under Strict too
    r = post_raw(cluster, ns, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1"},"data":{"b":"2"}}',
                 params={"fieldValidation": "Strict"})
    assert r.status_code == 400, r.text
    assert 'duplicate field "data"' in status_of(r)["message"]
    assert stored_names(cluster, ns) == []
    assert cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/strictd").status_code == 404


def test_unknown_field_default_warns_and_drops(cluster, ns):
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", cm(ns, "warned", bogus=1))
    assert r.status_code == 201, r.text
    assert "bogus" not in r.json()
    # Warning: 299 - "unknown field \"bogus\""  (quoted-string, so the inner quotes are escaped)
    assert re.search(r'unknown field \\?"bogus\\?"', r.headers.get("Warning", "")), r.headers
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", cm(ns, "ignored", bogus=1), params={"fieldValidation": "Ignore"})
    assert r.status_code == 201 and "Warning" not in r.headers, r.headers
    # an unknown directive: upstream validates CreateOptions -> 422 Invalid
    r = cluster.post(f"/api/v1/namespaces/{ns}/configmaps", cm(ns, "x"), params={"fieldValidation": "Sometimes"})
    assert r.status_code == 422, r.text


def test_kubectl_rejects_unknown_field(cluster, ns):
    """kubectl sends fieldValidation=Strict: the server's message reaches the user."""
    import yaml

    cp = cluster.kubectl("create", "-f", "-", check=False, input=yaml.safe_dump(cm(ns, "kstrict", bogus="x")))
    assert cp.returncode != 0
    assert "BadRequest" in cp.stderr and 'unknown field "bogus"' in cp.stderr, cp.stderr
    assert stored_names(cluster, ns) == []


@pytest.mark.parametrize("method,path", [
    ("PATCH", "/api/v1/namespaces/{ns}/configmaps/none"),
    ("GET", "/api/v1/namespaces/{ns}/configmaps/none/status"),
    ("POST", "/api/v1/namespaces/{ns}/configmaps/none"),
    ("GET", "/apis/nonexistent.example.com/v1/things"),
    ("GET", "/api/v2/pods"),
])
def test_odd_requests_are_4xx_never_500(cluster, ns, method, path):
    r = cluster.request(method, path.format(ns=ns), data="{}", headers={"Content-Type": "application/merge-patch+json"})
    assert 400 <= r.status_code < 500, f"{method} {path} -> {r.status_code}: {r.text[:300]}"
