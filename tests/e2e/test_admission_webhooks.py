"""Admission webhooks through kubectl: a small HTTPS server started here (stdlib http.server + ssl,
certificates made with openssl) answers AdmissionReviews on 127.0.0.1. A mutating webhook labels
new pods, a validating one denies by rule and warns, failurePolicy Fail/Ignore with the webhook down
or too slow, namespace and object selectors, and dry runs against sideEffects."""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import rand_suffix
from e2e_harness import free_port, status_of

ADMISSION_CONFIGS = "/apis/admissionregistration.k8s.io/v1"


def make_certificates(directory: Path, san: str = "IP:127.0.0.1") -> tuple[Path, Path, bytes]:
    """A CA and a serving certificate for `san` signed by it: (cert, key, CA PEM)."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=e2e-webhook-ca",
        "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "tls.key", "-out", "tls.csr")
    (directory / "san.ext").write_text(f"subjectAltName={san}\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
        "-extfile", "san.ext", "-out", "tls.crt")
    return directory / "tls.crt", directory / "tls.key", (directory / "ca.crt").read_bytes()


class WebhookServer:
    """Answers /mutate (labels the pod), /validate (denies label deny=yes, warns otherwise),
    /slow (waits 3 s) and records every review it gets."""

    def __init__(self, cert: Path, key: Path):
        self.reviews: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                review = json.loads(body)
                server.reviews.append({"path": self.path, "review": review})
                request = review["request"]
                response: dict = {"uid": request["uid"], "allowed": True}
                path = self.path.split("?")[0]
                obj = request.get("object") or {}
                labels = (obj.get("metadata") or {}).get("labels") or {}
                if path == "/mutate":
                    patch = ([{"op": "add", "path": "/metadata/labels/webhook-stamped", "value": "yes"}] if labels else
                             [{"op": "add", "path": "/metadata/labels", "value": {"webhook-stamped": "yes"}}])
                    response["patchType"] = "JSONPatch"
                    response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
                elif path == "/validate":
                    if labels.get("deny") == "yes":
                        response = {"uid": request["uid"], "allowed": False,
                                    "status": {"code": 403, "reason": "Forbidden",
                                               "message": "pods labelled deny=yes are not allowed"}}
                    else:
                        response["warnings"] = ["checked by the e2e webhook"]
                elif path == "/connect":
                    if "rm" in (obj.get("command") or []):
                        response = {"uid": request["uid"], "allowed": False,
                                    "status": {"code": 403, "reason": "Forbidden", "message": "no rm in these pods"}}
                elif path == "/slow":
                    time.sleep(3)
                out = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                  "response": response}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def webhook_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("webhook-certs")
    cert, key, ca = make_certificates(directory)
    server = WebhookServer(cert, key)
    server.ca_bundle = base64.b64encode(ca).decode()
    try:
        yield server
    finally:
        server.stop()


def webhook(name: str, url: str, ca_bundle: str, ns: str, **fields) -> dict:
    """One webhook on pod creation, limited to namespace `ns` (the shared server runs other tests)."""
    hook = {
        "name": name,
        "clientConfig": {"url": url, "caBundle": ca_bundle},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
        "timeoutSeconds": 5,
    }
    hook.update(fields)
    return hook


class Configurations:
    """Webhook configurations made by one test, deleted at its end."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.made: list[str] = []

    def create(self, kind: str, hooks: list[dict]) -> dict:
        resource = "mutatingwebhookconfigurations" if kind == "Mutating" else "validatingwebhookconfigurations"
        name = f"e2e-{rand_suffix(8)}"
        body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": f"{kind}WebhookConfiguration",
                "metadata": {"name": name}, "webhooks": hooks}
        created = self.cluster.ok_json(self.cluster.post(f"{ADMISSION_CONFIGS}/{resource}", body), 201)
        self.made.append(f"{resource}/{name}")
        return created

    def delete_all(self) -> None:
        for path in self.made:
            self.cluster.delete(f"{ADMISSION_CONFIGS}/{path}")


