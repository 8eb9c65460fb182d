import Foundation
import KyvernAPI
import Testing

/// A rough timing of the list path (parse + serialize of 10,000 ConfigMaps), printed, not asserted:
/// meaningful only in a release build (`swift test -c release --filter PerformanceTests`).
@Suite struct PerformanceTests {
    static func configMapList(count: Int) -> JSONValue {
        var items: [JSONValue] = []
        items.reserveCapacity(count)
        for i in 0..<count {
            let name = "config-\(i)"
            items.append([
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": [
                    "name": .string(name),
                    "namespace": "default",
                    "uid": .string(String(format: "6f1c2d3e-%04x-4a5b-8c9d-%012x", i % 65536, i)),
                    "resourceVersion": .string(String(100_000 + i)),
                    "creationTimestamp": "2026-11-26T04:39:11Z",
                    "labels": ["app": "demo", "tier": "backend", "index": .string(String(i))],
                    "annotations": ["kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\"}\n"],
                    "managedFields": [[
                        "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                        "time": "2026-11-26T04:39:11Z", "fieldsType": "FieldsV1",
                        "fieldsV1": ["f:data": ["f:key": [:], "f:config.yaml": [:]]],
                    ]],
                ],
                "data": [
                    "key": .string("value-\(i)"),
                    "config.yaml": "server:\n  port: 8080\n  host: <example> & co\n",
                    "ratio": "0.75",
                ],
            ])
        }
        return [
            "apiVersion": "v1", "kind": "ConfigMapList",
            "metadata": ["resourceVersion": "200000"],
            "items": .array(items),
        ]
    }

    #if DEBUG
    // Debug builds only check that the path works, on a smaller list.
    static let rounds = 1
    static let items = 2_000
    #else
    static let rounds = 5
    static let items = 10_000
    #endif

    /// The best of a few rounds, in milliseconds; `body`'s result is kept alive until after the clock
    /// stops, so freeing it is not counted (it is timed on its own below).
    static func milliseconds<T>(_ body: () throws -> T) rethrows -> (ms: Double, result: T) {
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        var result: T? = nil
        for _ in 0..<rounds {
            var value: T? = nil
            let elapsed = try clock.measure { value = try body() }
            best = min(best, elapsed)
            result = value
        }
        let (s, atto) = best.components
        return (Double(s) * 1000 + Double(atto) / 1e15, result!)
    }

    @Test func listOfConfigMaps() throws {
        let list = Self.configMapList(count: Self.items)
        let bytes = list.serialized()

        let (parseMs, parsed) = try Self.milliseconds { try JSONValue.parse(bytes) }
        #expect(parsed == list)
        let (serializeMs, out) = Self.milliseconds { parsed.serialized() }
        #expect(out == bytes)
        var copies = (0..<Self.rounds).map { _ in try? JSONValue.parse(bytes) }
        let freeMs = ContinuousClock().measure { copies.removeAll() }
        let (s, atto) = freeMs.components
        let freeMsValue = (Double(s) * 1000 + Double(atto) / 1e15) / Double(Self.rounds)  // per list
        let (filterMs, selected) = try Self.milliseconds { () throws -> Int in
            let selector = try LabelSelector.parse("app=demo,tier in (backend,frontend),!missing")
            return parsed["items"]!.arrayValue!.filter { selector.matches(labelsOf: $0) }.count
        }
        #expect(selected == Self.items)

        // One create: parse a single object, stamp metadata, validate it, serialize it.
        let oneBytes = list["items"]!.arrayValue![42].serialized()
        let (createTotalMs, _) = try Self.milliseconds { () throws -> Int in
            var total = 0
            for _ in 0..<1000 {
                var object = try JSONValue.parse(oneBytes)
                object.uid = "00000000-0000-0000-0000-000000000000"
                object.resourceVersion = "1"
                object.creationTimestamp = Timestamp.format(Date())
                let causes = validateObjectMeta(object["metadata"] ?? .null, namespaced: true, nameRule: .dns1123Subdomain)
                precondition(causes.isEmpty)
                total += object.serialized().count
            }
            return total
        }

        let mib = Double(bytes.count) / 1_048_576
        print(String(format: "perf: %d ConfigMaps (%.1f MiB): parse %.1f ms (%.0f MiB/s), serialize %.1f ms (%.0f MiB/s), free %.1f ms, label-selector filter %.1f ms; one create (parse+stamp+validate+serialize, %d bytes) %.1f µs",
                     Self.items, mib, parseMs, mib / parseMs * 1000, serializeMs, mib / serializeMs * 1000, freeMsValue, filterMs,
                     oneBytes.count, createTotalMs))
    }
}
