import Foundation
public import KyvernAPIServer
public import KyvernControllers

/// What `kyvern server` was asked to do; parsed by the executable, used by the composition root.
public struct ServerOptions: Sendable {
    public var dataDirectory: String
    public var bindAddress: String
    public var httpsPort: Int
    public var tlsSANs: [String]
    /// `--dashboard-port`: the dashboard's own HTTPS listener; nil: only `/dashboard/` on the API port.
    public var dashboardPort: Int?
    public var compactionInterval: Duration
    public var logLevel: String
    /// The range Service cluster IPs come from (`--service-cidr`).
    public var serviceCIDR: String = "10.43.0.0/16"
    /// The range node pod ranges come from, a /24 per node (`--cluster-cidr`).
    public var clusterCIDR: String = "10.42.0.0/16"
    /// How long an event lives after its last write (upstream's --event-ttl).
    public var eventTTL: Duration = .seconds(3600)
    /// Runs without the built-in scheduler (`--disable-scheduler`).
    public var disableScheduler = false
    /// KubeSchedulerConfiguration file for the built-in scheduler (`--scheduler-config`).
    public var schedulerConfig: String?
    /// Run without the embedded controller manager (`--disable-controller-manager`).
    public var disableControllerManager = false
    /// Which controllers the embedded controller manager runs (`--controllers`, upstream's syntax:
    /// `*`, `name`, `-name`, comma separated).
    public var controllers = "*"
    /// Each controller acts as its own ServiceAccount (`--use-service-account-credentials`, on as
    /// kubeadm sets it); off, the embedded manager acts as the admin.
    public var useServiceAccountCredentials = true
    /// Runs without the built-in node agent (`--disable-agent`): no node, no containers.
    public var disableAgent = false
    /// Runs without the built-in Ingress controller (`--disable ingress`).
    public var disableIngress = false
    /// The Ingress controller's ports on every address (`--ingress-http-port`, `--ingress-https-port`).
    public var ingressHTTPPort = 80
    public var ingressHTTPSPort = 443
    /// Runs the cluster DNS server at "ADDR:PORT" (`--cluster-dns-listen`, for tests; the node agent runs it in a cluster).
    public var clusterDNSListen: String?
    /// Its upstream resolvers (`--cluster-dns-upstream`, repeatable); nil: /etc/resolv.conf.
    public var clusterDNSUpstreams: [String]?
    /// Where the cluster's state lives (`--datastore-endpoint`; default the SQLite file in the data directory).
    public var datastore: Datastore
    /// The cluster secret (`--token`): on etcd, servers started with the same one share the CA, the
    /// admin token and the node token through the datastore.
    public var token: String?
    /// The server to join (`--server URL`): its CA, fetched from `/cacerts`, must match the
    /// `--token`'s hash and the datastore's shared credentials.
    public var joinServer: String?
    /// The built-in node agent's settings (`--runtime`, `--node-name`, `--kubelet-port`, `--pod-cidr`).
    public var agent: AgentOptions
    /// EncryptionConfiguration file for encrypting Secrets (and other resources) at rest
    /// (`--encryption-provider-config`); nil: stored as written.
    public var encryptionProviderConfig: String?
    /// Non-mutating / mutating requests served at once before 429 (`--max-requests-inflight`,
    /// `--max-mutating-requests-inflight`; 0: no limit).
    public var maxRequestsInFlight = 400
    public var maxMutatingRequestsInFlight = 200
    /// Audit logging (`--audit-policy-file`, `--audit-log-*`); off unless both policy and path are set.
    public var audit = AuditOptions()
    /// Node lifecycle periods and rates, and the DefaultTolerationSeconds admission's periods.
    public var nodeLifecycle = NodeLifecycleSettings()
    /// The HorizontalPodAutoscaler's period, tolerance and default scale-down window.
    public var autoscaler = AutoscalerSettings()
    /// `--lb-address-pool`: where LoadBalancer Services get addresses; empty: the nodes' addresses.
    public var loadBalancerAddressPool = try! LoadBalancerAddressPool([])
    /// How requests are authorized (`--authorization-mode`): the modes in order.
    public var authorizationMode: [Authorizer.Mode] = [.node, .rbac]
    /// Whether requests without credentials are served as `system:anonymous` (`--anonymous-auth`).
    public var anonymousAuth = true
    /// Whether new pods get the `kube-api-access-*` token volume (`--service-account-token-volume`).
    public var serviceAccountTokenVolume = true

    /// A comma-separated list of upstream's modes (`Node,RBAC`, `RBAC`, `AlwaysAllow`), each at most
    /// once; nil when a mode is unknown, repeated, or none is given.
    public static func parseAuthorizationMode(_ text: String) -> [Authorizer.Mode]? {
        var modes: [Authorizer.Mode] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let mode = Authorizer.Mode(rawValue: part.trimmingCharacters(in: .whitespaces)), !modes.contains(mode) else {
                return nil
            }
            modes.append(mode)
        }
        return modes.isEmpty ? nil : modes
    }

    public init(dataDirectory: String?, bindAddress: String, httpsPort: Int, tlsSANs: [String],
                compactionInterval: Duration, logLevel: String) {
        self.dataDirectory = dataDirectory ?? Self.defaultDataDirectory()
        self.bindAddress = bindAddress
        self.httpsPort = httpsPort
        self.tlsSANs = tlsSANs
        self.compactionInterval = compactionInterval
        self.logLevel = logLevel
        self.agent = AgentOptions(dataDirectory: self.dataDirectory)
        self.agent.logLevel = logLevel
        self.datastore = .sqlite(path: (self.dataDirectory as NSString).appendingPathComponent("state.db"))
    }

    /// `/var/lib/kyvern` for root, `~/.kyvern` otherwise.
    public static func defaultDataDirectory() -> String {
        if getuid() == 0 { return "/var/lib/kyvern" }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".kyvern")
    }

    /// Parses "300ms", "5s", "2m", "1h" or a plain number of seconds.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s" && number.hasSuffix("m") { continue }
            guard let value = Double(number), value > 0 else { return nil }
            return .milliseconds(Int64(value * factor * 1000))
        }
        guard let value = Double(text), value > 0 else { return nil }
        return .milliseconds(Int64(value * 1000))
    }
}

extension ServerOptions {
    /// Refuses a `--service-cidr` the API server could not allocate from, before anything starts.
    public static func validateServiceCIDR(_ text: String) throws {
        do {
            _ = try ServiceRanges.parseCIDR(text)
        } catch {
            throw ServiceCIDRError(message: "--service-cidr: \(error)")
        }
    }
}

extension ServerOptions {
    /// Refuses a `--cluster-cidr` the node IPAM controller could not allocate from.
    public static func validateClusterCIDR(_ text: String) throws {
        _ = try ClusterCIDR(parsing: text)
    }
}

public struct ServiceCIDRError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