@pytest.fixture
def configs(cluster):
    c = Configurations(cluster)
    try:
        yield c
    finally:
        c.delete_all()


def pod_manifest(name: str, labels: dict | None = None) -> str:
    meta: dict = {"name": name}
    if labels:
        meta["labels"] = labels
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                       "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}]}})


def kubectl_create(cluster, ns: str, manifest: str, *extra: str):
    return cluster.kubectl("create", "-n", ns, "-f", "-", *extra, input=manifest, check=False)


def test_a_mutating_webhook_labels_new_pods_and_defaults_are_stored(cluster, ns, configs, webhook_server):
    created = configs.create("Mutating", [webhook("stamp.e2e.kyvern.dev", webhook_server.url("/mutate"),
                                                  webhook_server.ca_bundle, ns)])
    stored = created["webhooks"][0]
    assert (stored["failurePolicy"], stored["matchPolicy"], stored["reinvocationPolicy"]) == ("Fail", "Equivalent", "Never")
    assert stored["objectSelector"] == {} and stored["rules"][0]["scope"] == "*"
    cp = kubectl_create(cluster, ns, pod_manifest("bare"))
    assert cp.returncode == 0, cp.stderr
    cp = kubectl_create(cluster, ns, pod_manifest("labelled", {"app": "web"}))
    assert cp.returncode == 0, cp.stderr
    for name, expected in (("bare", {"webhook-stamped": "yes"}), ("labelled", {"app": "web", "webhook-stamped": "yes"})):
        labels = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/pods/{name}"), 200)["metadata"]["labels"]
        assert labels == expected, labels
    # The webhook saw an AdmissionReview v1 for a pod CREATE by the kubectl user.
    review = next(r["review"] for r in webhook_server.reviews
                  if r["path"].startswith("/mutate") and r["review"]["request"].get("name") == "bare"
                  and r["review"]["request"].get("namespace") == ns)
    request = review["request"]
    assert review["apiVersion"] == "admission.k8s.io/v1" and review["kind"] == "AdmissionReview"
    assert request["operation"] == "CREATE" and request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert request["options"]["kind"] == "CreateOptions" and request["dryRun"] is False
    assert request["userInfo"]["username"]


def test_a_validating_webhook_denies_by_rule_and_warns(cluster, ns, configs, webhook_server):
    configs.create("Validating", [webhook("deny.e2e.kyvern.dev", webhook_server.url("/validate"),
                                          webhook_server.ca_bundle, ns)])
    cp = kubectl_create(cluster, ns, pod_manifest("denied", {"deny": "yes"}))
    assert cp.returncode != 0
    assert ('admission webhook "deny.e2e.kyvern.dev" denied the request: pods labelled deny=yes are not allowed'
            in cp.stderr), cp.stderr
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", json.loads(pod_manifest("denied", {"deny": "yes"})))
    assert r.status_code == 403 and status_of(r)["reason"] == "Forbidden", r.text
    assert cluster.get(f"/api/v1/namespaces/{ns}/pods/denied").status_code == 404
    cp = kubectl_create(cluster, ns, pod_manifest("allowed"))
    assert cp.returncode == 0, cp.stderr
    assert "Warning: checked by the e2e webhook" in cp.stderr, cp.stderr


def test_failure_policy_when_the_webhook_is_down(cluster, ns, configs, webhook_server):
    down = f"https://127.0.0.1:{free_port()}/validate"
    configs.create("Validating", [webhook("down.e2e.kyvern.dev", down, webhook_server.ca_bundle, ns,
                                          objectSelector={"matchLabels": {"policy": "fail"}})])
    configs.create("Validating", [webhook("down-ignored.e2e.kyvern.dev", down, webhook_server.ca_bundle, ns,
                                          failurePolicy="Ignore",
                                          objectSelector={"matchLabels": {"policy": "ignore"}})])
    cp = kubectl_create(cluster, ns, pod_manifest("fails", {"policy": "fail"}))
    assert cp.returncode != 0
    assert "Internal error occurred: failed calling webhook \"down.e2e.kyvern.dev\": failed to call webhook: Post" in cp.stderr, cp.stderr
    assert "connection refused" in cp.stderr, cp.stderr
    cp = kubectl_create(cluster, ns, pod_manifest("goes-on", {"policy": "ignore"}))
    assert cp.returncode == 0, cp.stderr


