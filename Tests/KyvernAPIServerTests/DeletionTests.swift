import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import Testing

private func info(_ group: String, _ resource: String) -> ResourceInfo {
    ResourceCatalog.all.first { $0.group == group && $0.resource == resource }!
}

private func pod(node: String? = nil, grace: Int64? = nil, phase: String = "Pending") -> JSONValue {
    var pod: JSONValue = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "p", "namespace": "ns", "uid": "u1", "resourceVersion": "7", "generation": 1],
        "spec": ["containers": [["name": "c", "image": "i"]]],
        "status": ["phase": .string(phase)],
    ]
    if let node { pod[path: ["spec", "nodeName"]] = .string(node) }
    if let grace { pod[path: ["spec", "terminationGracePeriodSeconds"]] = .int(grace) }
    return pod
}

private let now = Timestamp.parse("2026-11-26T08:00:00Z")!

@Suite("Deletion rules")
struct DeletionTests {
    func rules(_ resource: String = "pods", group: String = "", _ options: DeleteOptions = DeleteOptions()) -> DeletionRules {
        DeletionRules(info: info(group, resource), options: options)
    }

    @Test func unscheduledOrFinishedPodsGoAtOnce() throws {
        for object in [pod(), pod(node: "n", phase: "Succeeded"), pod(node: "n", phase: "Failed")] {
            #expect(try rules().step(for: object, now: now) == .markThenDelete(try marked(object, grace: 0)))
        }
    }

    func marked(_ object: JSONValue, grace: Int64) throws -> JSONValue {
        var object = object
        object[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now.addingTimeInterval(Double(grace))))
        object[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(grace)
        object[path: ["metadata", "generation"]] = 2
        return object
    }

    @Test func scheduledPodGetsItsGracePeriod() throws {
        #expect(try rules().step(for: pod(node: "n", grace: 45), now: now) == .mark(try marked(pod(node: "n", grace: 45), grace: 45)))
        #expect(try rules().step(for: pod(node: "n"), now: now) == .mark(try marked(pod(node: "n"), grace: 30)))
        let asked = rules("pods", DeleteOptions(gracePeriodSeconds: 5))
        #expect(try asked.step(for: pod(node: "n", grace: 45), now: now) == .mark(try marked(pod(node: "n", grace: 45), grace: 5)))
        let negative = rules("pods", DeleteOptions(gracePeriodSeconds: -3))
        #expect(try negative.step(for: pod(node: "n"), now: now) == .mark(try marked(pod(node: "n"), grace: 1)))
    }

