import Foundation
import KyvernStore
public import KyvernStoreEtcd
import KyvernStoreSQLite
import Logging
import ServiceLifecycle

/// Which backend holds the cluster's state, from `--datastore-endpoint`: the embedded SQLite file
/// (the default, or `sqlite:///path`) or the members of an etcd cluster (`http(s)://h:2379,...`).
public enum Datastore: Sendable, Hashable {
    case sqlite(path: String)
    case etcd(EtcdConfiguration)

    /// Reads the flag; nil means the SQLite file in the data directory.
    public static func parse(endpoint: String?, dataDirectory: String, caFile: String? = nil,
                             certFile: String? = nil, keyFile: String? = nil) throws -> Datastore {
        guard let endpoint, !endpoint.isEmpty else {
            return .sqlite(path: (dataDirectory as NSString).appendingPathComponent("state.db"))
        }
        if endpoint.hasPrefix("sqlite://") {
            let path = String(endpoint.dropFirst("sqlite://".count))
            guard path.hasPrefix("/") else {
                throw EtcdConfigurationError(input: endpoint, reason: "sqlite:// takes an absolute path, e.g. sqlite:///var/lib/kyvern/state.db")
            }
            return .sqlite(path: path)
        }
        let endpoints = try EtcdConfiguration.parseEndpoints(endpoint)
        if (certFile == nil) != (keyFile == nil) {
            throw EtcdConfigurationError(input: endpoint, reason: "--datastore-certfile and --datastore-keyfile go together")
        }
        return .etcd(EtcdConfiguration(endpoints: endpoints, caFile: caFile, certFile: certFile, keyFile: keyFile))
    }

    /// Whether other servers may use the same state (etcd), so that control loops must elect a leader.
    public var isShared: Bool {
        if case .etcd = self { return true }
        return false
    }

    /// Opens the store, and for etcd the service that keeps its connections up (to run first in the
    /// group, so it stops last).
    func open(logger: Logger) throws -> (store: any Store, service: (any Service)?) {
        switch self {
        case .sqlite(let path):
            return (try SQLiteStore(path: path, logger: logger), nil)
        case .etcd(let configuration):
            logger.info("using etcd", metadata: ["endpoints": "\(configuration.endpoints.map(\.description).joined(separator: ","))"])
            let store = try EtcdStore(configuration: configuration, logger: logger)
            return (store, EtcdStoreService(store: store))
        }
    }
}

/// Runs an ``EtcdStore``'s connections for as long as the server runs.
struct EtcdStoreService: Service {
    let store: EtcdStore

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await store.run()
        } onGracefulShutdown: {
            store.shutdown()
        }
    }
}
