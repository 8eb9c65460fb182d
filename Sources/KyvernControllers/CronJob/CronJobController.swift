import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Creates a Job for each scheduled time of a CronJob (upstream's CronJob controller, v2).
///
/// A sync settles the Jobs the CronJob owns (finished ones leave `status.active`), then, unless
/// suspended, creates the Job of the most recent due schedule: not when past
/// `startingDeadlineSeconds`, not beside a running one under `Forbid`, after deleting the
/// running ones under `Replace`. Finished Jobs beyond the history limits are deleted, and the
/// CronJob is looked at again when its next schedule comes.
struct CronJobController: Reconciler {
    static let name = "cronjob"
    static let component = "cronjob-controller"
    static let kind = "CronJob"
    static let apiVersion = "batch/v1"
    static let resource = ResourceRef(group: "batch", version: "v1", resource: "cronjobs", namespaced: true)
    static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    let client: any KubernetesClient
    let cronJobs: any ObjectCache
    let jobs: any ObjectCache
    let recorder: EventRecorder
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date

    init(client: any KubernetesClient, cronJobs: any ObjectCache, jobs: any ObjectCache, queue: ControllerQueue?,
         logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.cronJobs = cronJobs
        self.jobs = jobs
        self.queue = queue
        self.logger = logger
        self.now = now
        self.recorder = EventRecorder(client: client, component: Self.component, logger: logger,
                                      fallbackKind: (kind: Self.kind, apiVersion: Self.apiVersion))
    }

    func reconcile(_ key: ObjectKey) async throws {
        guard var cronJob = await cronJobs.get(namespace: key.namespace, name: key.name) else { return }
        let original = cronJob
        let time = now()
        let owned = await jobs.list(index: .ownerUID, value: cronJob.uid ?? "").filter {
            $0.namespace == cronJob.namespace && ControllerRef(of: $0)?.uid == cronJob.uid
        }
        try await settleChildren(&cronJob, owned: owned)
        var requeueAt: Date?
        if cronJob.deletionTimestamp == nil {
            requeueAt = try await schedule(&cronJob, owned: owned, now: time)
        }
        if (cronJob["status"] ?? [:]) != (original["status"] ?? [:]) {
            cronJob = try await client.updateStatus(Self.resource, namespace: cronJob.namespace, cronJob,
                                                    options: WriteOptions())
        }
        await cleanUpHistory(cronJob, owned: owned)
        if let requeueAt {
            // A little after the minute starts, so the schedule is due when we look.
            let delay = max(0, requeueAt.timeIntervalSince(now())) + 0.1
            await queue?.addAfter(key, delay: .milliseconds(Int64(delay * 1000)))
        }
    }

    /// Drops finished and vanished Jobs from `status.active` and records the last success.
    func settleChildren(_ cronJob: inout JSONValue, owned: [JSONValue]) async throws {
        var active = cronJob[path: ["status", "active"]]?.arrayValue ?? []
        let activeUIDs = Set(active.compactMap { $0["uid"]?.stringValue })
        for job in owned {
            let uid = job.uid ?? ""
            let finished = JobCondition.finishedType(job)
            if let finished, activeUIDs.contains(uid) {
                active.removeAll { $0["uid"]?.stringValue == uid }
                await recorder.normal(cronJob, reason: "SawCompletedJob",
                                      message: "Saw completed job: \(job.name ?? ""), condition: \(finished)")
            } else if finished == nil, !activeUIDs.contains(uid) {
                await recorder.warning(cronJob, reason: "UnexpectedJob",
                                       message: "Saw a job that the controller did not create or forgot: \(job.name ?? "")")
            }
            if finished == JobCondition.complete,
               let completed = job[path: ["status", "completionTime"]]?.stringValue.flatMap(Timestamp.parse) {
                let last = cronJob[path: ["status", "lastSuccessfulTime"]]?.stringValue.flatMap(Timestamp.parse)
                if last.map({ completed > $0 }) ?? true {
                    cronJob[path: ["status", "lastSuccessfulTime"]] = .string(Timestamp.format(completed))
                }
            }
        }
        // An active Job missing from the cache may just be newer than it: ask the API.
        let ownedUIDs = Set(owned.compactMap(\.uid))
        for ref in active where !ownedUIDs.contains(ref["uid"]?.stringValue ?? "") {
            let name = ref["name"]?.stringValue ?? ""
            do {
                let job = try await client.get(.jobs, namespace: cronJob.namespace, name: name)
                if job.uid == ref["uid"]?.stringValue { continue }
            } catch let error as APIError where error.code == 404 {
            }
            active.removeAll { $0["uid"] == ref["uid"] }
            await recorder.normal(cronJob, reason: "MissingJob", message: "Active job went missing: \(name)")
        }
        cronJob[path: ["status", "active"]] = active.isEmpty ? nil : .array(active)
    }

    /// Starts the due Job, if any; returns when to look again (nil: not until the CronJob changes).
    func schedule(_ cronJob: inout JSONValue, owned: [JSONValue], now: Date) async throws -> Date? {
        let zoneName = cronJob[path: ["spec", "timeZone"]]?.stringValue
        var zone = TimeZone(identifier: "UTC")!
        if let zoneName {
            guard let found = TimeZone(identifier: zoneName) else {
                await recorder.warning(cronJob, reason: "UnknownTimeZone",
                                       message: "invalid timeZone: \"\(zoneName)\": unknown time zone \(zoneName)")
                return nil
            }
            zone = found
        }
        let text = cronJob[path: ["spec", "schedule"]]?.stringValue ?? ""
        let schedule: CronSchedule
        let times: ScheduleTimes
        do {
            schedule = try CronSchedule(parsing: text, timeZone: zone)
            times = try ScheduleTimes(schedule: schedule, cronJob: cronJob, now: now)
        } catch {
            await recorder.warning(cronJob, reason: "UnparseableSchedule",
                                   message: "unparseable schedule: \"\(text)\" : \(error.description)")
            return nil
        }
        if cronJob[path: ["spec", "suspend"]]?.boolValue == true { return nil }
        let next = schedule.next(after: now)
        guard let scheduled = times.mostRecent else { return next }
        if times.missed > ScheduleTimes.tooManyMissed {
            await recorder.warning(cronJob, reason: "TooManyMissedTimes", message:
                "too many missed start times: \(times.missed). Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        }
        if let deadline = cronJob[path: ["spec", "startingDeadlineSeconds"]]?.intValue,
           scheduled.addingTimeInterval(TimeInterval(deadline)) < now {
            await recorder.warning(cronJob, reason: "MissSchedule",
                                   message: "Missed scheduled time to start a job: \(Self.rfc1123Z(scheduled, zone: zone))")
            return next
        }
        let jobName = Self.jobName(cronJob, scheduled: scheduled)
        var active = cronJob[path: ["status", "active"]]?.arrayValue ?? []
        if active.contains(where: { $0["name"]?.stringValue == jobName })
            || cronJob[path: ["status", "lastScheduleTime"]]?.stringValue == Timestamp.format(scheduled) {
            return next
        }
        switch cronJob[path: ["spec", "concurrencyPolicy"]]?.stringValue {
        case "Forbid" where !active.isEmpty:
            await recorder.normal(cronJob, reason: "JobAlreadyActive",
                                  message: "Not starting job because prior execution is running and concurrency policy is Forbid")
            return next
        case "Replace":
            for ref in active {
                let name = ref["name"]?.stringValue ?? ""
                do {
                    try await client.delete(.jobs, namespace: cronJob.namespace, name: name,
                                            options: DeleteOptions(propagationPolicy: .background))
                } catch let error as APIError where error.code == 404 {
                } catch {
                    await recorder.warning(cronJob, reason: "FailedDelete", message: "Deleted job: \(errorText(error))")
                    throw error
                }
                await recorder.normal(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(name)")
            }
            active = []
        default:
            break
        }
        let job: JSONValue
        do {
            job = try await client.create(.jobs, namespace: cronJob.namespace,
                                          Self.job(for: cronJob, scheduled: scheduled, zone: zone), options: WriteOptions())
            await recorder.normal(cronJob, reason: "SuccessfulCreate", message: "Created job \(job.name ?? "")")
        } catch let error as APIError where error.code == 409 {
            // Made by an earlier sync whose status write was lost: it is ours if it says so.
            let existing = try await client.get(.jobs, namespace: cronJob.namespace, name: jobName)
            guard ControllerRef(of: existing)?.uid == cronJob.uid else { return next }
            job = existing
        } catch {
            await recorder.warning(cronJob, reason: "FailedCreate", message: "Error creating job: \(errorText(error))")
            throw error
        }
        if JobCondition.finishedType(job) == nil {
            active.append(["kind": "Job", "namespace": .string(job.namespace ?? ""), "name": .string(job.name ?? ""),
                           "uid": .string(job.uid ?? ""), "apiVersion": "batch/v1",
                           "resourceVersion": .string(job.resourceVersion ?? "")])
        }
        cronJob[path: ["status", "active"]] = active.isEmpty ? nil : .array(active)
        cronJob[path: ["status", "lastScheduleTime"]] = .string(Timestamp.format(scheduled))
        return next
    }

    /// `<cronjob>-<scheduled time in minutes since the epoch>`: one name per schedule, so a
    /// schedule is never run twice.
    static func jobName(_ cronJob: JSONValue, scheduled: Date) -> String {
        "\(cronJob.name ?? "")-\(Int64(scheduled.timeIntervalSince1970) / 60)"
    }

    /// The Job of one schedule: the template's labels, annotations and spec, the scheduled time
    /// (in the CronJob's zone) as an annotation, owned by the CronJob.
    static func job(for cronJob: JSONValue, scheduled: Date, zone: TimeZone) -> JSONValue {
        let template = cronJob[path: ["spec", "jobTemplate"]] ?? [:]
        var annotations = template[path: ["metadata", "annotations"]]?.objectValue ?? [:]
        annotations[scheduledTimestampAnnotation] = .string(rfc3339(scheduled, zone: zone))
        var metadata: [String: JSONValue] = [
            "name": .string(jobName(cronJob, scheduled: scheduled)),
            "annotations": .object(annotations),
            "ownerReferences": [ControllerRef(owner: cronJob, apiVersion: apiVersion, kind: kind).json],
        ]
        if let labels = template[path: ["metadata", "labels"]], labels.objectValue?.isEmpty == false {
            metadata["labels"] = labels
        }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": .object(metadata),
                "spec": template["spec"] ?? [:]]
    }

    static func rfc3339(_ date: Date, zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = zone.secondsFromGMT(for: date) == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ssxxx"
        return formatter.string(from: date)
    }

    static func rfc1123Z(_ date: Date, zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