def test_a_slow_webhook_times_out(cluster, ns, configs, webhook_server):
    configs.create("Validating", [webhook("slow.e2e.kyvern.dev", webhook_server.url("/slow"), webhook_server.ca_bundle,
                                          ns, timeoutSeconds=1, objectSelector={"matchLabels": {"policy": "fail"}})])
    configs.create("Validating", [webhook("slow-ignored.e2e.kyvern.dev", webhook_server.url("/slow"),
                                          webhook_server.ca_bundle, ns, timeoutSeconds=1, failurePolicy="Ignore",
                                          objectSelector={"matchLabels": {"policy": "ignore"}})])
    started = time.monotonic()
    cp = kubectl_create(cluster, ns, pod_manifest("too-slow", {"policy": "fail"}))
    assert cp.returncode != 0
    assert 'failed calling webhook "slow.e2e.kyvern.dev"' in cp.stderr and "context deadline exceeded" in cp.stderr, cp.stderr
    assert time.monotonic() - started < 3
    cp = kubectl_create(cluster, ns, pod_manifest("slow-but-ignored", {"policy": "ignore"}))
    assert cp.returncode == 0, cp.stderr


def test_selectors_limit_where_a_webhook_applies(cluster, ns, configs, webhook_server):
    configs.create("Validating", [webhook("deny.e2e.kyvern.dev", webhook_server.url("/validate"),
                                          webhook_server.ca_bundle, ns,
                                          objectSelector={"matchExpressions": [{"key": "exempt", "operator": "DoesNotExist"}]})])
    # Not selected by the object selector: admitted although labelled deny=yes.
    cp = kubectl_create(cluster, ns, pod_manifest("exempt", {"deny": "yes", "exempt": "true"}))
    assert cp.returncode == 0, cp.stderr
    # Another namespace is outside the namespace selector.
    other = f"{ns[:50]}-other"
    cluster.create_namespace(other)
    try:
        cp = kubectl_create(cluster, other, pod_manifest("elsewhere", {"deny": "yes"}))
        assert cp.returncode == 0, cp.stderr
    finally:
        cluster.delete_namespace(other)
    cp = kubectl_create(cluster, ns, pod_manifest("selected", {"deny": "yes"}))
    assert cp.returncode != 0 and "denied the request" in cp.stderr, cp.stderr


def test_side_effects_and_dry_run(cluster, ns, configs, webhook_server):
    # admissionregistration/v1 accepts only None and NoneOnDryRun, as upstream.
    body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": f"e2e-{rand_suffix(8)}"},
            "webhooks": [webhook("effects.e2e.kyvern.dev", webhook_server.url("/validate"), webhook_server.ca_bundle,
                                 ns, sideEffects="Unknown")]}
    r = cluster.post(f"{ADMISSION_CONFIGS}/validatingwebhookconfigurations", body)
    assert r.status_code == 422, r.text
    assert ('webhooks[0].sideEffects: Unsupported value: "Unknown": supported values: "None", "NoneOnDryRun"'
            in status_of(r)["message"]), r.text
    # A webhook without side effects on dry run is called with dryRun set, and still denies.
    configs.create("Validating", [webhook("dryrun.e2e.kyvern.dev", webhook_server.url("/validate"),
                                          webhook_server.ca_bundle, ns, sideEffects="NoneOnDryRun")])
    cp = kubectl_create(cluster, ns, pod_manifest("dry", {"deny": "yes"}), "--dry-run=server")
    assert cp.returncode != 0 and "denied the request" in cp.stderr, cp.stderr
    cp = kubectl_create(cluster, ns, pod_manifest("dry-ok"), "--dry-run=server")
    assert cp.returncode == 0, cp.stderr
    assert cluster.get(f"/api/v1/namespaces/{ns}/pods/dry-ok").status_code == 404
    seen = [r["review"]["request"] for r in webhook_server.reviews
            if r["review"]["request"].get("name") == "dry-ok" and r["review"]["request"].get("namespace") == ns]
    assert seen and all(request["dryRun"] is True for request in seen), seen