    @Test func aGracefulDeletionOnlyShortens() throws {
        let deleting = try marked(pod(node: "n", grace: 45), grace: 45)
        #expect(try rules().step(for: deleting, now: now.addingTimeInterval(3)) == .alreadyDeleting)
        #expect(try rules("pods", DeleteOptions(gracePeriodSeconds: 60)).step(for: deleting, now: now) == .alreadyDeleting)
        var shorter = deleting
        shorter[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now.addingTimeInterval(10)))
        shorter[path: ["metadata", "deletionGracePeriodSeconds"]] = 10
        #expect(try rules("pods", DeleteOptions(gracePeriodSeconds: 10)).step(for: deleting, now: now) == .mark(shorter))
        var forced = deleting
        forced[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now))
        forced[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
        #expect(try rules("pods", DeleteOptions(gracePeriodSeconds: 0)).step(for: deleting, now: now) == .markThenDelete(forced))
    }

    @Test func otherKindsGoUnlessFinalizersHoldThem() throws {
        let cm: JSONValue = ["metadata": ["name": "c", "uid": "u", "resourceVersion": "3"]]
        #expect(try rules("configmaps").step(for: cm, now: now) == .deleteNow)
        var held = cm
        held[path: ["metadata", "finalizers"]] = ["example.com/x"]
        var expected = held
        expected[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now))
        expected[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
        #expect(try rules("configmaps").step(for: held, now: now) == .mark(expected))
        // marking again keeps the first timestamp
        #expect(try rules("configmaps").step(for: expected, now: now.addingTimeInterval(9)) == .mark(expected))
    }

    @Test(arguments: [("Foreground", ["foregroundDeletion"]), ("Orphan", ["orphan"]), ("Background", [])])
    func propagationPolicyBecomesFinalizers(_ policy: String, _ finalizers: [String]) throws {
        let deployment: JSONValue = ["metadata": ["name": "d", "generation": 3, "finalizers": ["orphan"]]]
        let rules = rules("deployments", group: "apps", DeleteOptions(propagationPolicy: policy))
        switch try rules.step(for: deployment, now: now) {
        case .mark(let object):
            #expect(object[path: ["metadata", "finalizers"]] == .array(finalizers.map(JSONValue.string)))
            #expect(object[path: ["metadata", "generation"]] == 4)
            #expect(object[path: ["metadata", "deletionGracePeriodSeconds"]] == 0)
        case .deleteNow:
            #expect(finalizers.isEmpty)
        default:
            Issue.record("unexpected step")
        }
    }

    @Test func legacyOrphanDependentsAndEvents() throws {
        let cm: JSONValue = ["metadata": ["name": "c"]]
        #expect(rules("configmaps", DeleteOptions(orphanDependents: true)).garbageCollectionFinalizers(cm) == ["orphan"])
        #expect(rules("configmaps", DeleteOptions(orphanDependents: false)).garbageCollectionFinalizers(cm) == nil)
        let orphaned: JSONValue = ["metadata": ["name": "c", "finalizers": ["orphan", "x"]]]
        #expect(rules("configmaps", DeleteOptions(orphanDependents: false)).garbageCollectionFinalizers(orphaned) == ["x"])
        // without options the recorded policy stays
        #expect(rules("configmaps").garbageCollectionFinalizers(orphaned) == nil)
        // events never get propagation finalizers
        #expect(rules("events", DeleteOptions(propagationPolicy: "Foreground")).garbageCollectionFinalizers(cm) == nil)
    }

    @Test func preconditionsAsUpstream() {
        let cm: JSONValue = ["metadata": ["name": "c", "uid": "u1", "resourceVersion": "3"]]
        let uid = #expect(throws: APIError.self) {
            try rules("configmaps", DeleteOptions(preconditionUID: "u2")).checkPreconditions(cm)
        }
        #expect(uid?.code == 409)
        #expect(uid?.message == #"Operation cannot be fulfilled on ConfigMap "c": the UID in the precondition (u2) does not match the UID in record (u1). The object might have been deleted and then recreated"#)
        let rv = #expect(throws: APIError.self) {
            try rules("deployments", group: "apps", DeleteOptions(preconditionResourceVersion: "2")).checkPreconditions(cm)
        }
        #expect(rv?.message == #"Operation cannot be fulfilled on Deployment.apps "c": the ResourceVersion in the precondition (2) does not match the ResourceVersion in record (3). The object might have been modified"#)
        #expect(throws: Never.self) {
            try rules("configmaps", DeleteOptions(preconditionUID: "u1", preconditionResourceVersion: "3")).checkPreconditions(cm)
        }
    }

    @Test func invalidOptions() {
        let unsupported = #expect(throws: APIError.self) { try DeleteOptions(propagationPolicy: "Up").validate() }
        #expect(unsupported?.message == #"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Up": supported values: "Foreground", "Background", "Orphan", "nil""#)
        let both = #expect(throws: APIError.self) { try DeleteOptions(propagationPolicy: "Orphan", orphanDependents: true).validate() }
        #expect(both?.message == #"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set"#)
    }

    @Test func namespaceMarkedTerminating() {
        let namespace: JSONValue = ["metadata": ["name": "n", "finalizers": ["orphan"]], "spec": ["finalizers": ["kubernetes"]],
                                    "status": ["phase": "Active"]]
        let marked = ResourceHandler.markedTerminating(namespace, options: DeleteOptions(propagationPolicy: "Background"), now: now)
        #expect(marked[path: ["status", "phase"]] == "Terminating")
        #expect(marked[path: ["metadata", "deletionTimestamp"]] == .string(Timestamp.format(now)))
        #expect(marked[path: ["metadata", "finalizers"]] == nil)
        let foreground = ResourceHandler.markedTerminating(namespace, options: DeleteOptions(orphanDependents: false), now: now)
        #expect(foreground[path: ["metadata", "finalizers"]] == ["foregroundDeletion"])
        let nsInfo = info("", "namespaces")
        #expect(!ResourceHandler.isFinalized(marked, info: nsInfo), "spec.finalizers still hold it")
        var finalized = marked
        finalized[path: ["spec", "finalizers"]] = nil
        #expect(ResourceHandler.isFinalized(finalized, info: nsInfo))
    }

    @Test func anUpdateRemovesAMarkedObjectOnlyWhenItsGracePeriodIsOver() {
        let pods = info("", "pods")
        let graceful: JSONValue = ["metadata": ["name": "p", "deletionTimestamp": "2026-11-26T17:00:00Z",
                                                "deletionGracePeriodSeconds": 30]]
        #expect(!ResourceHandler.isFinalized(graceful, info: pods), "a pod terminating gracefully stays through updates")
        var immediate = graceful
        immediate[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
        #expect(ResourceHandler.isFinalized(immediate, info: pods))
        var held = immediate
        held[path: ["metadata", "finalizers"]] = ["example.com/hold"]
        #expect(!ResourceHandler.isFinalized(held, info: pods), "a finalizer still holds it")
    }
}
