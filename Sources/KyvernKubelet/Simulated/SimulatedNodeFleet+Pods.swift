import Foundation
import KyvernAPI
import KyvernClient
import Logging
import Prometheus

extension SimulatedNodeFleet {
    /// Lists then watches all pods (one watch for every node), and performs the jobs the tracker
    /// decides, at most `concurrency` at once; re-lists when the watch's resourceVersion expired.
    func syncPods() async throws {
        let inProgress = Locked<Set<String>>([])
        var tracker = PodTracker(config: config, indexByName: indexByName)
        var resourceVersion: String?
        var failures = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while true {
                try Task.checkCancellation()
                do {
                    var jobs: [PodJob] = []
                    var stream: AsyncThrowingStream<WatchEvent, any Error>?
                    if resourceVersion == nil {
                        let (pods, listVersion) = try await listAllPods()
                        jobs = tracker.resync(pods, now: Date())
                        resourceVersion = listVersion
                        logger.info("pods listed", metadata: ["pods": "\(pods.count)", "onOurNodes": "\(tracker.known.count)"])
                    } else {
                        stream = try await client.watch(.pods, namespace: nil, options: ListOptions(
                            resourceVersion: resourceVersion, timeoutSeconds: Int.random(in: 300...600)))
                    }
                    var iterator = stream?.makeAsyncIterator()
                    while true {
                        for job in jobs where inProgress.withLock({ $0.insert(job.key).inserted }) {
                            if inFlight >= config.concurrency {
                                try await group.next()
                                inFlight -= 1
                            }
                            group.addTask {
                                await perform(job)
                                inProgress.withLock { _ = $0.remove(job.key) }
                            }
                            inFlight += 1
                        }
                        jobs = []
                        guard let event = try await iterator?.next() else { break }
                        failures = 0
                        switch event {
                        case .added(let pod), .modified(let pod):
                            resourceVersion = pod[path: ["metadata", "resourceVersion"]]?.stringValue ?? resourceVersion
                            if let job = tracker.observe(pod, now: Date()) { jobs.append(job) }
                        case .deleted(let pod):
                            resourceVersion = pod[path: ["metadata", "resourceVersion"]]?.stringValue ?? resourceVersion
                            tracker.forget(pod)
                        case .bookmark(let object):
                            resourceVersion = object[path: ["metadata", "resourceVersion"]]?.stringValue ?? resourceVersion
                        case .error(let error):
                            throw error
                        }
                    }
                } catch WatchError.expired {
                    resourceVersion = nil
                } catch let error where error.apiCode == 410 {
                    resourceVersion = nil
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    failures += 1
                    logger.warning("pod watch failed, retrying", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: min(.milliseconds(200) * (1 << min(failures, 5)), .seconds(5)))
                }
            }
        }
    }

    /// Every pod in the cluster, page by page, and the list's resourceVersion to watch from.
    func listAllPods() async throws -> ([JSONValue], String?) {
        var pods: [JSONValue] = []
        var token: String?
        var version: String?
        repeat {
            let page = try await Retry.run(attempts: nil, logger: logger, "listing pods") {
                try await client.list(.pods, namespace: nil, options: ListOptions(limit: 500, continueToken: token))
            }
            pods += page["items"]?.arrayValue ?? []
            version = page[path: ["metadata", "resourceVersion"]]?.stringValue ?? version
            token = page[path: ["metadata", "continue"]]?.stringValue
        } while token?.isEmpty == false
        return (pods, version)
    }

    /// Writes what `job` says, retrying transient failures; a pod gone meanwhile ends the job.
    func perform(_ job: PodJob) async {
        var logger = logger
        logger[metadataKey: "namespace"] = "\(job.namespace)"
        logger[metadataKey: "pod"] = "\(job.name)"
        do {
            switch job.kind {
            case .markRunning(let status):
                _ = try await Retry.run(logger: logger, "reporting pod running") {
                    try await client.patch(.pods, namespace: job.namespace, name: job.name, subresource: "status",
                                           type: .merge, ["status": status], options: .init())
                }
                metrics.podsStarted.increment()
                logger.debug("pod running")
            case .terminate(let status):
                if let status {
                    _ = try await Retry.run(logger: logger, "reporting pod containers stopped") {
                        try await client.patch(.pods, namespace: job.namespace, name: job.name, subresource: "status",
                                               type: .merge, ["status": status], options: .init())
                    }
                }
                _ = try await Retry.run(logger: logger, "deleting pod") {
                    try await client.delete(.pods, namespace: job.namespace, name: job.name,
                                            options: DeleteOptions(gracePeriodSeconds: 0, preconditionUID: job.uid))
                }
                metrics.podsDeleted.increment()
                logger.debug("pod deletion completed")
            }
        } catch let error where error.apiCode == 404 || error.apiCode == 409 {
            // Gone, or replaced by a pod of the same name: nothing left to do for this one.
        } catch {
            if Task.isCancelled { return }
            metrics.podErrors.increment()
            logger.warning("pod sync failed", metadata: ["error": "\(error)"])
        }
    }
}
