import Foundation
import KyvernAPI
import Testing

/// A rough timing of the list path (parse + serialize of 10,000 ConfigMaps), printed, not asserted:
/// meaningful only in a release build (`swift test -c release`).
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

    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        for _ in 0..<5 {
            let elapsed = try clock.measure(body)
            best = min(best, elapsed)
        }
        let (s, atto) = best.components
        return Double(s) * 1000 + Double(atto) / 1e15
    }

    @Test func listOfTenThousandConfigMaps() throws {
        let list = Self.configMapList(count: 10_000)
        let bytes = list.serialized()
        var parsed: JSONValue = .null
        let parseMs = try Self.milliseconds { parsed = try JSONValue.parse(bytes) }
        #expect(parsed == list)
        var out: [UInt8] = []
        let serializeMs = Self.milliseconds { out = parsed.serialized() }
        #expect(out == bytes)
        let bothMs = try Self.milliseconds { _ = try JSONValue.parse(bytes).serialized() }

        // One create: parse a single object, stamp metadata, validate it, serialize it.
        let one = JSONValue.array([list["items"]!.arrayValue![42]]).serialized().dropFirst().dropLast()
        let oneBytes = Array(one)
        let createMs = try Self.milliseconds {
            for _ in 0..<1000 {
                var object = try JSONValue.parse(oneBytes)
                object.uid = "00000000-0000-0000-0000-000000000000"
                object.resourceVersion = "1"
                object.creationTimestamp = Timestamp.format(Date())
                let causes = validateObjectMeta(object["metadata"] ?? .null, namespaced: true, nameRule: .dns1123Subdomain)
                precondition(causes.isEmpty)
                _ = object.serialized()
            }
        } / 1000

        let mb = Double(bytes.count) / 1_048_576
        print(String(format: "perf: 10,000 ConfigMaps (%.1f MiB): parse %.1f ms (%.0f MiB/s), serialize %.1f ms (%.0f MiB/s), parse+serialize %.1f ms; one create (parse+stamp+validate+serialize) %.1f µs",
                     mb, parseMs, mb / parseMs * 1000, serializeMs, mb / serializeMs * 1000, bothMs, createMs * 1000))
    }
}
