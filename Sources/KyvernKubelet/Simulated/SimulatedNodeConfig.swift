public import KyvernAPI

/// What `kyvern agent --simulate N` registers: how many nodes, their size, labels and taints, and
/// how often they prove they are alive.
public struct SimulatedNodeConfig: Sendable, Hashable {
    /// How many nodes; named `<namePrefix>-0` ... `<namePrefix>-(count-1)`.
    public var count: Int
    public var namePrefix: String = "sim"
    /// Capacity (and allocatable: a simulated node reserves nothing for itself).
    public var cpu: Quantity = Quantity(4)
    public var memory: Quantity = try! Quantity(parsing: "16Gi")
    public var maxPods: Int = 110
    public var ephemeralStorage: Quantity = try! Quantity(parsing: "100Gi")
    /// Extra labels (`--node-labels`); they override the built-in ones of the same key.
    public var labels: [String: String] = [:]
    /// Taints registered with the node (`--register-with-taints`).
    public var taints: [NodeTaint] = []
    /// Zones the nodes are spread over round-robin (`zone-0` ...); 0 sets no zone label.
    public var zones: Int = 0
    /// How often each node's Lease is renewed; renewals of all nodes are spread over it.
    public var leaseRenewInterval: Duration = .seconds(10)
    /// How often the Ready condition's heartbeat is refreshed (upstream's node status report frequency).
    public var statusUpdateFrequency: Duration = .seconds(300)
    /// Bound on requests in flight per loop (registration, leases, heartbeats, pods).
    public var concurrency: Int = 32
    public var kubeletVersion: String = "v1.36.0"
    public var architecture: String = SimulatedNodeConfig.hostArchitecture

    /// Upstream's node lease duration.
    public static let leaseDurationSeconds: Int64 = 40
    /// Each node's pod range is a /24; .0 is the network, .1 the gateway, .255 broadcast.
    public static let maxPodsPerNode = 253
    /// Pod ranges are carved from 10.128.0.0/9 and node addresses from 172.16.0.0/12.
    public static let maxNodes = 32_768

    public init(count: Int) {
        self.count = count
    }

    public static var hostArchitecture: String {
        #if arch(arm64)
        "arm64"
        #elseif arch(x86_64)
        "amd64"
        #else
        "unknown"
        #endif
    }

    /// The name of node `index`.
    public func nodeName(_ index: Int) -> String { "\(namePrefix)-\(index)" }

    /// The zone of node `index`, nil when no zones are configured.
    public func zone(_ index: Int) -> String? { zones > 0 ? "zone-\(index % zones)" : nil }

    public func validate() throws(SimulatedNodeConfigError) {
        guard (1...Self.maxNodes).contains(count) else {
            throw .init("--simulate must be between 1 and \(Self.maxNodes)")
        }
        let problems = NameValidation.isDNS1123Subdomain(nodeName(count - 1))
        guard problems.isEmpty else {
            throw .init("--node-name-prefix: \(namePrefix)-N is not a valid node name: \(problems.joined(separator: "; "))")
        }
        guard (1...Self.maxPodsPerNode).contains(maxPods) else {
            throw .init("--max-pods must be between 1 and \(Self.maxPodsPerNode) (one /24 pod range per node)")
        }
        guard cpu.sign > 0, memory.sign > 0, ephemeralStorage.sign > 0 else {
            throw .init("--cpu, --memory and --ephemeral-storage must be positive")
        }
        guard zones >= 0 else { throw .init("--zones must not be negative") }
        guard leaseRenewInterval > .zero, statusUpdateFrequency > .zero else {
            throw .init("--lease-renew-interval and --node-status-update-frequency must be positive")
        }
        guard concurrency > 0 else { throw .init("concurrency must be positive") }
    }
}

/// A taint as `--register-with-taints` gives it: `key[=value]:Effect`.
public struct NodeTaint: Sendable, Hashable {
    public var key: String
    public var value: String?
    public var effect: String

    public init(key: String, value: String? = nil, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    public var json: JSONValue {
        var taint: [String: JSONValue] = ["key": .string(key), "effect": .string(effect)]
        if let value, !value.isEmpty { taint["value"] = .string(value) }
        return .object(taint)
    }
}

public struct SimulatedNodeConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension SimulatedNodeConfig {
    /// Parses `--node-labels k=v,k2=v2` with upstream's key and value rules.
    public static func parseLabels(_ text: String) throws(SimulatedNodeConfigError) -> [String: String] {
        var labels: [String: String] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .init("--node-labels: \(item) is not of the form key=value") }
            let key = String(parts[0]), value = String(parts[1])
            let keyProblems = NameValidation.isQualifiedName(key)
            guard keyProblems.isEmpty else {
                throw .init("--node-labels: invalid label key \"\(key)\": \(keyProblems.joined(separator: "; "))")
            }
            let valueProblems = NameValidation.isValidLabelValue(value)
            guard valueProblems.isEmpty else {
                throw .init("--node-labels: invalid label value \"\(value)\": \(valueProblems.joined(separator: "; "))")
            }
            labels[key] = value
        }
        return labels
    }

    static let taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

    /// Parses `--register-with-taints key=value:Effect,key2:Effect` as the kubelet does.
    public static func parseTaints(_ text: String) throws(SimulatedNodeConfigError) -> [NodeTaint] {
        var taints: [NodeTaint] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let colon = item.lastIndex(of: ":") else {
                throw .init("--register-with-taints: invalid taint spec: \(item)")
            }
            let effect = String(item[item.index(after: colon)...])
            guard taintEffects.contains(effect) else {
                throw .init("--register-with-taints: invalid taint effect: \(effect), unsupported taint effect")
            }
            let keyValue = item[..<colon].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(keyValue[0])
            let value = keyValue.count == 2 ? String(keyValue[1]) : nil
            let keyProblems = NameValidation.isQualifiedName(key)
            guard keyProblems.isEmpty else {
                throw .init("--register-with-taints: invalid taint key \"\(key)\": \(keyProblems.joined(separator: "; "))")
            }
            if let value {
                let valueProblems = NameValidation.isValidLabelValue(value)
                guard valueProblems.isEmpty else {
                    throw .init("--register-with-taints: invalid taint value \"\(value)\": \(valueProblems.joined(separator: "; "))")
                }
            }
            if taints.contains(where: { $0.key == key && $0.effect == effect }) {
                throw .init("--register-with-taints: duplicate taint \(key):\(effect)")
            }
            taints.append(NodeTaint(key: key, value: value, effect: effect))
        }
        return taints
    }
}
