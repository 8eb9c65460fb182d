"""What people do with kubectl every day: patch (json, merge, strategic), label, annotate, set image/env,
scale, edit — each checked against the exact object stored afterwards."""

from __future__ import annotations

import json
import os
import stat
import textwrap

import pytest

pytestmark = pytest.mark.kubectl


def _deploy(ns, name="web", replicas=1, containers=None):
    labels = {"app": name}
    containers = containers or [
        {"name": "app", "image": "registry.example/app:1", "env": [{"name": "MODE", "value": "prod"}],
         "ports": [{"containerPort": 8080, "protocol": "TCP"}]},
        {"name": "sidecar", "image": "registry.example/sidecar:1"},
    ]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}}}


def _cm(ns, name="cfg", data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": data if data is not None else {"a": "1", "b": "2"}}


def _get(cluster, path):
    return cluster.ok_json(cluster.get(path), 200)


def _make_deploy(cluster, ns, **kw):
    return cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", _deploy(ns, **kw)), 201)


def _containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


# ---- kubectl patch --type=json ---------------------------------------------------------------

def test_json_patch_all_six_ops(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    ops = [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "add", "path": "/data/c", "value": "3"},
        {"op": "replace", "path": "/data/a", "value": "one"},
        {"op": "remove", "path": "/data/b"},
        {"op": "copy", "from": "/data/c", "path": "/data/d"},
        {"op": "move", "from": "/data/c", "path": "/data/e"},
        {"op": "add", "path": "/metadata/labels", "value": {"tier": "x"}},
    ]
    cp = cluster.kubectl("patch", "configmap", "cfg", "-n", ns, "--type=json", "-p", json.dumps(ops))
    assert cp.stdout.strip() == "configmap/cfg patched"
    cm = _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg")
    assert cm["data"] == {"a": "one", "d": "3", "e": "3"}
    assert cm["metadata"]["labels"] == {"tier": "x"}


def test_json_patch_failing_test_op(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    before = _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg")
    ops = [{"op": "replace", "path": "/data/a", "value": "changed"},
           {"op": "test", "path": "/data/b", "value": "nope"}]
    cp = cluster.kubectl("patch", "configmap", "cfg", "-n", ns, "--type=json", "-p", json.dumps(ops), check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == (
        'The request is invalid: the server rejected our request due to an error in our request')
    after = _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg")
    assert after == before
    # The Status behind it: upstream's generic 422, which does not say which operation failed.
    r = cluster.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/cfg", data=json.dumps(ops),
                        headers={"Content-Type": "application/json-patch+json"})
    assert r.status_code == 422
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "the server rejected our request due to an error in our request",
                        "reason": "Invalid", "details": {}, "code": 422}


def test_json_patch_on_list_elements(cluster, ns):
    _make_deploy(cluster, ns)
    ops = [{"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "registry.example/sidecar:2"},
           {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "X", "value": "y"}},
           {"op": "remove", "path": "/spec/template/spec/containers/0/ports"}]
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "--type=json", "-p", json.dumps(ops))
    dep = _get(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert _containers(dep)[0]["env"] == [{"name": "MODE", "value": "prod"}, {"name": "X", "value": "y"}]
    assert "ports" not in _containers(dep)[0]
    assert _containers(dep)[1]["image"] == "registry.example/sidecar:2"
    assert dep["metadata"]["generation"] == 2


# ---- kubectl patch --type=merge ---------------------------------------------------------------

def test_merge_patch(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    cluster.kubectl("patch", "configmap", "cfg", "-n", ns, "--type=merge",
                    "-p", json.dumps({"data": {"a": None, "z": "26"}, "metadata": {"annotations": {"k": "v"}}}))
    cm = _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg")
    assert cm["data"] == {"b": "2", "z": "26"} and cm["metadata"]["annotations"] == {"k": "v"}

    _make_deploy(cluster, ns)
    # A merge patch replaces lists whole.
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "registry.example/only:1"}]}}}}))
    dep = _get(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert [(c["name"], c["image"]) for c in _containers(dep)] == [("only", "registry.example/only:1")]


# ---- kubectl patch (strategic, the default) ---------------------------------------------------------

def test_strategic_patch_merges_containers_by_name(cluster, ns):
    _make_deploy(cluster, ns)
    cp = cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "image": "registry.example/sidecar:2"},
            {"name": "extra", "image": "registry.example/extra:1"}]}}}}))
    assert cp.stdout.strip() == "deployment.apps/web patched"
    dep = _get(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    got = [(c["name"], c["image"]) for c in _containers(dep)]
    assert got == [("app", "registry.example/app:1"), ("sidecar", "registry.example/sidecar:2"),
                   ("extra", "registry.example/extra:1")]
    assert _containers(dep)[0]["env"] == [{"name": "MODE", "value": "prod"}]
    # Patching nothing new changes nothing.
    cp = cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "extra", "image": "registry.example/extra:1"}]}}}}))
    assert cp.stdout.strip() == "deployment.apps/web patched (no change)"


