import Foundation
import KyvernAPI
import KyvernClient
public import Logging

/// The client side of `kyvern dashboard`: asks the running server, as the kubeconfig's user, for
/// a one-time login code and names the page's address with the code in its fragment.
public struct DashboardClient: Sendable {
    let kubeconfigPath: String
    let logger: Logger

    /// - Parameter kubeconfig: whose user the browser session acts as; default `DATA/kubeconfig.yaml` (the admin).
    public init(dataDirectory: String?, kubeconfig: String?, logger: Logger) {
        let data = dataDirectory ?? ServerOptions.defaultDataDirectory()
        self.kubeconfigPath = kubeconfig ?? (data as NSString).appendingPathComponent("kubeconfig.yaml")
        self.logger = logger
    }

    public struct Link: Sendable {
        /// The dashboard's address.
        public var address: String
        /// The address with the one-time code in its fragment (never sent to a server by a browser).
        public var loginLink: String
        public var user: String
        public var expiresInSeconds: Int
    }

    public func loginLink() async throws -> Link {
        let configuration = try Kubeconfig.load(path: kubeconfigPath)
            .configuration(userAgent: "kyvern-dashboard/v1.36.0 (linux) kubernetes/kyvern")
        let answer = try await APIClient.using(configuration, logger: logger) { client in
            try await client.postPath("/dashboard/login-codes")
        }
        let address = Self.address(server: configuration.server, dashboardPort: answer["dashboardPort"]?.intValue.map { Int($0) })
        return Link(address: address, loginLink: "\(address)#login=\(answer["code"]?.stringValue ?? "")",
                    user: answer["user"]?.stringValue ?? "", expiresInSeconds: Int(answer["expiresInSeconds"]?.intValue ?? 60))
    }

    /// The page's address: on the kubeconfig's server, at the server's `--dashboard-port` when it has one.
    static func address(server: String, dashboardPort: Int?) -> String {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        guard let dashboardPort, var components = URLComponents(string: base) else { return "\(base)/dashboard/" }
        components.port = dashboardPort
        components.path = "/dashboard/"
        return components.string ?? "\(base)/dashboard/"
    }
}
