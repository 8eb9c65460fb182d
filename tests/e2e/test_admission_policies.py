"""ValidatingAdmissionPolicy and its bindings: CEL over the request's objects, with Deny and Warn
actions, params, variables and match constraints, as a user writes them from the Kubernetes docs."""

from __future__ import annotations

import json
import time

import pytest

from conftest import rand_suffix

POLICIES = "/apis/admissionregistration.k8s.io/v1"


def deployment(name: str, replicas: int, labels: dict | None = None) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


@pytest.fixture
def policy(cluster):
    made: list[str] = []

    def create(kind: str, body: dict) -> dict:
        out = cluster.ok_json(cluster.post(f"{POLICIES}/{kind}", body), 201)
        made.append(f"{POLICIES}/{kind}/{body['metadata']['name']}")
        return out

    yield create
    for path in reversed(made):
        cluster.delete(path)


def bind(name: str, policy_name: str, ns: str, actions: list[str], **spec) -> dict:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": policy_name, "validationActions": actions,
                     "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}},
                     **spec}}


def replicas_policy(name: str, **spec) -> dict:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {"failurePolicy": "Fail",
                     "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                             "operations": ["CREATE", "UPDATE"],
                                                             "resources": ["deployments"]}]},
                     "validations": [{"expression": "object.spec.replicas <= 5"}], **spec}}


def test_a_policy_denies_deployments_over_five_replicas(cluster, ns, policy):
    name = f"max-replicas-{rand_suffix()}.example.com"
    policy("validatingadmissionpolicies", replicas_policy(name))
    policy("validatingadmissionpolicybindings", bind(f"{name}-binding", name, ns, ["Deny"]))
    time.sleep(0.3)
    refused = cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(deployment("big", 6)), check=False)
    assert refused.returncode != 0
    assert (f"ValidatingAdmissionPolicy '{name}' with binding '{name}-binding' denied request: "
            "failed expression: object.spec.replicas <= 5") in refused.stderr
    r = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("big", 6))
    assert r.status_code == 422 and r.json()["reason"] == "Invalid", r.text
    cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(deployment("small", 3)))
    patched = cluster.kubectl("patch", "-n", ns, "deployment/small", "-p", '{"spec":{"replicas":8}}', check=False)
    assert patched.returncode != 0 and "denied request" in patched.stderr
    assert cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/small"), 200)["spec"]["replicas"] == 3


def test_warn_action_message_expression_params_and_variables(cluster, ns, policy):
    name = f"limits-{rand_suffix()}.example.com"
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits"}, "data": {"max": "4"}}), 201)
    body = replicas_policy(name, paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
                           variables=[{"name": "max", "expression": "int(params.data.max)"}],
                           validations=[{"expression": "object.spec.replicas <= variables.max",
                                         "messageExpression": "'at most ' + string(variables.max) + ' replicas, not ' + string(object.spec.replicas)",
                                         "reason": "Forbidden"}])
    policy("validatingadmissionpolicies", body)
    policy("validatingadmissionpolicybindings",
           bind(f"{name}-warn", name, ns, ["Warn"], paramRef={"name": "limits", "parameterNotFoundAction": "Deny"}))
    time.sleep(0.3)
    made = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("warned", 5))
    assert made.status_code == 201, made.text
    assert f"Validation failed for ValidatingAdmissionPolicy '{name}' with binding '{name}-warn': at most 4 replicas, not 5" \
        in made.headers.get("Warning", "")
    out = cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(deployment("warned2", 6)))
    assert "at most 4 replicas, not 6" in out.stderr
    # Deny with the same params: the reason decides the code.
    policy("validatingadmissionpolicybindings",
           bind(f"{name}-deny", name, ns, ["Deny"], paramRef={"name": "limits", "parameterNotFoundAction": "Deny"}))
    time.sleep(0.3)
    r = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("denied", 7))
    assert r.status_code == 403 and "at most 4 replicas, not 7" in r.json()["message"], r.text
    # Missing params with parameterNotFoundAction Deny refuse the request.
    cluster.delete(f"/api/v1/namespaces/{ns}/configmaps/limits")
    time.sleep(0.3)
    r = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("noparams", 1))
    assert r.status_code == 422 and "no params found for policy binding with `Deny` parameterNotFoundAction" in r.text, r.text


def test_object_selector_and_excluded_resources(cluster, ns, policy):
    name = f"labelled-{rand_suffix()}.example.com"
    body = replicas_policy(name)
    body["spec"]["matchConstraints"]["objectSelector"] = {"matchLabels": {"policy": "strict"}}
    policy("validatingadmissionpolicies", body)
    policy("validatingadmissionpolicybindings", bind(f"{name}-binding", name, ns, ["Deny"]))
    time.sleep(0.3)
    assert cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("free", 9)).status_code == 201
    r = cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("strict", 9, {"policy": "strict"}))
    assert r.status_code == 422, r.text
