import KyvernAPI
import KyvernClient
import Logging
import Prometheus
import Testing
@testable import KyvernControllers

@Suite struct ControllerRunnerTests {
    /// Fails the first `failures` reconciles of every key, records every call.
    actor FlakyReconciler: Reconciler {
        var calls: [ObjectKey] = []
        var failures: Int
        let error: APIError
        init(failures: Int, error: APIError = APIError(code: 500, reason: "InternalError", message: "boom")) {
            self.failures = failures
            self.error = error
        }

        func reconcile(_ key: ObjectKey) async throws {
            calls.append(key)
            if failures > 0 {
                failures -= 1
                throw error
            }
        }
    }

    @Test func retriesFailuresWithBackoffAndRecordsMetrics() async throws {
        let registry = PrometheusCollectorRegistry()
        let queue = ControllerQueue(queue: WorkQueue<ObjectKey>(),
                                    metrics: ControllerMetrics(controller: "test", registry: registry))
        let reconciler = FlakyReconciler(failures: 2)
        let runner = ControllerRunner(name: "test", reconciler: reconciler, queue: queue, workers: 2,
                                      logger: Logger(label: "test"))
        let key = ObjectKey(namespace: "ns", name: "a")
        await queue.add(key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await runner.run() }
            for _ in 0..<200 where await reconciler.calls.count < 3 {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(await reconciler.calls == [key, key, key])
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"workqueue_adds_total{name="test"} 1"#))
        #expect(text.contains(#"workqueue_retries_total{name="test"} 2"#))
        #expect(text.contains(#"controller_reconcile_errors_total{controller="test"} 2"#))
        #expect(text.contains(#"workqueue_work_duration_seconds_count{name="test"} 3"#))
        #expect(text.contains(#"workqueue_depth{name="test"} 0"#))
    }

    @Test func conflictsAreRetriedWithoutCountingAsErrors() async throws {
        let registry = PrometheusCollectorRegistry()
        let queue = ControllerQueue(queue: WorkQueue<ObjectKey>(),
                                    metrics: ControllerMetrics(controller: "test", registry: registry))
        let conflict = APIError(code: 409, reason: "Conflict", message: "the object has been modified")
        let reconciler = FlakyReconciler(failures: 2, error: conflict)
        let runner = ControllerRunner(name: "test", reconciler: reconciler, queue: queue, workers: 1,
                                      logger: Logger(label: "test"))
        let key = ObjectKey(namespace: "ns", name: "a")
        await queue.add(key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await runner.run() }
            for _ in 0..<200 where await reconciler.calls.count < 3 {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(await reconciler.calls == [key, key, key])
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"workqueue_retries_total{name="test"} 2"#))
        #expect(text.contains(#"controller_reconcile_errors_total{controller="test"} 0"#))
    }
}
