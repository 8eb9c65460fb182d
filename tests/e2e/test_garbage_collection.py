"""Garbage collector, namespace and ServiceAccount controllers, through the real kubectl, on a
throw-away server (the controller manager runs inside `kyvern server`)."""
import json
import time

import pytest


def _poll(fn, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    return fn()


def _get(c, *args):
    cp = c.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(cp.stdout) if cp.returncode == 0 else None


def _owned_pair(c, ns, block=None):
    c.kubectl("-n", ns, "create", "configmap", "owner", "--from-literal=k=v")
    owner = _get(c, "-n", ns, "configmap", "owner")
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    if block is not None:
        ref["blockOwnerDeletion"] = block
    dep = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "dep", "namespace": ns, "ownerReferences": [ref]}, "data": {"k": "v"}}
    c.kubectl("create", "-f", "-", input=json.dumps(dep))
    return owner, ref


@pytest.fixture
def gc_server(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    c.create_namespace("gc")
    return c


def test_background_deletion_collects_dependent(gc_server):
    c = gc_server
    _owned_pair(c, "gc")
    out = c.kubectl("-n", "gc", "delete", "configmap", "owner", "--cascade=background")
    assert out.stdout == 'configmap "owner" deleted from gc namespace\n'
    assert _poll(lambda: _get(c, "-n", "gc", "configmap", "dep") is None)


def test_foreground_deletion_keeps_owner_until_dependent_is_gone(gc_server):
    c = gc_server
    _owned_pair(c, "gc", block=True)
    c.kubectl("-n", "gc", "patch", "configmap", "dep", "--type=merge",
              "-p", '{"metadata":{"finalizers":["example.com/hold"]}}')
    c.kubectl("-n", "gc", "delete", "configmap", "owner", "--cascade=foreground", "--wait=false")
    dep = _poll(lambda: (d := _get(c, "-n", "gc", "configmap", "dep")) and d["metadata"].get("deletionTimestamp") and d)
    assert dep["metadata"]["finalizers"] == ["example.com/hold"]
    owner = _get(c, "-n", "gc", "configmap", "owner")
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert owner["metadata"]["deletionTimestamp"]
    c.kubectl("-n", "gc", "patch", "configmap", "dep", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    assert _poll(lambda: _get(c, "-n", "gc", "configmap", "owner") is None)
    assert _get(c, "-n", "gc", "configmap", "dep") is None


def test_orphan_deletion_leaves_dependent_without_reference(gc_server):
    c = gc_server
    _owned_pair(c, "gc")
    c.kubectl("-n", "gc", "delete", "configmap", "owner", "--cascade=orphan")
    assert _poll(lambda: _get(c, "-n", "gc", "configmap", "owner") is None)
    time.sleep(1)
    dep = _get(c, "-n", "gc", "configmap", "dep")
    assert dep is not None
    assert "ownerReferences" not in dep["metadata"]


def test_namespace_contents_then_namespace_disappear(gc_server):
    c = gc_server
    c.kubectl("create", "namespace", "doomed")
    c.kubectl("-n", "doomed", "create", "configmap", "a", "--from-literal=k=v")
    c.kubectl("-n", "doomed", "create", "secret", "generic", "s", "--from-literal=k=v")
    c.kubectl("delete", "namespace", "doomed", "--wait=false")
    assert _poll(lambda: _get(c, "namespace", "doomed") is None)
    assert c.kubectl("-n", "doomed", "get", "configmaps,secrets", "-o", "name", check=False).stdout == ""


def test_default_service_account_appears_and_returns(gc_server):
    c = gc_server
    c.kubectl("create", "namespace", "fresh")
    sa = _poll(lambda: _get(c, "-n", "fresh", "serviceaccount", "default"))
    assert sa["metadata"]["name"] == "default"
    c.kubectl("-n", "fresh", "delete", "serviceaccount", "default")
    again = _poll(lambda: (s := _get(c, "-n", "fresh", "serviceaccount", "default")) and
                  s["metadata"]["uid"] != sa["metadata"]["uid"] and s)
    assert again["metadata"]["name"] == "default"
