"""Jobs on a real node, as a new user runs them with kubectl: an Indexed Job of 5 completions with
parallelism 2 runs each index once with its JOB_COMPLETION_INDEX; the backoff limit, a pod failure
policy, an active deadline and backoffLimitPerIndex fail a Job with upstream's conditions; a
suspended Job runs nothing until resumed; a finished Job with a TTL is deleted.

Runs on the shared `node_cluster` (runc): pods really run and exit."""
from __future__ import annotations

import json
import threading
import time

from node_cluster import IMAGE
from test_agent_pods import nns, wait_until  # noqa: F401 (nns is a fixture)


def job_manifest(name: str, command: str, **spec) -> dict:
    template_spec = {
        "restartPolicy": spec.pop("restartPolicy", "Never"), "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                        "command": ["sh", "-c", command]}],
    }
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": template_spec}}}
    body["spec"].update(spec)
    return body


def create(c, ns, body) -> None:
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(body))


def get_job(c, ns, name) -> dict:
    return c.ok_json(c.get(f"/apis/batch/v1/namespaces/{ns}/jobs/{name}"))


def job_pods(c, ns, name) -> list[dict]:
    r = c.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": f"batch.kubernetes.io/job-name={name}"})
    return c.ok_json(r)["items"]


def conditions(job) -> dict[str, dict]:
    return {x["type"]: x for x in job.get("status", {}).get("conditions", [])}


def wait_condition(c, ns, name, condition, timeout=90) -> dict:
    r = c.kubectl("wait", "-n", ns, f"--for=condition={condition}", f"job/{name}", f"--timeout={timeout}s",
                  timeout=timeout + 10)
    assert r.stdout.strip() == f"job.batch/{name} condition met", r.stdout
    return get_job(c, ns, name)


def assert_ended(job, final, interim, reason, message):
    conds = conditions(job)
    assert set(conds) >= {final, interim}, conds
    for t in (final, interim):
        assert (conds[t]["status"], conds[t]["reason"], conds[t]["message"]) == ("True", reason, message), conds[t]


def test_indexed_job_runs_each_index_once_two_at_a_time(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("idx", "echo index=$JOB_COMPLETION_INDEX; sleep 1", completions=5, parallelism=2,
                                completionMode="Indexed"))
    most_active, stop = [0], threading.Event()

    def watch_active():
        while not stop.is_set():
            running = [p for p in job_pods(c, nns, "idx") if p["status"].get("phase") in ("Pending", "Running")
                       and not p["metadata"].get("deletionTimestamp")]
            most_active[0] = max(most_active[0], len(running))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch_active, daemon=True)
    watcher.start()
    try:
        job = wait_condition(c, nns, "idx", "complete")
    finally:
        stop.set()
        watcher.join()
    assert 1 <= most_active[0] <= 2, most_active
    status = job["status"]
    assert (status["succeeded"], status["completedIndexes"], status["active"], status["ready"],
            status["terminating"], status["uncountedTerminatedPods"]) == (5, "0-4", 0, 0, 0, {}), status
    assert "failed" not in status and status["completionTime"] >= status["startTime"]
    assert_ended(job, "Complete", "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods")

    pods = job_pods(c, nns, "idx")
    indexes = sorted(int(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]) for p in pods)
    assert indexes == [0, 1, 2, 3, 4], indexes  # each index exactly once
    for p in pods:
        index = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert p["status"]["phase"] == "Succeeded"
        assert p["metadata"]["name"].startswith(f"idx-{index}-")
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == index
        assert p["spec"]["hostname"] == f"idx-{index}"
        assert not p["metadata"].get("finalizers")  # tracking finalizer released once counted
        assert c.kubectl("logs", "-n", nns, p["metadata"]["name"]).stdout == f"index={index}\n"
    row = c.kubectl("get", "job", "idx", "-n", nns).stdout.splitlines()
    assert row[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], row
    assert row[1].split()[:3] == ["idx", "Complete", "5/5"], row
    events = c.kubectl("get", "events", "-n", nns, "--field-selector", "involvedObject.name=idx",
                       "-o", "jsonpath={range .items[*]}{.reason}{'\\n'}{end}").stdout.split()
    assert events.count("SuccessfulCreate") == 5 and events.count("Completed") == 1, events


