import Foundation
import KyvernAPI
import KyvernClient

/// Bound service account tokens for projected volumes, requested through the TokenRequest API
/// (`serviceaccounts/<name>/token`) and reused until 80% of their lifetime has passed, as
/// upstream's token manager does, so a refresh of the volume does not mint a token every minute.
actor ServiceAccountTokens {
    private struct Key: Hashable {
        var namespace: String
        var serviceAccount: String
        var audience: String
        var expirationSeconds: Int64
        var podUID: String
    }

    private struct Issued {
        var token: String
        var refreshAfter: Date
    }

    private let client: any KubernetesClient
    private var tokens: [Key: Issued] = [:]

    init(client: any KubernetesClient) {
        self.client = client
    }

    /// A token for the pod's service account bound to the pod, for `audience` ("" = the API server's).
    func token(pod: JSONValue, audience: String, expirationSeconds: Int64, now: Date = Date()) async throws(PayloadError) -> String {
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let podName = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        let podUID = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        var serviceAccount = pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? ""
        if serviceAccount.isEmpty { serviceAccount = "default" }
        let key = Key(namespace: namespace, serviceAccount: serviceAccount, audience: audience,
                      expirationSeconds: expirationSeconds, podUID: podUID)
        if let issued = tokens[key], issued.refreshAfter > now { return issued.token }

        var spec: JSONValue = [
            "expirationSeconds": .int(expirationSeconds),
            "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(podName), "uid": .string(podUID)],
        ]
        if !audience.isEmpty { spec["audiences"] = [.string(audience)] }
        let request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                  "metadata": ["name": .string(serviceAccount), "namespace": .string(namespace)],
                                  "spec": spec]
        let response: JSONValue
        do {
            response = try await client.createSubresource(.serviceAccounts, namespace: namespace, name: serviceAccount,
                                                          subresource: "token", request)
        } catch let error as APIError {
            // A server without the subresource answers 404 with no object named, or 405.
            if error.code == 405 || (error.code == 404 && error.details?.name == nil && !error.message.contains("\"")) {
                throw PayloadError("the server does not support the TokenRequest API (serviceaccounts/token), "
                                   + "so serviceAccountToken projections cannot be served: \(error.message)")
            }
            throw PayloadError(error.message)
        } catch {
            throw PayloadError("\(error)")
        }
        guard let token = response[path: ["status", "token"]]?.stringValue, !token.isEmpty else {
            throw PayloadError("the TokenRequest for service account \(namespace)/\(serviceAccount) returned no token")
        }
        var lifetime = TimeInterval(expirationSeconds)
        if let expiry = response[path: ["status", "expirationTimestamp"]]?.stringValue,
           let date = try? Date(expiry, strategy: .iso8601) {
            lifetime = date.timeIntervalSince(now)
        }
        tokens[key] = Issued(token: token, refreshAfter: now.addingTimeInterval(max(0, lifetime * 0.8)))
        return token
    }

    /// Forgets the tokens bound to a pod that is gone.
    func forget(podUID: String) {
        tokens = tokens.filter { $0.key.podUID != podUID }
    }
}
