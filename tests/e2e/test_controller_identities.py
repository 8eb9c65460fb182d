"""Component identities: the controller manager acts as system:kube-controller-manager and each
controller as its own ServiceAccount kube-system/<name> holding system:controller:<name>
(`--use-service-account-credentials`, on by default in `kyvern server` as kubeadm sets it)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from e2e_harness import wait_until

POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: [pods, serviceaccounts]
      - group: apps
        resources: [replicasets]
  - level: None
"""

ACCOUNTS = [
    "replicaset-controller", "deployment-controller", "namespace-controller", "service-account-controller",
    "generic-garbage-collector", "endpoint-controller", "endpointslice-controller",
    "endpointslicemirroring-controller", "node-controller", "daemon-set-controller", "job-controller",
    "ttl-after-finished-controller", "cronjob-controller", "disruption-controller", "statefulset-controller",
    "horizontal-pod-autoscaler", "persistent-volume-binder", "pvc-protection-controller",
    "pv-protection-controller", "clusterrole-aggregation-controller", "resourcequota-controller",
    "certificate-controller",
]

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
"""


def audit_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def forbidden_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if re.search(r"forbidden|\b403\b|cannot (get|list|watch|create|update|patch|delete)", line, re.I)]


@pytest.fixture
def audited(server_factory, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    log = tmp_path / "audit.log"
    proc = server_factory.new("--audit-policy-file", str(policy), "--audit-log-path", str(log))
    return proc, server_factory.client(proc), log


def test_controllers_act_as_their_own_service_accounts(audited):
    proc, c, log = audited
    # Every started controller's account exists in kube-system.
    def accounts():
        out = c.kubectl("get", "sa", "-n", "kube-system", "-o", "name").stdout.split()
        names = {n.split("/", 1)[1] for n in out}
        return names if set(ACCOUNTS) <= names else None
    wait_until("the controller accounts in kube-system", accounts, timeout=60)
    listed = c.kubectl("get", "sa", "-n", "kube-system").stdout
    assert "replicaset-controller" in listed and "generic-garbage-collector" in listed, listed

    # The manager's own identity created them, with a client certificate of its own.
    created = [e for e in audit_events(log) if e["verb"] == "create" and e["objectRef"].get("resource") == "serviceaccounts"
               and e["objectRef"].get("namespace") == "kube-system" and e["objectRef"].get("name") in ACCOUNTS]
    assert created and {e["user"]["username"] for e in created} == {"system:kube-controller-manager"}, created[:2]
    assert (proc.data_dir / "controller-manager.kubeconfig").exists()

    c.kubectl("create", "namespace", "ids")
    c.kubectl("apply", "-n", "ids", "-f", "-", input=DEPLOYMENT)
    wait_until("the Deployment's pods", lambda: len(c.kubectl(
        "get", "pods", "-n", "ids", "-l", "app=web", "-o", "name").stdout.split()) == 2, timeout=60)

    def pod_creates():
        found = [e for e in audit_events(log) if e["verb"] == "create" and e["stage"] == "ResponseComplete"
                 and e["objectRef"].get("resource") == "pods" and e["objectRef"].get("namespace") == "ids"
                 and "subresource" not in e["objectRef"]]
        return found if len(found) >= 2 else None
    creates = wait_until("the audit events of the pod creations", pod_creates, timeout=15)
    assert {e["user"]["username"] for e in creates} == {"system:serviceaccount:kube-system:replicaset-controller"}, creates
    assert all("system:serviceaccounts:kube-system" in e["user"]["groups"] for e in creates)
    assert all(e["responseStatus"]["code"] == 201 for e in creates)
    # The Deployment's ReplicaSet was created by the deployment controller's account.
    rs = [e for e in audit_events(log) if e["verb"] == "create" and e["objectRef"].get("resource") == "replicasets"
          and e["objectRef"].get("namespace") == "ids" and e["stage"] == "ResponseComplete"]
    assert rs and {e["user"]["username"] for e in rs} == {"system:serviceaccount:kube-system:deployment-controller"}, rs
    # Each controller says which account it is in its user agent, as upstream's do.
    assert all(e["userAgent"].endswith("/replicaset-controller") for e in creates), creates[0]["userAgent"]

    # No controller was refused anything.
    time.sleep(1)
    assert forbidden_lines(proc.log_text()) == []


def test_controller_roles_hold_only_their_rights(audited):
    _, c, _ = audited
    def can(user: str, *what: str) -> str:
        cp = c.kubectl("auth", "can-i", *what, "--as", user, check=False)
        return cp.stdout.strip()
    sa = "system:serviceaccount:kube-system:"
    assert can(sa + "deployment-controller", "create", "pods") == "no"
    assert can(sa + "replicaset-controller", "create", "pods") == "yes"
    assert can(sa + "deployment-controller", "create", "replicasets.apps") == "yes"
    assert can(sa + "replicaset-controller", "create", "secrets") == "no"
    assert can(sa + "generic-garbage-collector", "delete", "secrets") == "yes"
    assert can(sa + "namespace-controller", "deletecollection", "configmaps") == "yes"
    assert can(sa + "namespace-controller", "update", "namespaces", "--subresource", "finalize") == "yes"
    assert can(sa + "root-ca-cert-publisher", "create", "configmaps") == "yes"
    # The manager itself may read everything and mint its controllers' tokens, but not create pods.
    assert can("system:kube-controller-manager", "list", "pods", "--all-namespaces") == "yes"
    assert can("system:kube-controller-manager", "create", "serviceaccounts", "--subresource", "token", "-n", "kube-system") == "yes"
    assert can("system:kube-controller-manager", "create", "pods") == "no"
    roles = c.kubectl("get", "clusterrolebinding", "system:controller:replicaset-controller", "-o", "json").stdout
    binding = json.loads(roles)
    assert binding["roleRef"]["name"] == "system:controller:replicaset-controller"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "replicaset-controller", "namespace": "kube-system"}]


def test_without_service_account_credentials_no_controller_accounts(server_factory):
    proc = server_factory.new("--use-service-account-credentials", "false")
    c = server_factory.client(proc)
    c.kubectl("create", "namespace", "plain")
    c.kubectl("apply", "-n", "plain", "-f", "-", input=DEPLOYMENT)
    wait_until("the Deployment's pods", lambda: len(c.kubectl(
        "get", "pods", "-n", "plain", "-l", "app=web", "-o", "name").stdout.split()) == 2, timeout=60)
    names = c.kubectl("get", "sa", "-n", "kube-system", "-o", "name").stdout.split()
    assert "serviceaccount/replicaset-controller" not in names, names