def test_backoff_limit_fails_the_job_after_retries(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("flaky", "exit 1", backoffLimit=1))
    job = wait_condition(c, nns, "flaky", "failed")
    assert_ended(job, "Failed", "FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert (job["status"]["failed"], job["status"]["active"]) == (2, 0), job["status"]
    pods = sorted(job_pods(c, nns, "flaky"), key=lambda p: p["metadata"]["creationTimestamp"])
    assert [p["status"]["phase"] for p in pods] == ["Failed", "Failed"]
    # the second pod waited out the 10 s backoff after the first failure
    first_end = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
    assert pods[1]["metadata"]["creationTimestamp"] >= first_end
    assert "Failed" in c.kubectl("get", "job", "flaky", "-n", nns).stdout.splitlines()[1].split()


def test_pod_failure_policy_fails_at_once_or_ignores(node_cluster, nns):
    c = node_cluster.cluster
    policy = {"rules": [
        {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
    ]}
    create(c, nns, job_manifest("fatal", "exit 42", backoffLimit=6, podFailurePolicy=policy))
    job = wait_condition(c, nns, "fatal", "failed")
    pod = job_pods(c, nns, "fatal")[0]["metadata"]["name"]
    assert_ended(job, "Failed", "FailureTarget", "PodFailurePolicy",
                 f"Container main for pod {nns}/{pod} failed with exit code 42 matching FailJob rule at index 0")
    assert job["status"]["failed"] == 1 and len(job_pods(c, nns, "fatal")) == 1
    assert job["spec"]["podReplacementPolicy"] == "Failed"


def test_active_deadline_stops_a_running_job(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("slow", "sleep 60", activeDeadlineSeconds=3))
    job = wait_condition(c, nns, "slow", "failed", timeout=40)
    assert_ended(job, "Failed", "FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline")
    assert (job["status"]["active"], job["status"]["failed"]) == (0, 1), job["status"]


def test_suspended_job_waits_until_resumed(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("later", "true", suspend=True, completions=2))
    job = wait_until("Suspended condition", lambda: (lambda j: j if "Suspended" in conditions(j) else None)(
        get_job(c, nns, "later")))
    cond = conditions(job)["Suspended"]
    assert (cond["status"], cond["reason"], cond["message"]) == ("True", "JobSuspended", "Job suspended")
    assert "startTime" not in job["status"] and job["status"]["active"] == 0
    time.sleep(1)
    assert job_pods(c, nns, "later") == []
    c.kubectl("patch", "job", "later", "-n", nns, "-p", '{"spec":{"suspend":false}}')
    job = wait_condition(c, nns, "later", "complete")
    cond = conditions(job)["Suspended"]
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "JobResumed", "Job resumed")
    assert job["status"]["succeeded"] == 2 and job["status"]["startTime"]
    reasons = c.kubectl("get", "events", "-n", nns, "--field-selector", "involvedObject.name=later",
                        "-o", "jsonpath={range .items[*]}{.reason}{'\\n'}{end}").stdout.split()
    assert {"Suspended", "Resumed", "Completed"} <= set(reasons), reasons


def test_backoff_limit_per_index_fails_only_that_index(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("per", '[ "$JOB_COMPLETION_INDEX" = 1 ] && exit 3; exit 0', completions=3,
                                parallelism=3, completionMode="Indexed", backoffLimitPerIndex=0))
    job = wait_condition(c, nns, "per", "failed")
    status = job["status"]
    assert (status["completedIndexes"], status["failedIndexes"], status["succeeded"], status["failed"]) == \
        ("0,2", "1", 2, 1), status
    assert_ended(job, "Failed", "FailureTarget", "FailedIndexes", "Job has failed indexes")


def test_ttl_deletes_a_finished_job_with_its_pods(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("brief", "true", ttlSecondsAfterFinished=2))
    wait_condition(c, nns, "brief", "complete")
    wait_until("job deleted after its TTL", lambda: c.get(f"/apis/batch/v1/namespaces/{nns}/jobs/brief").status_code == 404,
               timeout=30)
    wait_until("its pods deleted", lambda: job_pods(c, nns, "brief") == [], timeout=30)


def test_a_pod_relabelled_out_of_the_selector_is_released_and_replaced(node_cluster, nns):
    c = node_cluster.cluster
    create(c, nns, job_manifest("keep", "sleep 60"))
    first = wait_until("the Job's pod", lambda: job_pods(c, nns, "keep"), timeout=30)[0]["metadata"]["name"]
    # The selector is the controller-uid label: without it the pod is no longer the Job's.
    c.kubectl("label", "pod", first, "-n", nns, "batch.kubernetes.io/controller-uid-")

    def released():
        pod = c.ok_json(c.get(f"/api/v1/namespaces/{nns}/pods/{first}"))
        return pod if not pod["metadata"].get("ownerReferences") else None
    pod = wait_until("the owner reference gone", released, timeout=20)
    assert "batch.kubernetes.io/job-tracking" not in pod["metadata"].get("finalizers", []), pod["metadata"]
    others = wait_until("a replacement pod",
                        lambda: [p for p in job_pods(c, nns, "keep") if p["metadata"]["name"] != first], timeout=30)
    assert len(others) == 1, others
    assert get_job(c, nns, "keep")["status"].get("failed", 0) == 0
    c.kubectl("delete", "pod", first, "-n", nns, "--wait=false")
