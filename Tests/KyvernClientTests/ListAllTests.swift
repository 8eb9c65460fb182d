import KyvernAPI
import Testing
@testable import KyvernClient

/// Serves a fixed list in pages, checking the paging parameters each request carries.
final class PagingClient: KubernetesClient, @unchecked Sendable {
    let names: [String]
    var requests: [ListOptions] = []
    /// Answer continue requests with 410 (the token's snapshot was compacted away).
    var expireContinue = false

    init(count: Int) { names = (0..<count).map { "p\($0)" } }

    func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> JSONValue {
        requests.append(options)
        if options.continueToken != nil, expireContinue {
            throw APIError.gone("The provided continue parameter is too old to display a consistent list result.")
        }
        let start = options.continueToken.flatMap(Int.init) ?? 0
        let end = options.limit.map { min(start + $0, names.count) } ?? names.count
        var metadata: JSONValue = ["resourceVersion": "77"]
        if end < names.count {
            metadata["continue"] = .string(String(end))
            metadata["remainingItemCount"] = .int(Int64(names.count - end))
        }
        return ["kind": "PodList", "apiVersion": "v1", "metadata": metadata,
                "items": .array(names[start..<end].map { ["metadata": ["name": .string($0)]] })]
    }

    func get(_ ref: ResourceRef, namespace: String?, name: String) async throws -> JSONValue { fatalError() }
    func watch(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> { fatalError() }
    func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue { fatalError() }
    func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue { fatalError() }
    func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue { fatalError() }
    func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?, type: PatchType, _ patch: JSONValue, options: WriteOptions) async throws -> JSONValue { fatalError() }
    func delete(_ ref: ResourceRef, namespace: String?, name: String, options: DeleteOptions) async throws -> JSONValue { fatalError() }
    func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String, _ body: JSONValue) async throws -> JSONValue { fatalError() }
}

@Suite struct ListAllTests {
    @Test func followsContinueTokensAndJoinsThePages() async throws {
        let client = PagingClient(count: 7)
        let all = try await client.listAll(.pods, namespace: "ns", options: .init(labelSelector: "a=b", limit: 3))
        #expect(all["items"]?.arrayValue?.map { $0[path: ["metadata", "name"]]?.stringValue ?? "" }
            == ["p0", "p1", "p2", "p3", "p4", "p5", "p6"])
        #expect(all["metadata"] == ["resourceVersion": "77"])
        #expect(all["kind"] == "PodList")
        #expect(client.requests == [
            ListOptions(labelSelector: "a=b", limit: 3),
            ListOptions(labelSelector: "a=b", limit: 3, continueToken: "3"),
            ListOptions(labelSelector: "a=b", limit: 3, continueToken: "6"),
        ])
    }

    @Test func pagesOf500ByDefaultAndNoResourceVersionWithAToken() async throws {
        let client = PagingClient(count: 1200)
        let all = try await client.listAll(.pods, options: .init(resourceVersion: "0", resourceVersionMatch: "NotOlderThan"))
        #expect(all["items"]?.arrayValue?.count == 1200)
        #expect(client.requests.map(\.limit) == [500, 500, 500])
        #expect(client.requests.map(\.resourceVersion) == ["0", nil, nil])
        #expect(client.requests.map(\.continueToken) == [nil, "500", "1000"])
    }

    @Test func expiredContinueTokenFallsBackToOneFullList() async throws {
        let client = PagingClient(count: 5)
        client.expireContinue = true
        let all = try await client.listAll(.pods, options: .init(limit: 2))
        #expect(all["items"]?.arrayValue?.count == 5)
        #expect(client.requests == [ListOptions(limit: 2), ListOptions(limit: 2, continueToken: "2"), ListOptions()])
    }
}
