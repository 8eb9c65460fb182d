import Crypto
import Foundation
import KyvernAPIServer
import KyvernClient
import KyvernStore
import KyvernStoreEtcd
import Logging

/// The cluster's credentials — CA certificate and key, admin token, node join secret — shared by
/// every server on one etcd through the datastore, sealed with the cluster `--token` (AES-GCM), so
/// one kubeconfig and one node token work against each server.
///
/// The first server to start stores its own; each later one (or a restarted one) takes them over,
/// replacing what its data directory held and re-issuing its serving certificate from the shared CA.
enum SharedBootstrap {
    /// Outside `/registry/`: no API object, invisible to the watch cache.
    static let key = "/kyvern/bootstrap"

    struct Bundle: Codable, Equatable {
        var caCertificate: String
        var caPrivateKey: String
        var adminToken: String
        var nodeTokenSecret: String
        /// The ServiceAccount token signing key (PEM), so every server verifies every other's
        /// tokens. Absent in bundles stored before servers signed tokens.
        var serviceAccountKey: String?
    }

    /// Makes `pkiDirectory` and `DATA/node-token` hold the cluster's shared credentials.
    ///
    /// A server joining another (`joining`: that server's URL and the CA it served) requires the
    /// credentials to be there already and to carry that CA: it never starts a cluster of its own.
    static func synchronize(datastore: Datastore, token: String, dataDirectory: String, pkiDirectory: String,
                            hostnames: [String], ipAddresses: [String],
                            joining: (server: String, caPEM: String)? = nil, logger: Logger) async throws {
        guard case .etcd(let configuration) = datastore else { return }
        let store = try EtcdStore(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { store.shutdown() }
            if let existing = try await store.get(key: key, revision: nil) {
                let bundle = try open(existing.value, token: token)
                if let joining, bundle.caCertificate != joining.caPEM {
                    throw ServerJoinError.notTheDatastoresCluster(server: joining.server)
                }
                try adopt(bundle, dataDirectory: dataDirectory, pkiDirectory: pkiDirectory, logger: logger)
                return
            }
            if let joining { throw ServerJoinError.noSharedCredentials(server: joining.server) }
            let pki = try ClusterPKI.loadOrCreate(directory: pkiDirectory, hostnames: hostnames,
                                                  ipAddresses: ipAddresses, logger: logger)
            let node = try NodeTokenFile.loadOrCreate(dataDirectory: dataDirectory, caPEM: pki.caCertificatePEM)
            let bundle = Bundle(
                caCertificate: pki.caCertificatePEM,
                caPrivateKey: try String(contentsOfFile: file(pkiDirectory, ClusterPKI.FileName.caPrivateKey), encoding: .utf8),
                adminToken: pki.adminToken, nodeTokenSecret: node.secret,
                serviceAccountKey: try ServiceAccountSigningKey.loadOrCreate(directory: pkiDirectory, logger: logger).privateKeyPEM)
            do {
                _ = try await store.create(key: key, value: try seal(bundle, token: token))
                logger.info("stored the cluster credentials for other servers")
            } catch StoreError.keyExists {
                // Another server stored its own at the same moment: take those.
                guard let existing = try await store.get(key: key, revision: nil) else { throw StoreError.notFound(key: key) }
                try adopt(try open(existing.value, token: token), dataDirectory: dataDirectory,
                          pkiDirectory: pkiDirectory, logger: logger)
            }
        }
    }

    /// Writes the shared credentials over the local ones; a serving certificate from another CA is
    /// removed so that the next load issues one from the shared CA.
    static func adopt(_ bundle: Bundle, dataDirectory: String, pkiDirectory: String, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: pkiDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let caPath = file(pkiDirectory, ClusterPKI.FileName.caCertificate)
        let current = try? String(contentsOfFile: caPath, encoding: .utf8)
        if current != bundle.caCertificate {
            for name in [ClusterPKI.FileName.servingCertificate, ClusterPKI.FileName.servingPrivateKey] {
                try? FileManager.default.removeItem(atPath: file(pkiDirectory, name))
            }
            logger.info("took over the cluster credentials of the other servers")
        }
        try write(bundle.caCertificate, to: caPath)
        try write(bundle.caPrivateKey, to: file(pkiDirectory, ClusterPKI.FileName.caPrivateKey))
        try write(bundle.adminToken + "\n", to: file(pkiDirectory, ClusterPKI.FileName.adminToken))
        if let serviceAccountKey = bundle.serviceAccountKey {
            try write(serviceAccountKey, to: file(pkiDirectory, ServiceAccountSigningKey.fileName))
        }
        let node = JoinToken(caPEM: bundle.caCertificate, secret: bundle.nodeTokenSecret)
        try write(node.text + "\n", to: file(dataDirectory, "node-token"))
    }

    static func seal(_ bundle: Bundle, token: String) throws -> [UInt8] {
        let sealed = try AES.GCM.seal(try JSONEncoder().encode(bundle), using: key(token))
        guard let combined = sealed.combined else { throw SharedBootstrapError.sealing }
        return [UInt8](combined)
    }

    static func open(_ bytes: [UInt8], token: String) throws -> Bundle {
        do {
            let box = try AES.GCM.SealedBox(combined: bytes)
            return try JSONDecoder().decode(Bundle.self, from: try AES.GCM.open(box, using: key(token)))
        } catch {
            throw SharedBootstrapError.wrongToken
        }
    }

    private static func key(_ token: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data(("kyvern-cluster-token:" + token).utf8)))
    }

    private static func file(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    private static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o600]),
              rename(temporary, path) == 0 else {
            throw SharedBootstrapError.write(path: path)
        }
    }
}

enum SharedBootstrapError: Error, CustomStringConvertible {
    case sealing
    case wrongToken
    case write(path: String)

    var description: String {
        switch self {
        case .sealing: "cannot seal the cluster credentials"
        case .wrongToken: "--token does not open the cluster credentials stored in the datastore: it differs from the token the first server was started with"
        case .write(let path): "cannot write \(path)"
        }
    }
}
