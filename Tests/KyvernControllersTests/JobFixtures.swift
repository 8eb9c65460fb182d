import Foundation
import KyvernAPI
@testable import KyvernControllers

/// Jobs and their pods as the API server stores them, for the Job controller's tests.
enum JobFixtures {
    static func job(_ name: String = "work", completions: Int64? = 1, parallelism: Int64 = 1, indexed: Bool = false,
                    backoffLimit: Int64 = 6, extra: [String: JSONValue] = [:], status: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = [
            "parallelism": .int(parallelism), "backoffLimit": .int(backoffLimit),
            "completionMode": indexed ? "Indexed" : "NonIndexed", "suspend": false,
            "podReplacementPolicy": "TerminatingOrFailed",
            "selector": ["matchLabels": ["batch.kubernetes.io/controller-uid": "job-uid"]],
            "template": [
                "metadata": ["labels": ["batch.kubernetes.io/job-name": .string(name),
                                        "batch.kubernetes.io/controller-uid": "job-uid"]],
                "spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox"]]],
            ],
        ]
        if let completions { spec["completions"] = .int(completions) }
        for (key, value) in extra { spec[key] = value }
        var job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": .string(name), "namespace": "default", "generation": 1],
            "spec": .object(spec),
        ]
        if let status { job["status"] = status }
        return job
    }

    /// A pod of `job` in `phase`, holding the tracking finalizer unless `tracked` is false.
    static func pod(_ name: String, of job: JSONValue, phase: String = "Running", index: Int? = nil,
                    tracked: Bool = true, exitCode: Int64? = nil, finishedAt: String = "2026-01-01T00:59:00Z",
                    deleting: Bool = false) -> JSONValue {
        // The template's labels, as the Job controller stamps them: the selector matches them.
        var pod = Pods.pod(name, labels: ["batch.kubernetes.io/job-name": job.name ?? "",
                                          "batch.kubernetes.io/controller-uid": "job-uid"], phase: phase,
                           owner: ref(to: job), deleting: deleting,
                           annotations: index.map { [JobPodFacts.indexAnnotation: "\($0)"] } ?? [:])
        if tracked { pod[path: ["metadata", "finalizers"]] = [.string(JobPodFacts.trackingFinalizer)] }
        if phase == "Succeeded" || phase == "Failed" {
            pod[path: ["status", "containerStatuses"]] = [["name": "main", "restartCount": 0, "state": ["terminated": [
                "exitCode": .int(exitCode ?? (phase == "Succeeded" ? 0 : 1)), "finishedAt": .string(finishedAt),
            ]]]]
        }
        return pod
    }

    static func ref(to job: JSONValue) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "Job", "name": .string(job.name ?? ""), "uid": .string(job.uid ?? ""),
         "controller": true, "blockOwnerDeletion": true]
    }
}
