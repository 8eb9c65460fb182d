import Foundation
import KyvernAPI
@testable import KyvernClient
import KyvernTestSupport
import Synchronization
import Testing
@testable import KyvernControllers

/// A fake API server whose `serviceaccounts/<name>/token` mints numbered tokens for accounts that
/// exist (404 otherwise), valid for what was asked from `now`.
final class TokenIssuingCluster: Sendable {
    let client = FakeClient()
    private let state = Mutex((issued: 0, accounts: Set<String>()))

    var issued: Int { state.withLock { $0.issued } }

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        client.prependReactor(verb: "create", resource: "serviceaccounts") { [self] action in
            state.withLock { _ = $0.accounts.insert(action.body?[path: ["metadata", "name"]]?.stringValue ?? "") }
            return nil
        }
        client.prependReactor(verb: "create", resource: "serviceaccounts/token") { [self] action in
            let name = action.name ?? ""
            let number: Int? = state.withLock { state in
                guard state.accounts.contains(name) else { return nil }
                state.issued += 1
                return state.issued
            }
            guard let number else { throw APIError.notFound(group: "", resource: "serviceaccounts", name: name) }
            let seconds = action.body?[path: ["spec", "expirationSeconds"]]?.intValue ?? 3600
            let expiry = Timestamp.format(now().addingTimeInterval(TimeInterval(seconds)))
            return ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                    "status": ["token": .string("\(name)-\(number)"), "expirationTimestamp": .string(expiry)]]
        }
    }

    var tokenRequests: [FakeClient.Action] {
        client.actions.filter { $0.resource == "serviceaccounts" && $0.subresource == "token" }
    }
}

/// A clock tests move by hand.
final class TokenClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
    func advance(_ seconds: TimeInterval) { now.withLock { $0.addTimeInterval(seconds) } }
    var read: @Sendable () -> Date { { [self] in now.withLock { $0 } } }
}

/// What a view builder was asked for, in order.
final class MadeViews: Sendable {
    private let views = Mutex<[(account: String, source: any BearerTokenSource)]>([])
    func append(_ account: String, _ source: any BearerTokenSource) { views.withLock { $0.append((account, source)) } }
    var all: [(account: String, source: any BearerTokenSource)] { views.withLock { $0 } }
}

@Suite struct ServiceAccountTokenCredentialsTests {
    let clock = TokenClock()
    let cluster: TokenIssuingCluster

    init() {
        cluster = TokenIssuingCluster(now: clock.read)
    }

    func credentials(_ account: String = "replicaset-controller") -> ServiceAccountTokenCredentials {
        ServiceAccountTokenCredentials(client: cluster.client, namespace: "kube-system", serviceAccount: account,
                                       expirationSeconds: 3600, now: clock.read)
    }

    @Test func createsTheMissingAccountThenRequestsAnHourLongToken() async throws {
        let token = try await credentials().currentToken()
        #expect(token == "replicaset-controller-1")
        let account = try #require(cluster.client.object(.serviceAccounts, namespace: "kube-system",
                                                          name: "replicaset-controller"))
        #expect(account["kind"] == "ServiceAccount")
        let requests = cluster.tokenRequests
        // The first request found no account; the second, after creating it, got the token.
        #expect(requests.count == 2)
        #expect(requests.last?.namespace == "kube-system")
        #expect(requests.last?.body?[path: ["spec", "expirationSeconds"]]?.intValue == 3600)
        #expect(requests.last?.body?["kind"] == "TokenRequest")
    }

    @Test func reusesTheTokenUntilEightyPercentOfItsLifetimeThenRenews() async throws {
        let source = credentials()
        _ = try await cluster.client.create(.serviceAccounts, namespace: "kube-system",
                                            ["metadata": ["name": "replicaset-controller", "namespace": "kube-system"]])
        #expect(try await source.currentToken() == "replicaset-controller-1")
        clock.advance(2879)  // 80% of 3600 s is 2880 s.
        #expect(try await source.currentToken() == "replicaset-controller-1")
        clock.advance(2)
        #expect(try await source.currentToken() == "replicaset-controller-2")
        #expect(try await source.currentToken() == "replicaset-controller-2")
        #expect(cluster.tokenRequests.count == 2)
    }

    @Test func concurrentCallersShareOneRequest() async throws {
        let source = credentials()
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await source.currentToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens == ["replicaset-controller-1"])
        #expect(cluster.issued == 1)
    }

    @Test func aRejectedTokenIsReplacedButAnOlderRejectionIsIgnored() async throws {
        let source = credentials()
        let first = try await source.currentToken()
        await source.tokenRejected("something-else")
        #expect(try await source.currentToken() == first)
        await source.tokenRejected(first)
        #expect(try await source.currentToken() == "replicaset-controller-2")
    }

    @Test func aRefusedTokenRequestFailsTheCall() async throws {
        cluster.client.failNext(2, verb: "create", resource: "serviceaccounts/token",
                                with: APIError(code: 403, reason: "Forbidden", message: "forbidden"))
        let source = credentials()
        await #expect(throws: APIError.self) { _ = try await source.currentToken() }
        // The next call tries again.
        await #expect(throws: APIError.self) { _ = try await source.currentToken() }
        #expect(try await source.currentToken() == "replicaset-controller-1")
    }
}