def test_invalid_configurations_are_refused_with_upstreams_messages(cluster, configs, webhook_server):
    body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": f"e2e-{rand_suffix(8)}"},
            "webhooks": [{"name": "short.name", "clientConfig": {"url": "http://example.com/x"},
                          "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                                     "resources": ["pods"]}],
                          "sideEffects": "None", "admissionReviewVersions": ["v1"], "timeoutSeconds": 40}]}
    r = cluster.post(f"{ADMISSION_CONFIGS}/mutatingwebhookconfigurations", body)
    assert r.status_code == 422, r.text
    message = status_of(r)["message"]
    for expected in ('webhooks[0].name: Invalid value: "short.name": should be a domain with at least three segments separated by dots',
                     "webhooks[0].timeoutSeconds: Invalid value: 40: the timeout value must be between 1 and 30 seconds",
                     "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]"):
        assert expected in message, message


def test_a_service_webhook_is_called_by_the_services_dns_name(cluster, ns, configs, tmp_path):
    """clientConfig.service: the certificate is checked against <name>.<namespace>.svc; the address
    comes from the Service (here an ExternalName pointing at this host)."""
    cert, key, ca = make_certificates(tmp_path, san=f"DNS:hooks.{ns}.svc")
    server = WebhookServer(cert, key)
    try:
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "hooks"},
            "spec": {"type": "ExternalName", "externalName": "127.0.0.1", "ports": [{"port": server.port}]}}), 201)
        hook = webhook("svc.e2e.kyvern.dev", "", base64.b64encode(ca).decode(), ns)
        hook["clientConfig"] = {"service": {"namespace": ns, "name": "hooks", "path": "/validate", "port": server.port},
                                "caBundle": base64.b64encode(ca).decode()}
        configs.create("Validating", [hook])
        cp = kubectl_create(cluster, ns, pod_manifest("denied", {"deny": "yes"}))
        assert cp.returncode != 0
        assert 'admission webhook "svc.e2e.kyvern.dev" denied the request: pods labelled deny=yes are not allowed' in cp.stderr, cp.stderr
        assert server.reviews and server.reviews[0]["path"] == "/validate?timeout=5s", server.reviews
        # Without the Service the call fails, naming the URL upstream builds.
        cluster.delete(f"/api/v1/namespaces/{ns}/services/hooks")
        cp = kubectl_create(cluster, ns, pod_manifest("no-service"))
        assert cp.returncode != 0
        assert (f'failed calling webhook "svc.e2e.kyvern.dev": failed to call webhook: '
                f'Post "https://hooks.{ns}.svc:{server.port}/validate?timeout=5s": service "hooks" not found') in cp.stderr, cp.stderr
    finally:
        server.stop()


def test_a_webhook_whose_certificate_is_not_trusted_fails_the_call(cluster, ns, configs, webhook_server, tmp_path):
    _, _, other_ca = make_certificates(tmp_path)
    configs.create("Validating", [webhook("untrusted.e2e.kyvern.dev", webhook_server.url("/validate"),
                                          base64.b64encode(other_ca).decode(), ns)])
    cp = kubectl_create(cluster, ns, pod_manifest("untrusted"))
    assert cp.returncode != 0
    assert ('failed calling webhook "untrusted.e2e.kyvern.dev": failed to call webhook: '
            f'Post "{webhook_server.url("/validate")}?timeout=5s": tls: failed to verify certificate: '
            'x509: certificate signed by unknown authority') in cp.stderr, cp.stderr


