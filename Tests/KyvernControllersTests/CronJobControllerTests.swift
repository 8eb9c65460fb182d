import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct CronScheduleTests {
    let utc = TimeZone(identifier: "UTC")!
    func at(_ text: String) -> Date { Timestamp.parse(text)! }

    func next(_ schedule: String, after: String, zone: TimeZone? = nil) throws -> String? {
        try CronSchedule(parsing: schedule, timeZone: zone ?? utc).next(after: at(after)).map(Timestamp.format)
    }

    @Test func fieldsRangesStepsAndNames() throws {
        #expect(try next("*/15 * * * *", after: "2026-01-01T10:07:30Z") == "2026-01-01T10:15:00Z")
        #expect(try next("* * * * *", after: "2026-01-01T10:07:00Z") == "2026-01-01T10:08:00Z")
        #expect(try next("30 6-16/4 * * 1-5", after: "2026-01-02T15:00:00Z") == "2026-01-05T06:30:00Z")  // Fri → Mon
        #expect(try next("0 0 1 jan,JUL *", after: "2026-02-01T00:00:00Z") == "2026-07-01T00:00:00Z")
        #expect(try next("0 12 * * sun", after: "2026-01-01T00:00:00Z") == "2026-01-04T12:00:00Z")
        #expect(try next("5/20 * * * ?", after: "2026-01-01T00:30:00Z") == "2026-01-01T00:45:00Z")
    }

    @Test func restrictedDayFieldsMatchEitherDay() throws {
        // The 13th or any Friday: Friday the 2nd comes first.
        #expect(try next("0 0 13 * 5", after: "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z")
        #expect(try next("0 0 13 * *", after: "2026-01-01T00:00:00Z") == "2026-01-13T00:00:00Z")
    }

    @Test func macros() throws {
        #expect(try next("@hourly", after: "2026-01-01T10:07:00Z") == "2026-01-01T11:00:00Z")
        #expect(try next("@daily", after: "2026-01-01T10:07:00Z") == "2026-01-02T00:00:00Z")
        #expect(try next("@weekly", after: "2026-01-01T10:07:00Z") == "2026-01-04T00:00:00Z")
        #expect(try next("@monthly", after: "2026-01-01T10:07:00Z") == "2026-02-01T00:00:00Z")
        #expect(try next("@yearly", after: "2026-01-01T10:07:00Z") == "2027-01-01T00:00:00Z")
        #expect(try next("@midnight", after: "2026-01-01T10:07:00Z") == "2026-01-02T00:00:00Z")
    }

    @Test func timeZones() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
        #expect(try next("0 9 * * *", after: "2026-01-01T10:00:00Z", zone: berlin) == "2026-01-02T08:00:00Z")
        #expect(try next("0 9 * * *", after: "2026-07-01T10:00:00Z", zone: berlin) == "2026-07-02T07:00:00Z")
    }

    @Test func invalidSchedules() {
        #expect(throws: CronSchedule.ParseError(description: "expected exactly 5 fields, found 4: [* * * *]")) {
            try CronSchedule(parsing: "* * * *")
        }
        #expect(throws: CronSchedule.ParseError(description: "end of range (60) above maximum (59): 0-60")) {
            try CronSchedule(parsing: "0-60 * * * *")
        }
        #expect(throws: CronSchedule.ParseError(description: "unrecognized descriptor: @often")) {
            try CronSchedule(parsing: "@often")
        }
        #expect((try? CronSchedule(parsing: "0 0 30 2 *"))?.next(after: Date()) == nil)
    }
}

@Suite struct CronJobControllerTests {
    static let now = Timestamp.parse("2026-01-01T10:00:30Z")!
    let key = ObjectKey(namespace: "default", name: "tick")
    let client = FakeClient()

