import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Deletes finished Jobs `ttlSecondsAfterFinished` after they finished (upstream's
/// ttl-after-finished controller), in the foreground so their pods go first.
///
/// The cached Job decides when to look; the deletion itself is decided on a fresh copy from
/// the API and guarded by its uid and resourceVersion, so a TTL changed meanwhile is honoured.
struct TTLAfterFinishedController: Reconciler {
    static let name = "ttl-after-finished"

    let client: any KubernetesClient
    let jobs: any ObjectCache
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }

    func reconcile(_ key: ObjectKey) async throws {
        guard let cached = await jobs.get(namespace: key.namespace, name: key.name),
              let wait = Self.remaining(cached, now: now()) else { return }
        if wait > 0 {
            await queue?.addAfter(key, delay: .milliseconds(Int64((wait * 1000).rounded(.up))))
            return
        }
        let fresh: JSONValue
        do {
            fresh = try await client.get(.jobs, namespace: key.namespace, name: key.name)
        } catch let error as APIError where error.code == 404 {
            return
        }
        guard let freshWait = Self.remaining(fresh, now: now()) else { return }
        if freshWait > 0 {
            await queue?.addAfter(key, delay: .milliseconds(Int64((freshWait * 1000).rounded(.up))))
            return
        }
        logger.info("deleting finished job after its TTL", metadata: ["job": "\(key)"])
        do {
            try await client.delete(.jobs, namespace: key.namespace, name: key.name, options: DeleteOptions(
                preconditionUID: fresh.uid, preconditionResourceVersion: fresh.resourceVersion,
                propagationPolicy: .foreground))
        } catch let error as APIError where error.code == 404 {
            return
        }
    }

    /// Seconds until `job` expires (≤ 0: now), nil when it has no TTL, has not finished or is
    /// already being deleted.
    static func remaining(_ job: JSONValue, now: Date) -> TimeInterval? {
        guard job.deletionTimestamp == nil,
              let ttl = job[path: ["spec", "ttlSecondsAfterFinished"]]?.intValue,
              let type = JobCondition.finishedType(job),
              let finished = JobCondition.find(job, type)?["lastTransitionTime"]?.stringValue.flatMap(Timestamp.parse)
        else { return nil }
        return finished.addingTimeInterval(TimeInterval(ttl)).timeIntervalSince(now)
    }

    static let definition = ControllerDefinition(name: name, aliases: ["ttl-after-finished-controller"]) { context in
        let jobInformer = await context.informer(for: .jobs)
        let queue = context.makeQueue()
        await jobInformer.addHandler { event in
            switch event {
            case .added(let job), .updated(_, let job):
                if remaining(job, now: Date()) != nil { await queue.add(ObjectKey(job)) }
            case .deleted:
                break
            }
        }
        let controller = TTLAfterFinishedController(client: context.client, jobs: jobInformer.lister, queue: queue,
                                                    logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
