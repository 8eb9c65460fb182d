"""Controllers' events through upstream's correlation: a repeated condition is one Event whose count grows."""
import json
import time

import pytest


def _poll(fn, timeout=45.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    return fn()


@pytest.fixture
def own(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    c.create_namespace("ev")
    return c


def test_repeated_replica_set_create_error_is_one_event_with_a_count(own):
    # Annotations just under the 256 KiB limit: the Deployment is valid, but its ReplicaSet, which
    # carries them plus the controller's revision and replica annotations, is refused with the same
    # 422 on every attempt, and the controller retries.
    big = "x" * (262144 - 40 - len("example.com/big"))
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "big", "namespace": "ev", "annotations": {"example.com/big": big}},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "big"}},
                           "template": {"metadata": {"labels": {"app": "big"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}
    own.kubectl("create", "-f", "-", input=json.dumps(deployment))

    def failures():
        items = json.loads(own.kubectl("-n", "ev", "get", "events", "-o", "json").stdout)["items"]
        found = [e for e in items if e["reason"] == "ReplicaSetCreateError"]
        return found if found and found[0]["count"] >= 2 else None

    events = _poll(failures)
    assert events, "no repeated ReplicaSetCreateError event"
    assert len(events) == 1, [e["metadata"]["name"] for e in events]
    e = events[0]
    assert e["type"] == "Warning"
    assert e["message"].startswith('Failed to create new replica set "big-')
    assert e["message"].endswith("is invalid: metadata.annotations: Too long: must have at most 262144 bytes")
    assert e["involvedObject"]["kind"] == "Deployment" and e["involvedObject"]["name"] == "big"
    assert e["source"] == {"component": "deployment-controller"}
    assert e["metadata"]["name"].startswith("big.")
    assert e["firstTimestamp"] <= e["lastTimestamp"]

    # kubectl lists it once.
    rows = [line for line in own.kubectl("-n", "ev", "get", "events").stdout.splitlines()
            if "ReplicaSetCreateError" in line]
    assert len(rows) == 1, rows
    assert rows[0].split()[1:4] == ["Warning", "ReplicaSetCreateError", "deployment/big"]