    static func cronJob(schedule: String = "* * * * *", policy: String = "Allow", extra: [String: JSONValue] = [:],
                        status: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = [
            "schedule": .string(schedule), "concurrencyPolicy": .string(policy), "suspend": false,
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
            "jobTemplate": ["metadata": ["labels": ["team": "a"]], "spec": ["template": ["spec": [
                "restartPolicy": "Never", "containers": [["name": "main", "image": "busybox"]]]]]],
        ]
        for (k, v) in extra { spec[k] = v }
        var cj: JSONValue = ["apiVersion": "batch/v1", "kind": "CronJob",
                             "metadata": ["name": "tick", "namespace": "default"], "spec": .object(spec)]
        cj["status"] = status ?? ["lastScheduleTime": "2026-01-01T09:59:00Z"]
        return cj
    }

    func setUp(_ cronJob: JSONValue, jobs: (JSONValue) -> [JSONValue] = { _ in [] }) throws -> CronJobController {
        let seeded = try client.seed(CronJobController.resource, cronJob)[0]
        for job in jobs(seeded) { _ = try client.seed(.jobs, job) }
        return CronJobController(client: client, cronJobs: StaticCache(objects: client.objects(CronJobController.resource)),
                                 jobs: StaticCache(objects: client.objects(.jobs)), queue: nil,
                                 logger: Logger(label: "test"), now: { Self.now })
    }

    var cronJob: JSONValue { client.object(CronJobController.resource, namespace: "default", name: "tick")! }
    var jobs: [JSONValue] { client.objects(.jobs, namespace: "default") }

    func reasons(_ controller: CronJobController) async -> [String] {
        await controller.recorder.flush()
        return client.objects(.events, namespace: "default").compactMap { $0["reason"]?.stringValue }
    }