def test_match_conditions_decide_with_cel(cluster, webhook_server):
    ns = f"e2e-wh-match-{rand_suffix()}"
    cluster.create_namespace(ns)
    name = f"match-{rand_suffix()}.e2e.kyvern.io"
    hook = webhook("stamp.e2e.kyvern.io", webhook_server.url("/mutate"), webhook_server.ca_bundle, ns,
                   matchConditions=[{"name": "only-labelled", "expression": "has(object.metadata.labels) && 'stamp' in object.metadata.labels"}])
    body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": name}, "webhooks": [hook]}
    cluster.ok_json(cluster.post(f"{ADMISSION_CONFIGS}/mutatingwebhookconfigurations", body), 201)
    try:
        time.sleep(0.5)

        def pod(pod_name: str, labels: dict) -> dict:
            return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod_name, "labels": labels},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}}

        stamped = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("a", {"stamp": "1"})), 201)
        plain = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("b", {"other": "1"})), 201)
        assert stamped["metadata"]["labels"].get("webhook-stamped") == "yes"
        assert "webhook-stamped" not in plain["metadata"]["labels"]
    finally:
        cluster.delete(f"{ADMISSION_CONFIGS}/mutatingwebhookconfigurations/{name}")
        cluster.delete_namespace(ns)


def test_exec_attach_and_port_forward_reach_webhooks_as_connect(cluster, ns, configs, webhook_server):
    cluster.kubectl("create", "-n", ns, "-f", "-", input=pod_manifest("shell"))
    configs.create("Validating", [webhook("connect.e2e.kyvern.dev", webhook_server.url("/connect"), webhook_server.ca_bundle,
                                          ns, rules=[{"operations": ["CONNECT"], "apiGroups": [""], "apiVersions": ["v1"],
                                                      "resources": ["pods/exec", "pods/attach", "pods/portforward"]}])])
    seen = len(webhook_server.reviews)
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods/shell/exec?command=rm&command=-rf&command=/&stdout=true&container=app", None)
    assert r.status_code == 403, r.text
    assert status_of(r)["message"] == 'admission webhook "connect.e2e.kyvern.dev" denied the request: no rm in these pods', r.text
    review = webhook_server.reviews[seen]["review"]["request"]
    assert (review["operation"], review["subResource"], review["kind"], review["resource"]) == (
        "CONNECT", "exec", {"group": "", "version": "v1", "kind": "PodExecOptions"},
        {"group": "", "version": "v1", "resource": "pods"}), review
    assert review["object"] == {"apiVersion": "v1", "kind": "PodExecOptions", "stdout": True, "container": "app",
                                "command": ["rm", "-rf", "/"]}, review["object"]
    assert review["name"] == "shell" and review["namespace"] == ns and review["oldObject"] is None
    assert "options" not in review
    # kubectl asks by a WebSocket upgrade first; a refused upgrade is answered 400 with no body (the HTTP
    # server's upgrade layer), kubectl then falls back to a SPDY request, which gets the webhook's Status:
    # two requests, so the webhook is asked twice, once each.
    seen = len(webhook_server.reviews)
    cp = cluster.kubectl("exec", "-n", ns, "shell", "-c", "app", "--", "rm", "x", check=False)
    assert cp.returncode == 1 and "no rm in these pods" in cp.stderr, cp.stderr
    calls = [x for x in webhook_server.reviews[seen:] if x["review"]["request"]["operation"] == "CONNECT"]
    assert len(calls) == 2, calls
    # Allowed by the webhook: the request goes on to the pod (which has no node here).
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods/shell/exec?command=ls&stdout=true", None)
    assert r.status_code == 400 and "does not have a host assigned" in status_of(r)["message"], r.text
    # attach and port-forward are sent too, with their own options kinds.
    cluster.post(f"/api/v1/namespaces/{ns}/pods/shell/attach?stdin=true&tty=true", None)
    cluster.post(f"/api/v1/namespaces/{ns}/pods/shell/portforward?ports=8080,9090", None)
    kinds = [x["review"]["request"]["object"] for x in webhook_server.reviews[seen:]
             if x["review"]["request"]["operation"] == "CONNECT"]
    assert {"apiVersion": "v1", "kind": "PodAttachOptions", "stdin": True, "tty": True} in kinds, kinds
    assert {"apiVersion": "v1", "kind": "PodPortForwardOptions", "ports": [8080, 9090]} in kinds, kinds
