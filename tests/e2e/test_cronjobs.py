"""CronJobs as a new user runs them with kubectl: every minute under Forbid a running Job is never
joined by another, Replace swaps it, Allow lets them overlap, and history limits keep only the
newest finished Jobs (one test, so their minutes overlap); `kubectl create job --from=cronjob/x`;
a schedule missed while the controller was down is run once, for its most recent time, after a
restart.

The first tests run on the shared `node_cluster` (runc), so Jobs really run and finish."""
from __future__ import annotations

import calendar
import json
import time

from node_cluster import IMAGE
from test_agent_pods import nns, wait_until  # noqa: F401 (nns is a fixture)


def cronjob_manifest(name: str, schedule: str, command: str, **spec) -> dict:
    template = {"spec": {"backoffLimit": 0, "template": {"spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                        "command": ["sh", "-c", command]}]}}}}
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, "jobTemplate": template}}
    body["spec"].update(spec)
    return body


def jobs_of(c, ns, cronjob) -> list[dict]:
    items = c.ok_json(c.get(f"/apis/batch/v1/namespaces/{ns}/jobs"))["items"]
    return sorted((j for j in items if any(r.get("name") == cronjob and r.get("kind") == "CronJob"
                                          for r in j["metadata"].get("ownerReferences", []))),
                  key=lambda j: j["metadata"]["name"])


def get_cronjob(c, ns, name) -> dict:
    return c.ok_json(c.get(f"/apis/batch/v1/namespaces/{ns}/cronjobs/{name}"))


def event_reasons(c, ns, name) -> list[str]:
    return c.kubectl("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={name}",
                     "-o", "jsonpath={range .items[*]}{.reason}{'\\n'}{end}").stdout.split()


def minute_of(job) -> int:
    return int(job["metadata"]["name"].rsplit("-", 1)[1])


def test_concurrency_policies_and_history_every_minute(node_cluster, nns):
    c = node_cluster.cluster
    long_run = "sleep 300"
    for name, policy, command, extra in [
        ("forbid", "Forbid", long_run, {}),
        ("replace", "Replace", long_run, {}),
        ("allow", "Allow", long_run, {}),
        ("history", "Allow", "true", {"successfulJobsHistoryLimit": 1}),
    ]:
        c.kubectl("apply", "-n", nns, "-f", "-",
                  input=json.dumps(cronjob_manifest(name, "* * * * *", command, concurrencyPolicy=policy, **extra)))
    # Two schedules pass: Allow then runs two Jobs side by side.
    wait_until("two Jobs of the Allow CronJob", lambda: len(jobs_of(c, nns, "allow")) == 2, timeout=150, interval=1)
    time.sleep(3)  # the other CronJobs act on the same minute

    forbid = jobs_of(c, nns, "forbid")
    assert len(forbid) == 1, [j["metadata"]["name"] for j in forbid]
    cj = get_cronjob(c, nns, "forbid")
    assert [a["name"] for a in cj["status"]["active"]] == [forbid[0]["metadata"]["name"]]
    assert cj["status"]["lastScheduleTime"] < time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    reasons = event_reasons(c, nns, "forbid")
    assert reasons.count("SuccessfulCreate") == 1 and "JobAlreadyActive" in reasons, reasons

    allow = jobs_of(c, nns, "allow")
    assert minute_of(allow[1]) - minute_of(allow[0]) == 1
    cj = get_cronjob(c, nns, "allow")
    assert sorted(a["name"] for a in cj["status"]["active"]) == [j["metadata"]["name"] for j in allow]
    for job in allow:
        scheduled = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        assert calendar.timegm(time.strptime(scheduled, "%Y-%m-%dT%H:%M:%SZ")) == minute_of(job) * 60
        ref = job["metadata"]["ownerReferences"][0]
        assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == ("CronJob", "allow", True, True)

    wait_until("the replaced Job gone", lambda: len(jobs_of(c, nns, "replace")) == 1, timeout=30)
    replace = jobs_of(c, nns, "replace")
    cj = get_cronjob(c, nns, "replace")
    assert [a["name"] for a in cj["status"]["active"]] == [replace[0]["metadata"]["name"]]
    assert minute_of(replace[0]) == minute_of(allow[1])
    reasons = event_reasons(c, nns, "replace")
    assert reasons.count("SuccessfulCreate") == 2 and "SuccessfulDelete" in reasons, reasons

    wait_until("history trimmed to one Job", lambda: [minute_of(j) for j in jobs_of(c, nns, "history")] ==
               [minute_of(allow[1])], timeout=30)
    cj = wait_until("lastSuccessfulTime", lambda: (lambda x: x if x["status"].get("lastSuccessfulTime") else None)(
        get_cronjob(c, nns, "history")))
    assert "active" not in cj["status"]
    assert {"SawCompletedJob", "SuccessfulDelete"} <= set(event_reasons(c, nns, "history"))

    row = c.kubectl("get", "cronjob", "forbid", "-n", nns).stdout.splitlines()
    assert row[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"], row
    assert row[1].split()[:6] == ["forbid", "*", "*", "*", "*", "*"] and row[1].split()[6:9] == ["<none>", "False", "1"]


def test_create_job_from_cronjob(node_cluster, nns):
    c = node_cluster.cluster
    c.kubectl("apply", "-n", nns, "-f", "-", input=json.dumps(cronjob_manifest(
        "nightly", "@daily", "echo manual run", suspend=True, timeZone="Europe/Berlin")))
    out = c.kubectl("create", "job", "now", "-n", nns, "--from=cronjob/nightly").stdout
    assert out.strip() == "job.batch/now created"
    r = c.kubectl("wait", "-n", nns, "--for=condition=complete", "job/now", "--timeout=60s", timeout=70)
    assert r.stdout.strip() == "job.batch/now condition met"
    job = c.ok_json(c.get(f"/apis/batch/v1/namespaces/{nns}/jobs/now"))
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    ref = job["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"]) == ("CronJob", "nightly")
    assert job["status"]["succeeded"] == 1
    cj = get_cronjob(c, nns, "nightly")
    assert "active" not in cj.get("status", {}) and "lastScheduleTime" not in cj.get("status", {})
    row = c.kubectl("get", "cronjob", "nightly", "-n", nns).stdout.splitlines()[1].split()
    assert row[:5] == ["nightly", "@daily", "Europe/Berlin", "True", "0"], row


def test_missed_schedule_runs_once_after_restart(server_factory):
    p = server_factory.new("--controllers", "*,-cronjob")
    c = server_factory.client(p)
    c.create_namespace("missed")
    c.kubectl("apply", "-n", "missed", "-f", "-", input=json.dumps(cronjob_manifest("tick", "*/1 * * * *", "true")))
    # The controller was away for ten minutes: the last run it knows of is ten schedules back.
    cj = get_cronjob(c, "missed", "tick")
    ten_ago = (int(time.time()) // 60 - 10) * 60
    cj["status"] = {"lastScheduleTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ten_ago))}
    c.ok_json(c.put("/apis/batch/v1/namespaces/missed/cronjobs/tick/status", cj))
    time.sleep(2)
    assert jobs_of(c, "missed", "tick") == []  # no controller acted yet
    p.stop()
    p.extra_args = ()
    before = int(time.time()) // 60
    p.start()
    jobs = wait_until("the missed schedule run", lambda: jobs_of(c, "missed", "tick"), timeout=30)
    after = int(time.time()) // 60
    time.sleep(2)
    jobs = jobs_of(c, "missed", "tick")
    assert len(jobs) == 1, [j["metadata"]["name"] for j in jobs]  # one run, not ten
    assert before <= minute_of(jobs[0]) <= after
    cj = get_cronjob(c, "missed", "tick")
    assert cj["status"]["lastScheduleTime"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute_of(jobs[0]) * 60))
    assert cj["status"]["active"][0]["name"] == jobs[0]["metadata"]["name"]
