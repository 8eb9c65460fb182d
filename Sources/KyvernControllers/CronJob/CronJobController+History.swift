import Foundation
import KyvernAPI
import KyvernClient
import Logging

extension CronJobController {
    /// Deletes the oldest finished Jobs beyond `successfulJobsHistoryLimit` and
    /// `failedJobsHistoryLimit` (by start time, as upstream orders them). Best effort: a failed
    /// delete is retried at the next sync.
    func cleanUpHistory(_ cronJob: JSONValue, owned: [JSONValue]) async {
        let active = Set(cronJob[path: ["status", "active"]]?.arrayValue?.compactMap { $0["uid"]?.stringValue } ?? [])
        for (type, field) in [(JobCondition.complete, "successfulJobsHistoryLimit"), (JobCondition.failed, "failedJobsHistoryLimit")] {
            guard let limit = cronJob[path: ["spec", field]]?.intValue else { continue }
            let finished = owned.filter { JobCondition.finishedType($0) == type && !active.contains($0.uid ?? "") }
                .sorted { Self.startTime($0) < Self.startTime($1) }
            for job in finished.dropLast(Int(limit)) where job.deletionTimestamp == nil {
                do {
                    try await client.delete(.jobs, namespace: job.namespace, name: job.name ?? "",
                                            options: DeleteOptions(preconditionUID: job.uid, propagationPolicy: .background))
                    await recorder.normal(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(job.name ?? "")")
                } catch {
                    logger.debug("history clean-up failed", metadata: ["job": "\(job.name ?? "")", "error": "\(error)"])
                }
            }
        }
    }

    /// A Job's start time, else its creation time, for ordering the history.
    static func startTime(_ job: JSONValue) -> String {
        job[path: ["status", "startTime"]]?.stringValue ?? job.creationTimestamp ?? ""
    }
}
