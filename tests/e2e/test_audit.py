"""Audit logging (`--audit-policy-file`, `--audit-log-path`): upstream's audit.k8s.io/v1 Event lines for
real kubectl requests, at the level of the first matching policy rule, with rotation by size."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from e2e_harness import KyvernProcess, ServerStartError

QUIET = "system:serviceaccount:default:quiet"

POLICY = f"""apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
  - level: None
    users: ["{QUIET}"]
  - level: RequestResponse
    namespaces: [full]
    resources:
      - group: ""
        resources: [configmaps]
  - level: Metadata
    resources:
      - group: ""
        resources: [configmaps, secrets]
  - level: Metadata
    nonResourceURLs: ["/api"]
"""


def events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_events(path: Path, predicate, count: int = 1, timeout: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in events(path) if predicate(e)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture
def audited(server_factory, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    log = tmp_path / "audit" / "audit.log"
    proc = server_factory.new("--audit-policy-file", str(policy), "--audit-log-path", str(log))
    c = server_factory.client(proc)
    for ns in ("full", "meta"):
        c.kubectl("create", "namespace", ns)
    return c, log


def stages_of(path: Path, name: str, verb: str = "create") -> dict[str, dict]:
    """The events of the request that wrote `name` (its RequestReceived does not name it yet, as upstream's)."""
    done = wait_for_events(path, lambda e: e["verb"] == verb and e.get("objectRef", {}).get("name") == name
                           and e["stage"] == "ResponseComplete")
    assert done, events(path)[-4:]
    return {e["stage"]: e for e in events(path) if e["auditID"] == done[0]["auditID"]}


def test_create_configmap_is_logged_at_request_response(audited):
    c, log = audited
    c.kubectl("create", "configmap", "cm-full", "-n", "full", "--from-literal=k=v")
    by_stage = stages_of(log, "cm-full")
    assert set(by_stage) == {"RequestReceived", "ResponseComplete"}, by_stage
    received, done = by_stage["RequestReceived"], by_stage["ResponseComplete"]
    assert received["auditID"] == done["auditID"] and re.fullmatch(r"[0-9a-f-]{36}", done["auditID"])
    for e in (received, done):
        assert e["apiVersion"] == "audit.k8s.io/v1" and e["kind"] == "Event"
        assert e["level"] == "RequestResponse"
        assert e["verb"] == "create"
        assert e["user"]["username"] == "kyvern-admin" and "system:masters" in e["user"]["groups"]
        assert e["objectRef"] == {"resource": "configmaps", "namespace": "full", "apiVersion": "v1",
                                  **({"name": "cm-full"} if e is done else {})}
        assert e["requestURI"].startswith("/api/v1/namespaces/full/configmaps")
        assert e["userAgent"].startswith("kubectl")
        assert e["sourceIPs"] == ["127.0.0.1"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["stageTimestamp"])
        assert e["requestReceivedTimestamp"] == received["requestReceivedTimestamp"]
    assert "responseStatus" not in received
    assert done["responseStatus"] == {"metadata": {}, "code": 201}
    assert done["requestObject"]["data"] == {"k": "v"}
    assert done["responseObject"]["metadata"]["name"] == "cm-full"
    assert "managedFields" not in done["responseObject"]["metadata"]  # omitManagedFields
    assert done["annotations"]["authorization.k8s.io/decision"] == "allow"


def test_metadata_rule_leaves_out_the_objects(audited):
    c, log = audited
    c.kubectl("create", "configmap", "cm-meta", "-n", "meta", "--from-literal=k=v")
    done = stages_of(log, "cm-meta")["ResponseComplete"]
    assert done["level"] == "Metadata"
    assert done["responseStatus"]["code"] == 201
    assert "requestObject" not in done and "responseObject" not in done


def test_unmatched_requests_and_a_none_user_log_nothing(audited):
    c, log = audited
    c.kubectl("create", "serviceaccount", "quiet", "-n", "default")
    c.kubectl("create", "rolebinding", "quiet-edit", "--clusterrole", "edit", "--serviceaccount", "default:quiet",
              "-n", "meta")
    token = c.kubectl("create", "token", "quiet", "-n", "default").stdout.strip()
    s = c.new_session(authenticated=False)
    s.headers["Authorization"] = f"Bearer {token}"
    r = s.post(c.base_url + "/api/v1/namespaces/meta/configmaps",
               json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-quiet"}})
    assert r.status_code == 201, r.text
    # No rule matches pods: not logged either. A later configmap shows the log is written up to here.
    c.kubectl("get", "pods", "-n", "meta")
    c.kubectl("create", "configmap", "marker", "-n", "meta")
    assert stages_of(log, "marker")
    all_events = events(log)
    assert not [e for e in all_events if e["user"].get("username") == QUIET]
    assert not [e for e in all_events if e.get("objectRef", {}).get("name") == "from-quiet"]
    assert not [e for e in all_events if e.get("objectRef", {}).get("resource") == "pods"]


def test_forbidden_request_is_logged_with_decision_forbid(audited):
    c, log = audited
    cp = c.kubectl("get", "secrets", "-n", "meta", "--as", "eve", check=False)
    assert cp.returncode != 0 and "Forbidden" in cp.stderr
    found = wait_for_events(log, lambda e: e.get("impersonatedUser", {}).get("username") == "eve"
                            and e.get("objectRef", {}).get("resource") == "secrets" and e["stage"] == "ResponseComplete")
    assert found, events(log)[-5:]
    e = found[0]
    assert e["user"]["username"] == "kyvern-admin" and e["verb"] == "list"
    assert e["objectRef"] == {"resource": "secrets", "namespace": "meta", "apiVersion": "v1"}
    assert e["responseStatus"]["code"] == 403 and e["responseStatus"]["reason"] == "Forbidden"
    assert e["responseStatus"]["status"] == "Failure"
    assert 'User "eve" cannot list resource "secrets"' in e["responseStatus"]["message"]
    assert e["annotations"]["authorization.k8s.io/decision"] == "forbid"


def test_failed_authentication_is_logged_without_a_user(audited):
    c, log = audited
    s = c.new_session(authenticated=False)
    s.headers["Authorization"] = "Bearer not-a-token"
    r = s.get(c.base_url + "/api/v1/namespaces/meta/configmaps")
    assert r.status_code == 401
    audit_id = r.headers["Audit-Id"]
    found = wait_for_events(log, lambda e: e["auditID"] == audit_id)
    assert len(found) == 1, found
    e = found[0]
    assert e["stage"] == "ResponseStarted" and e["user"] == {} and e["verb"] == "list"
    assert e["responseStatus"]["code"] == 401


def test_audit_id_header_matches_the_event(audited):
    c, log = audited
    r = c.get("/api")
    assert r.status_code == 200
    audit_id = r.headers["Audit-Id"]
    found = wait_for_events(log, lambda e: e["auditID"] == audit_id, count=2)
    assert sorted(e["stage"] for e in found) == ["RequestReceived", "ResponseComplete"]
    assert "objectRef" not in found[0] and found[0]["verb"] == "get"


def test_watch_logs_response_started(audited):
    c, log = audited
    c.kubectl("get", "configmaps", "-n", "meta", "--watch", "--request-timeout=2s", check=False, timeout=30)
    found = wait_for_events(log, lambda e: e["verb"] == "watch" and e["objectRef"].get("namespace") == "meta", count=3)
    assert [e["stage"] for e in found] == ["RequestReceived", "ResponseStarted", "ResponseComplete"], found
    assert found[1]["responseStatus"]["code"] == 200


def test_rotation_by_size(server_factory, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"
                      "  - level: RequestResponse\n    resources: [{group: \"\", resources: [configmaps]}]\n")
    log = tmp_path / "audit" / "audit.log"
    proc = server_factory.new("--audit-policy-file", str(policy), "--audit-log-path", str(log),
                              "--audit-log-maxsize", "1", "--audit-log-maxbackup", "2")
    c = server_factory.client(proc)
    payload = tmp_path / "payload.txt"
    payload.write_text("x" * 200_000)
    for i in range(8):
        c.kubectl("create", "configmap", f"big-{i}", "-n", "default", f"--from-file=data={payload}")
    pattern = re.compile(r"audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log")
    deadline = time.monotonic() + 15
    while True:
        backups = sorted(p for p in log.parent.iterdir() if pattern.fullmatch(p.name))
        if len(backups) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(backups) == 2, sorted(p.name for p in log.parent.iterdir())
    for f in [*backups, log]:
        assert f.stat().st_size <= 1024 * 1024
        for line in f.read_text().splitlines():
            assert json.loads(line)["kind"] == "Event"


def test_invalid_policy_stops_the_server_naming_the_field(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Verbose\n")
    server = KyvernProcess(tmp_path / "data", extra_args=("--audit-policy-file", str(policy),
                                                          "--audit-log-path", str(tmp_path / "audit.log")))
    with pytest.raises(ServerStartError) as failure:
        server.start(timeout=30)
    assert 'rules[0].level: Unsupported value: "Verbose"' in str(failure.value)


def test_admission_policy_audits_and_annotations_reach_the_audit_event(audited):
    """A ValidatingAdmissionPolicy bound with `validationActions: [Audit]` lets the request through and
    records the failure under upstream's annotation key; its `auditAnnotations` are recorded under
    `<policy>/<key>`."""
    c, log = audited
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "cm-size"},
        "spec": {
            "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                    "operations": ["CREATE"], "resources": ["configmaps"]}]},
            "validations": [{"expression": "true"},
                            {"expression": "size(object.data) <= 1", "message": "at most one key"}],
            "auditAnnotations": [{"key": "keys", "valueExpression": "string(size(object.data))"},
                                 {"key": "never", "valueExpression": "null"}],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "cm-size-audit"},
        "spec": {"policyName": "cm-size", "validationActions": ["Audit"],
                 "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "full"}}}},
    }
    c.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [policy, binding]}))
    time.sleep(1)  # the policy reaches the watch cache
    r = c.kubectl("create", "configmap", "cm-two", "-n", "full", "--from-literal=a=1", "--from-literal=b=2")
    assert r.returncode == 0, r.stderr  # Audit alone never refuses
    done = stages_of(log, "cm-two")["ResponseComplete"]
    annotations = done["annotations"]
    assert annotations["cm-size/keys"] == "2", annotations
    assert "cm-size/never" not in annotations
    failures = json.loads(annotations["validation.policy.admission.k8s.io/validation_failure"])
    assert failures == [{"message": "at most one key", "policy": "cm-size", "binding": "cm-size-audit",
                         "expressionIndex": 1, "validationActions": ["Audit"]}], failures
    # A request that passes carries the policy's annotation, and no failure.
    c.kubectl("create", "configmap", "cm-one", "-n", "full", "--from-literal=a=1")
    ok = stages_of(log, "cm-one")["ResponseComplete"]["annotations"]
    assert ok["cm-size/keys"] == "1" and "validation.policy.admission.k8s.io/validation_failure" not in ok, ok