    func runningJob(_ name: String, of cj: JSONValue) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "Job",
         "metadata": ["name": .string(name), "namespace": "default", "ownerReferences": [
            ["apiVersion": "batch/v1", "kind": "CronJob", "name": "tick", "uid": .string(cj.uid ?? ""),
             "controller": true, "blockOwnerDeletion": true]]],
         "spec": [:], "status": ["active": 1]]
    }

    @Test func createsTheJobOfTheDueMinute() async throws {
        let controller = try setUp(Self.cronJob())
        try await controller.reconcile(key)
        // 10:00 is due; 29,454,360 minutes since the epoch.
        #expect(jobs.map(\.name) == ["tick-29454360"])
        let job = jobs[0]
        #expect(job.annotations == [CronJobController.scheduledTimestampAnnotation: "2026-01-01T10:00:00Z"])
        #expect(job.labels == ["team": "a"])
        #expect(job.ownerReferences.first?["kind"] == "CronJob" && job.ownerReferences.first?["controller"] == true)
        #expect(cronJob[path: ["status", "lastScheduleTime"]] == "2026-01-01T10:00:00Z")
        #expect(cronJob[path: ["status", "active"]]?.arrayValue?.map { $0["name"] } == ["tick-29454360"])
        #expect(await reasons(controller) == ["SuccessfulCreate"])
        // Looking again in the same minute creates nothing.
        try await CronJobController(client: client, cronJobs: StaticCache(objects: client.objects(CronJobController.resource)),
                                    jobs: StaticCache(objects: jobs), queue: nil, logger: Logger(label: "test"),
                                    now: { Self.now }).reconcile(key)
        #expect(jobs.count == 1)
    }

    @Test func forbidSkipsWhileAJobRuns() async throws {
        let controller = try setUp(Self.cronJob(policy: "Forbid")) { cj in [runningJob("tick-29454359", of: cj)] }
        var cj = cronJob
        cj["status"] = ["lastScheduleTime": "2026-01-01T09:59:00Z", "active": [
            ["kind": "Job", "name": "tick-29454359", "namespace": "default", "uid": .string(jobs[0].uid!)]]]
        _ = try await client.updateStatus(CronJobController.resource, namespace: "default", cj, options: WriteOptions())
        let fresh = CronJobController(client: client, cronJobs: StaticCache(objects: client.objects(CronJobController.resource)),
                                      jobs: StaticCache(objects: jobs), queue: nil, logger: Logger(label: "test"),
                                      now: { Self.now })
        try await fresh.reconcile(key)
        #expect(jobs.count == 1)
        #expect(await reasons(fresh) == ["JobAlreadyActive"])
        _ = controller
    }

    @Test func replaceDeletesTheRunningJobFirst() async throws {
        _ = try setUp(Self.cronJob(policy: "Replace")) { cj in [runningJob("tick-29454359", of: cj)] }
        var cj = cronJob
        cj["status"] = ["lastScheduleTime": "2026-01-01T09:59:00Z", "active": [
            ["kind": "Job", "name": "tick-29454359", "namespace": "default", "uid": .string(jobs[0].uid!)]]]
        _ = try await client.updateStatus(CronJobController.resource, namespace: "default", cj, options: WriteOptions())
        let controller = CronJobController(client: client, cronJobs: StaticCache(objects: client.objects(CronJobController.resource)),
                                           jobs: StaticCache(objects: jobs), queue: nil, logger: Logger(label: "test"),
                                           now: { Self.now })
        try await controller.reconcile(key)
        #expect(jobs.map(\.name) == ["tick-29454360"])
        #expect(cronJob[path: ["status", "active"]]?.arrayValue?.map { $0["name"] } == ["tick-29454360"])
        #expect(await reasons(controller) == ["SuccessfulDelete", "SuccessfulCreate"])
    }

    @Test func aScheduleOlderThanItsStartingDeadlineIsSkipped() async throws {
        // Due at 10:00:00, 30 s ago; a 10 s starting deadline no longer allows it.
        let controller = try setUp(Self.cronJob(extra: ["startingDeadlineSeconds": 10]))
        try await controller.reconcile(key)
        #expect(jobs.isEmpty)
        #expect(cronJob[path: ["status", "lastScheduleTime"]] == "2026-01-01T09:59:00Z")
        #expect(await reasons(controller).isEmpty)
    }

    @Test func suspendedCronJobsStartNothing() async throws {
        let controller = try setUp(Self.cronJob(extra: ["suspend": true]))
        try await controller.reconcile(key)
        #expect(jobs.isEmpty)
    }

    @Test func missedSchedulesRunOnceForTheMostRecentTime() throws {
        let schedule = try CronSchedule(parsing: "*/5 * * * *")
        // Down since 08:00: 24 schedules missed, only 10:00 runs.
        let times = try ScheduleTimes(schedule: schedule, cronJob: Self.cronJob(status: ["lastScheduleTime": "2026-01-01T08:00:00Z"]),
                                      now: Self.now)
        #expect(times.mostRecent == Timestamp.parse("2026-01-01T10:00:00Z") && times.missed == 24)
        // A starting deadline counts only what it still allows.
        let late = try ScheduleTimes(schedule: schedule, cronJob: Self.cronJob(
            extra: ["startingDeadlineSeconds": 20], status: ["lastScheduleTime": "2026-01-01T08:00:00Z"]), now: Self.now)
        #expect(late.mostRecent == nil && late.missed == 0)
        let none = try ScheduleTimes(schedule: schedule, cronJob: Self.cronJob(status: ["lastScheduleTime": "2026-01-01T10:00:00Z"]),
                                     now: Self.now)
        #expect(none.mostRecent == nil)
    }

    @Test func historyKeepsTheNewestFinishedJobs() async throws {
        func finished(_ name: String, _ type: String, start: String, cj: JSONValue) -> JSONValue {
            var job = runningJob(name, of: cj)
            job["status"] = ["startTime": .string(start), "conditions": [["type": .string(type), "status": "True"]]]
            return job
        }
        let controller = try setUp(Self.cronJob(extra: ["successfulJobsHistoryLimit": 1, "suspend": true])) { cj in
            [finished("tick-1", "Complete", start: "2026-01-01T09:00:00Z", cj: cj),
             finished("tick-2", "Complete", start: "2026-01-01T09:01:00Z", cj: cj),
             finished("tick-3", "Failed", start: "2026-01-01T09:02:00Z", cj: cj),
             finished("tick-4", "Failed", start: "2026-01-01T09:03:00Z", cj: cj)]
        }
        try await controller.reconcile(key)
        #expect(jobs.map(\.name) == ["tick-2", "tick-4"])
    }
}
