import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct JobControllerTests {
    static let now = Timestamp.parse("2026-01-01T01:00:00Z")!
    let key = ObjectKey(namespace: "default", name: "work")
    let client = FakeClient()

    /// Seeds `job` and the pods `pods(job)` builds for the seeded Job; the caches hold exactly them.
    func setUp(_ job: JSONValue, released: ReleasedFinalizers = ReleasedFinalizers(),
               pods: (JSONValue) -> [JSONValue] = { _ in [] }) throws -> JobController {
        let seeded = try client.seed(.jobs, job)[0]
        for pod in pods(seeded) { _ = try client.seed(.pods, pod) }
        return controller(released: released)
    }

    func controller(released: ReleasedFinalizers = ReleasedFinalizers(), pods: [JSONValue]? = nil) -> JobController {
        JobController(client: client, jobs: StaticCache(objects: client.objects(.jobs)),
                      pods: StaticCache(objects: pods ?? client.objects(.pods)), released: released, queue: nil,
                      logger: Logger(label: "test"), now: { Self.now })
    }

    var job: JSONValue { client.object(.jobs, namespace: "default", name: "work")! }
    var status: JSONValue { job["status"] ?? [:] }
    func conditionTypes() -> [String] { status["conditions"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? [] }

    @Test func startsParallelismPodsCarryingTheTrackingFinalizer() async throws {
        let controller = try setUp(JobFixtures.job(completions: 5, parallelism: 2))
        try await controller.reconcile(key)
        let pods = client.objects(.pods, namespace: "default")
        #expect(pods.count == 2)
        for pod in pods {
            #expect(pod.generateName == "work-")
            #expect(pod.finalizers == [JobPodFacts.trackingFinalizer])
            #expect(pod.ownerReferences == [JobFixtures.ref(to: job)])
            #expect(pod.labels["batch.kubernetes.io/job-name"] == "work")
        }
        #expect(status == ["active": 2, "ready": 0, "terminating": 0, "uncountedTerminatedPods": [:],
                           "startTime": "2026-01-01T01:00:00Z"])
    }

    @Test func anOrphanPodTheSelectorMatchesIsAdoptedWithTheTrackingFinalizerAndCounts() async throws {
        let controller = try setUp(JobFixtures.job(completions: 2, parallelism: 2)) { _ in
            [Pods.pod("left-behind", labels: ["batch.kubernetes.io/controller-uid": "job-uid"], phase: "Running")]
        }
        try await controller.reconcile(key)
        let adopted = try #require(client.object(.pods, namespace: "default", name: "left-behind"))
        #expect(adopted.ownerReferences == [JobFixtures.ref(to: job)])
        #expect(adopted.finalizers == [JobPodFacts.trackingFinalizer])
        #expect(client.objects(.pods, namespace: "default").count == 1)  // nothing created in the adopting pass

        try await self.controller().reconcile(key)  // the caches now show the pod as the Job's
        #expect(client.objects(.pods, namespace: "default").count == 2)  // one more makes parallelism 2
        #expect(status["active"] == 2)
    }

    @Test func anOrphanTheSelectorDoesNotMatchIsLeftAlone() async throws {
        let controller = try setUp(JobFixtures.job(completions: 1, parallelism: 1)) { _ in
            [Pods.pod("stranger", labels: ["app": "other"], phase: "Running")]
        }
        try await controller.reconcile(key)
        #expect(client.object(.pods, namespace: "default", name: "stranger")?.ownerReferences == [])
        #expect(client.objects(.pods, namespace: "default").count == 2)
    }

    @Test func anOwnedPodThatStopsMatchingIsReleasedWithoutItsFinalizerAndReplaced() async throws {
        let controller = try setUp(JobFixtures.job(completions: 1, parallelism: 1)) { job in
            var pod = Pods.pod("relabelled", labels: ["app": "moved"], phase: "Running", owner: JobFixtures.ref(to: job))
            pod[path: ["metadata", "finalizers"]] = [.string(JobPodFacts.trackingFinalizer)]
            return [pod]
        }
        try await controller.reconcile(key)
        let released = try #require(client.object(.pods, namespace: "default", name: "relabelled"))
        #expect(released.ownerReferences == [])
        #expect(released.finalizers == [])
        // Not counted as the Job's: a replacement keeps parallelism 1.
        #expect(client.objects(.pods, namespace: "default").count == 2)
        #expect(status["active"] == 1)
    }

    @Test func indexedPodsGetTheirIndexHostnameAndEnvironment() async throws {
        let controller = try setUp(JobFixtures.job(completions: 3, parallelism: 2, indexed: true))
        try await controller.reconcile(key)
        let pods = client.objects(.pods, namespace: "default").sorted { $0.name! < $1.name! }
        #expect(pods.map { $0.annotations[JobPodFacts.indexAnnotation] } == ["0", "1"])
        for (i, pod) in pods.enumerated() {
            #expect(pod.generateName == "work-\(i)-")
            #expect(pod.labels[JobPodFacts.indexLabel] == "\(i)")
            #expect(pod[path: ["spec", "hostname"]] == .string("work-\(i)"))
            #expect(pod[path: ["spec", "containers"]]?.arrayValue?[0]["env"] == [[
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": ["fieldRef": ["apiVersion": "v1",
                                           "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"]],
            ]])
        }
    }

    @Test func aSucceededPodIsCountedOnceAndCompletesTheJob() async throws {
        let released = ReleasedFinalizers()
        let controller = try setUp(JobFixtures.job(), released: released) { job in
            [JobFixtures.pod("work-a", of: job, phase: "Succeeded")]
        }
        let stale = client.objects(.pods)
        try await controller.reconcile(key)
        #expect(client.object(.pods, namespace: "default", name: "work-a")?.finalizers == [])
        #expect(status["succeeded"] == 1 && status["uncountedTerminatedPods"] == [:])
        #expect(conditionTypes() == ["SuccessCriteriaMet", "Complete"])
        #expect(status["completionTime"] == "2026-01-01T01:00:00Z")
        let complete = status["conditions"]!.arrayValue![1]
        #expect(complete["reason"] == "CompletionsReached" && complete["message"] == "Reached expected number of succeeded pods")
        // The uncounted uids were written before the finalizer went.
        let statusWrites = client.writes.filter { $0.subresource == "status" }
        #expect(statusWrites.count == 2)
        await controller.recorder.flush()
        #expect(client.objects(.events, namespace: "default").map { $0["reason"] } == ["Completed"])

        // A cache still showing the finalizer must not count the pod again (the Job is finished
        // here, so check with an unfinished copy of it).
        var unfinished = job
        unfinished[path: ["status", "conditions"]] = nil
        unfinished[path: ["spec", "completions"]] = 2
        _ = try await client.update(.jobs, namespace: "default", unfinished, options: WriteOptions())
        try await self.controller(released: released, pods: stale).reconcile(key)
        #expect(status["succeeded"] == 1)
    }

    @Test func theBackoffLimitFailsTheJobAndStopsItsPods() async throws {
        let controller = try setUp(JobFixtures.job(completions: 2, parallelism: 2, backoffLimit: 0)) { job in
            [JobFixtures.pod("work-a", of: job, phase: "Failed"), JobFixtures.pod("work-b", of: job)]
        }
        try await controller.reconcile(key)
        #expect(client.object(.pods, namespace: "default", name: "work-b")?.deletionTimestamp != nil)
        #expect(status["failed"] == 1)
        // One pod was still running: only the interim condition so far.
        #expect(conditionTypes() == ["FailureTarget"])
        let target = status["conditions"]!.arrayValue![0]
        #expect(target["reason"] == "BackoffLimitExceeded" && target["message"] == "Job has reached the specified backoff limit")
        // The deleted pod is counted and released, then gone: the Job has failed.
        try await self.controller().reconcile(key)
        try await self.controller().reconcile(key)
        #expect(client.object(.pods, namespace: "default", name: "work-b") == nil)
        #expect(conditionTypes() == ["FailureTarget", "Failed"])
        #expect(status["failed"] == 2)
        #expect(status["completionTime"] == nil)
    }

    @Test func aFailJobRuleEndsTheJobWithItsMessageAndIgnoreDoesNotCount() async throws {
        let policy: JSONValue = ["rules": [
            ["action": "Ignore", "onExitCodes": ["operator": "In", "values": [7]]],
            ["action": "FailJob", "onExitCodes": ["containerName": "main", "operator": "In", "values": [42]]],
        ]]
        let controller = try setUp(JobFixtures.job(backoffLimit: 0, extra: ["podFailurePolicy": policy,
                                                                            "podReplacementPolicy": "Failed"])) { job in
            [JobFixtures.pod("work-a", of: job, phase: "Failed", exitCode: 7)]
        }
        try await controller.reconcile(key)
        #expect(status["failed"] == nil && conditionTypes().isEmpty)
        #expect(client.objects(.pods, namespace: "default").count == 2)  // replaced, not counted

        _ = try client.seed(.pods, JobFixtures.pod("work-z", of: job, phase: "Failed", exitCode: 42))
        try await self.controller().reconcile(key)
        #expect(conditionTypes().first == "FailureTarget")
        let target = status["conditions"]!.arrayValue![0]
        #expect(target["reason"] == "PodFailurePolicy")
        #expect(target["message"] == "Container main for pod default/work-z failed with exit code 42 matching FailJob rule at index 1")
    }

    @Test func suspendingDeletesPodsAndClearsTheStartTime() async throws {
        let controller = try setUp(JobFixtures.job(extra: ["suspend": true],
                                                   status: ["startTime": "2026-01-01T00:00:00Z", "active": 1])) { job in
            [JobFixtures.pod("work-a", of: job)]
        }
        try await controller.reconcile(key)
        // Deleted and released from tracking at once: not to be counted as a failure.
        #expect(client.object(.pods, namespace: "default", name: "work-a") == nil)
        #expect(status["startTime"] == nil && status["active"] == 0 && status["terminating"] == 1)
        let suspended = status["conditions"]!.arrayValue![0]
        #expect(suspended["type"] == "Suspended" && suspended["status"] == "True" && suspended["reason"] == "JobSuspended")

        var resumed = job
        resumed[path: ["spec", "suspend"]] = false
        _ = try await client.update(.jobs, namespace: "default", resumed, options: WriteOptions())
        try await self.controller().reconcile(key)
        let condition = status["conditions"]!.arrayValue![0]
        #expect(condition["status"] == "False" && condition["reason"] == "JobResumed" && condition["message"] == "Job resumed")
        #expect(status["startTime"] == "2026-01-01T01:00:00Z")
        // The pod deleted for the suspension is not a failure: no backoff delays the new one.
        #expect(status["failed"] == nil)
        #expect(client.objects(.pods, namespace: "default").count == 1)
    }

    @Test func theActiveDeadlineFailsARunningJob() async throws {
        let controller = try setUp(JobFixtures.job(extra: ["activeDeadlineSeconds": 30],
                                                   status: ["startTime": "2026-01-01T00:59:00Z"])) { job in
            [JobFixtures.pod("work-a", of: job)]
        }
        try await controller.reconcile(key)
        #expect(client.object(.pods, namespace: "default", name: "work-a")?.deletionTimestamp != nil)
        let target = status["conditions"]!.arrayValue![0]
        #expect(target["type"] == "FailureTarget" && target["reason"] == "DeadlineExceeded"
                && target["message"] == "Job was active longer than specified deadline")
    }

    @Test func failedPodsAreReplacedOnlyAfterTheBackoff() async throws {
        // Failed 5 s ago: the first backoff (10 s) is not over.
        let controller = try setUp(JobFixtures.job(status: ["startTime": "2026-01-01T00:50:00Z"])) { job in
            [JobFixtures.pod("work-a", of: job, phase: "Failed", finishedAt: "2026-01-01T00:59:55Z")]
        }
        try await controller.reconcile(key)
        #expect(client.objects(.pods, namespace: "default").count == 1)
        #expect(status["failed"] == 1 && status["active"] == 0)
        #expect(JobBackoff.remaining(pods: client.objects(.pods), spec: JobSpec(job), now: Self.now) == 5)
        // Two failures in a row: 20 s after the second.
        let spec = JobSpec(job)
        let twice = [JobFixtures.pod("a", of: job, phase: "Failed", finishedAt: "2026-01-01T00:59:30Z"),
                     JobFixtures.pod("b", of: job, phase: "Failed", finishedAt: "2026-01-01T00:59:50Z")]
        #expect(JobBackoff.remaining(pods: twice, spec: spec, now: Self.now) == 10)
        let afterSuccess = twice + [JobFixtures.pod("c", of: job, phase: "Succeeded", finishedAt: "2026-01-01T00:59:55Z")]
        #expect(JobBackoff.remaining(pods: afterSuccess, spec: spec, now: Self.now) == 0)
    }

    @Test func anIndexWhosePodSucceededIsNotRunAgainWhileTheStatusLags() async throws {
        // Index 0's pod succeeded and its finalizer is gone, but the cached Job does not yet list it.
        let controller = try setUp(JobFixtures.job(completions: 2, parallelism: 2, indexed: true)) { job in
            [JobFixtures.pod("work-0", of: job, phase: "Succeeded", index: 0, tracked: false)]
        }
        try await controller.reconcile(key)
        let indexes = client.objects(.pods, namespace: "default").compactMap { $0.annotations[JobPodFacts.indexAnnotation] }.sorted()
        #expect(indexes == ["0", "1"])  // only index 1 started; index 0 not again
    }

    @Test func backoffLimitPerIndexFailsOnlyThatIndex() async throws {
        let controller = try setUp(JobFixtures.job(completions: 3, parallelism: 3, indexed: true,
                                                   extra: ["backoffLimitPerIndex": 0])) { job in
            [JobFixtures.pod("work-0", of: job, phase: "Succeeded", index: 0),
             JobFixtures.pod("work-1", of: job, phase: "Failed", index: 1),
             JobFixtures.pod("work-2", of: job, phase: "Succeeded", index: 2)]
        }
        try await controller.reconcile(key)
        #expect(status["completedIndexes"] == "0,2" && status["failedIndexes"] == "1")
        #expect(status["succeeded"] == 2 && status["failed"] == 1)
        #expect(conditionTypes() == ["FailureTarget", "Failed"])
        #expect(status["conditions"]!.arrayValue![1]["reason"] == "FailedIndexes")
        #expect(client.objects(.pods, namespace: "default").count == 3)  // no retry of index 1
    }

    @Test func aReplacementPodCarriesItsIndexFailureCount() {
        let job = JobFixtures.job(completions: 2, indexed: true, extra: ["backoffLimitPerIndex": 2])
        let history = [JobFixtures.pod("a", of: job, phase: "Failed", index: 1)]
        let request = JobController.request(index: 1, history: history, spec: JobSpec(job))
        #expect(request.failureCount == 1 && request.ignoredFailureCount == 0)
        let pod = JobPodTemplate.pod(for: job, index: 1, failureCount: 1, controllerRef: ControllerRef(
            owner: job, apiVersion: "batch/v1", kind: "Job"))
        #expect(pod.annotations[JobPodFacts.indexFailureCountAnnotation] == "1")
    }

    @Test func aFinishedJobReleasesItsPodsAndAGoneJobItsOrphans() async throws {
        let done = JobFixtures.job(status: ["conditions": [["type": "Complete", "status": "True"]]])
        let controller = try setUp(done) { job in [JobFixtures.pod("work-a", of: job, phase: "Succeeded")] }
        try await controller.reconcile(key)
        #expect(client.object(.pods, namespace: "default", name: "work-a")?.finalizers == [])

        let orphan = JobFixtures.pod("gone-a", of: ["metadata": ["name": "gone", "uid": "old-uid"]])
        _ = try client.seed(.pods, orphan)
        try await self.controller().reconcile(ObjectKey(namespace: "default", name: "gone"))
        #expect(client.object(.pods, namespace: "default", name: "gone-a")?.finalizers == [])
    }

    @Test func completionIndexesReadAndWriteUpstreamsIntervals() {
        let parsed = CompletionIndexes(parsing: "0-2,5,7-8", limit: 8)
        #expect(parsed.values == [0, 1, 2, 5, 7])
        #expect(parsed.text == "0-2,5,7")
        #expect(CompletionIndexes([3, 1, 2, 9]).text == "1-3,9")
        #expect(CompletionIndexes([4, 5]).text == "4-5")
        #expect(CompletionIndexes().text == "")
        #expect(parsed.contains(5) && !parsed.contains(6))
    }

    @Test func theTTLCountsFromTheFinishedCondition() {
        var job = JobFixtures.job(extra: ["ttlSecondsAfterFinished": 100])
        #expect(TTLAfterFinishedController.remaining(job, now: Self.now) == nil)
        job["status"] = ["conditions": [["type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T00:59:00Z"]]]
        #expect(TTLAfterFinishedController.remaining(job, now: Self.now) == 40)
        job[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T01:00:00Z"
        #expect(TTLAfterFinishedController.remaining(job, now: Self.now) == nil)
    }
}