def test_strategic_patch_directives(cluster, ns):
    _make_deploy(cluster, ns)
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"

    # $patch: delete removes one list element by its merge key.
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}))
    assert [c["name"] for c in _containers(_get(cluster, path))] == ["app"]

    # $patch: replace on a list replaces it whole.
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [
            {"name": "new", "image": "registry.example/new:1"}, {"$patch": "replace"}]}}}}))
    assert [(c["name"], c["image"]) for c in _containers(_get(cluster, path))] == [("new", "registry.example/new:1")]

    # $patch: replace on a map replaces the map.
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"metadata": {"labels": {"app": "web", "$patch": "replace"},
                                            "annotations": {"a": "1"}}}}}))
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"metadata": {"annotations": {"b": "2", "$patch": "replace"}}}}}))
    assert _get(cluster, path)["spec"]["template"]["metadata"] == {"labels": {"app": "web"}, "annotations": {"b": "2"}}

    # $setElementOrder sets the order of a merged list.
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "second"}, {"name": "new"}],
            "containers": [{"name": "second", "image": "registry.example/second:1"}]}}}}))
    assert [c["name"] for c in _containers(_get(cluster, path))] == ["second", "new"]

    # $retainKeys drops the keys of a union it does not name (strategy.rollingUpdate when type=Recreate).
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}}}))
    assert _get(cluster, path)["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}))
    assert _get(cluster, path)["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_patch_delete_from_primitive_list(cluster, ns):
    _make_deploy(cluster, ns, containers=[{"name": "app", "image": "registry.example/app:1",
                                           "args": ["--a", "--b", "--c", "--b"]}])
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "finalizers": ["x.io/one", "x.io/two"]},
        "spec": {"containers": [{"name": "c", "image": "registry.example/c:1"}]}}), 201)
    # finalizers is a merged primitive list: $deleteFromPrimitiveList removes values, the patch adds others.
    cluster.kubectl("patch", "pod", "p", "-n", ns, "-p", json.dumps(
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x.io/one"], "finalizers": ["x.io/three"]}}))
    pod = _get(cluster, f"/api/v1/namespaces/{ns}/pods/p")
    # Upstream's order: the patch's new values before the live ones it did not name.
    assert pod["metadata"]["finalizers"] == ["x.io/three", "x.io/two"]
    cluster.kubectl("patch", "pod", "p", "-n", ns, "--type=merge", "-p", json.dumps({"metadata": {"finalizers": None}}))
    # args is not merged: a strategic patch replaces it.
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "args": ["--z"]}]}}}}))
    dep = _get(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert _containers(dep)[0]["args"] == ["--z"]


def test_patch_errors(cluster, ns):
    cp = cluster.kubectl("patch", "configmap", "missing", "-n", ns, "-p", "{}", check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == 'Error from server (NotFound): configmaps "missing" not found'
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    cp = cluster.kubectl("patch", "configmap", "cfg", "-n", ns, "--type=merge", "-p", '{"data": ', check=False)
    assert cp.returncode == 1
    assert "unable to parse" in cp.stderr or "error" in cp.stderr.lower()


# ---- label / annotate ---------------------------------------------------------------------------

def test_label_add_overwrite_remove(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    path = f"/api/v1/namespaces/{ns}/configmaps/cfg"
    assert cluster.kubectl("label", "configmap", "cfg", "-n", ns, "tier=web", "env=dev").stdout.strip() == \
        "configmap/cfg labeled"
    assert _get(cluster, path)["metadata"]["labels"] == {"tier": "web", "env": "dev"}
    cp = cluster.kubectl("label", "configmap", "cfg", "-n", ns, "tier=db", check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == "error: 'tier' already has a value (web), and --overwrite is false"
    cluster.kubectl("label", "configmap", "cfg", "-n", ns, "tier=db", "--overwrite")
    assert _get(cluster, path)["metadata"]["labels"] == {"tier": "db", "env": "dev"}
    assert cluster.kubectl("label", "configmap", "cfg", "-n", ns, "env-").stdout.strip() == "configmap/cfg unlabeled"
    assert _get(cluster, path)["metadata"]["labels"] == {"tier": "db"}


def test_annotate(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    path = f"/api/v1/namespaces/{ns}/configmaps/cfg"
    assert cluster.kubectl("annotate", "configmap", "cfg", "-n", ns, "note=hello world").stdout.strip() == \
        "configmap/cfg annotated"
    assert _get(cluster, path)["metadata"]["annotations"] == {"note": "hello world"}
    cluster.kubectl("annotate", "configmap", "cfg", "-n", ns, "note=bye", "--overwrite")
    cluster.kubectl("annotate", "configmap", "cfg", "-n", ns, "other=1")
    assert _get(cluster, path)["metadata"]["annotations"] == {"note": "bye", "other": "1"}
    cluster.kubectl("annotate", "configmap", "cfg", "-n", ns, "note-")
    assert _get(cluster, path)["metadata"]["annotations"] == {"other": "1"}


# ---- set image / set env ------------------------------------------------------------------------------

def test_set_image_and_env(cluster, ns):
    _make_deploy(cluster, ns)
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    cp = cluster.kubectl("set", "image", "deployment/web", "-n", ns, "app=registry.example/app:2")
    assert cp.stdout.strip() == "deployment.apps/web image updated"
    dep = _get(cluster, path)
    assert [(c["name"], c["image"]) for c in _containers(dep)] == [
        ("app", "registry.example/app:2"), ("sidecar", "registry.example/sidecar:1")]
    assert dep["metadata"]["generation"] == 2

    cp = cluster.kubectl("set", "env", "deployment/web", "-n", ns, "-c", "app", "LEVEL=debug", "MODE=test")
    assert cp.stdout.strip() == "deployment.apps/web env updated"
    assert _containers(_get(cluster, path))[0]["env"] == [
        {"name": "MODE", "value": "test"}, {"name": "LEVEL", "value": "debug"}]
    cluster.kubectl("set", "env", "deployment/web", "-n", ns, "-c", "app", "MODE-")
    assert _containers(_get(cluster, path))[0]["env"] == [{"name": "LEVEL", "value": "debug"}]
    cluster.kubectl("set", "env", "deployment/web", "-n", ns, "ALL=1")
    dep = _get(cluster, path)
    assert _containers(dep)[0]["env"] == [{"name": "LEVEL", "value": "debug"}, {"name": "ALL", "value": "1"}]
    assert _containers(dep)[1]["env"] == [{"name": "ALL", "value": "1"}]


# ---- scale ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource,group", [("deployment", "apps/v1/namespaces/{ns}/deployments"),
                                            ("replicaset", "apps/v1/namespaces/{ns}/replicasets"),
                                            ("statefulset", "apps/v1/namespaces/{ns}/statefulsets")])
def test_scale_with_precondition(cluster, ns, resource, group):
    body = _deploy(ns, "s")
    body["kind"] = {"deployment": "Deployment", "replicaset": "ReplicaSet", "statefulset": "StatefulSet"}[resource]
    if resource == "statefulset":
        body["spec"]["serviceName"] = "s"
    path = "/apis/" + group.format(ns=ns)
    cluster.ok_json(cluster.post(path, body), 201)
    cp = cluster.kubectl("scale", f"{resource}/s", "-n", ns, "--replicas=3")
    assert cp.stdout.strip().endswith(f"{resource}.apps/s scaled")
    assert _get(cluster, f"{path}/s")["spec"]["replicas"] == 3
    cp = cluster.kubectl("scale", f"{resource}/s", "-n", ns, "--replicas=5", "--current-replicas=2", check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == "error: Expected replicas to be 2, was 3"
    assert _get(cluster, f"{path}/s")["spec"]["replicas"] == 3
    cluster.kubectl("scale", f"{resource}/s", "-n", ns, "--replicas=0", "--current-replicas=3")
    assert _get(cluster, f"{path}/s")["spec"]["replicas"] == 0


# ---- edit ----------------------------------------------------------------------------------------

def _editor(tmp_path, name, body):
    script = tmp_path / name
    script.write_text("#!/usr/bin/env python3\nimport sys\npath = sys.argv[-1]\ntext = open(path).read()\n"
                      + textwrap.dedent(body) + "open(path, 'w').write(text)\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def _kubectl_with_editor(cluster, editor, *args):
    import subprocess
    argv = [cluster.kubectl_bin, "--kubeconfig", cluster.kubeconfig, "--cache-dir", str(cluster.kubectl_cache), *args]
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG",)}
    env["HOME"] = str(cluster.work_dir)
    env["KUBE_EDITOR"] = editor
    env["EDITOR"] = editor
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def test_edit_changes_a_field(cluster, ns, tmp_path):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    editor = _editor(tmp_path, "edit.py", """\
        text = text.replace('a: "1"', 'a: "edited"')
        """)
    cp = _kubectl_with_editor(cluster, editor, "edit", "configmap", "cfg", "-n", ns)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "configmap/cfg edited"
    cm = _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg")
    assert cm["data"] == {"a": "edited", "b": "2"}

    # Editing a deployment's image through the editor.
    _make_deploy(cluster, ns)
    editor = _editor(tmp_path, "edit2.py", """\
        text = text.replace('registry.example/app:1', 'registry.example/app:9')
        """)
    cp = _kubectl_with_editor(cluster, editor, "edit", "deployment/web", "-n", ns)
    assert cp.returncode == 0, cp.stderr
    dep = _get(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert _containers(dep)[0]["image"] == "registry.example/app:9"
    assert dep["metadata"]["generation"] == 2


def test_edit_that_makes_the_object_invalid(cluster, ns, tmp_path):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns)), 201)
    before = _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg")
    seen = tmp_path / "seen"
    seen.mkdir()
    # The editor adds an invalid label; kubectl then reopens it with the server's errors as comments,
    # and the same edit again makes kubectl give up.
    editor = _editor(tmp_path, "bad.py", f"""\
        import os
        n = len(os.listdir({str(seen)!r}))
        open(os.path.join({str(seen)!r}, str(n)), 'w').write(text)
        if '"bad key!"' not in text:
            text = text.replace('metadata:\\n', 'metadata:\\n  labels:\\n    "bad key!": "x"\\n', 1)
        """)
    cp = _kubectl_with_editor(cluster, editor, "edit", "configmap", "cfg", "-n", ns)
    assert cp.returncode == 1
    lines = cp.stderr.strip().splitlines()
    assert lines[0] == 'error: configmaps "cfg" is invalid'
    assert lines[-1] == "error: Edit cancelled, no valid changes were saved."
    reopened = (seen / "1").read_text()
    comments = [line for line in reopened.splitlines() if line.startswith("#")]
    assert '# configmaps "cfg" was not valid:' in comments
    assert any(line.startswith('# * metadata.labels: Invalid value: "bad key!": name part must consist of')
               for line in comments), comments
    assert _get(cluster, f"/api/v1/namespaces/{ns}/configmaps/cfg") == before