@Suite struct ServiceAccountCredentialsTests {
    let cluster = TokenIssuingCluster()

    static func definition(_ name: String) -> ControllerDefinition {
        ControllerDefinition(name: name) { _ in throw CancellationError() }
    }

    @Test func eachControllerGetsAViewWithItsAccountsToken() async throws {
        let made = MadeViews()
        let clients = ServiceAccountCredentials(manager: cluster.client) { source, account in
            made.append(account, source)
            return FakeClient()
        }
        _ = try await clients.client(for: Self.definition("replicaset"))
        _ = try await clients.client(for: Self.definition("nodelifecycle"))
        _ = try await clients.client(for: Self.definition("nodeipam"))
        let views = made.all
        #expect(views.map(\.account) == ["replicaset-controller", "node-controller", "node-controller"])
        #expect(try await views[0].source.currentToken() == "replicaset-controller-1")
        // Controllers of one account share its token; the account was created at the first start.
        #expect(try await views[1].source.currentToken() == "node-controller-2")
        #expect(try await views[2].source.currentToken() == "node-controller-2")
        #expect(cluster.client.object(.serviceAccounts, namespace: "kube-system", name: "node-controller") != nil)
        #expect(cluster.issued == 2)
    }

    @Test func viewsOfAnAPIClientCarryTheAccountsToken() async throws {
        let base = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:1", userAgent: "kcm"))
        let clients = ServiceAccountCredentials(manager: cluster.client, base: base)
        let view = try #require(try await clients.client(for: Self.definition("deployment")) as? APIClient)
        #expect(view.userAgentOverride == "kcm/deployment-controller")
        #expect(try await view.tokenSource?.currentToken() == "deployment-controller-1")
        #expect(base.tokenSource == nil)
        try await base.shutdown()
    }

    @Test func managerCredentialsHandEveryControllerTheManagersClient() async throws {
        let manager = FakeClient()
        let client = try await ManagerCredentials(client: manager).client(for: Self.definition("job"))
        #expect((client as? FakeClient) === manager)
    }

    @Test func everyCatalogControllerHasAnUpstreamAccount() {
        let names = ControllerCatalog.all.map(\.name) + ["csrsigning", "root-ca-cert-publisher"]
        let unmapped = names.filter { ControllerServiceAccounts.byController[$0] == nil }
        #expect(unmapped.isEmpty)
        #expect(ControllerServiceAccounts.account(for: "garbagecollector") == "generic-garbage-collector")
        #expect(ControllerServiceAccounts.account(for: "serviceaccount") == "service-account-controller")
        #expect(ControllerServiceAccounts.account(for: "unknown") == "unknown-controller")
    }
}

@Suite struct ControllerServiceAccountsTests {
    @Test func aliasesFindTheAccountWhenTheNameDoesNot() {
        let publisher = ControllerDefinition(name: "rootcacertpublisher", aliases: ["root-ca-cert-publisher"]) { _ in
            throw CancellationError()
        }
        #expect(ControllerServiceAccounts.account(for: publisher) == "root-ca-cert-publisher")
        let unknown = ControllerDefinition(name: "mystery") { _ in throw CancellationError() }
        #expect(ControllerServiceAccounts.account(for: unknown) == "mystery-controller")
    }
}
