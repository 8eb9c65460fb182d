import KyvernAPI

/// One of a container's probes, parsed from the pod spec with upstream's defaults.
struct ProbeSpec: Sendable, Hashable {
    enum Kind: String, Sendable, Hashable {
        case liveness = "Liveness", readiness = "Readiness", startup = "Startup"

        var field: String {
            switch self {
            case .liveness: "livenessProbe"
            case .readiness: "readinessProbe"
            case .startup: "startupProbe"
            }
        }
    }

    enum Action: Sendable, Hashable {
        case exec(command: [String])
        case httpGet(scheme: String, host: String?, port: Int, path: String, headers: [(String, String)])
        case tcpSocket(host: String?, port: Int)
        case grpc(port: Int, service: String)

        static func == (a: Action, b: Action) -> Bool { "\(a)" == "\(b)" }
        func hash(into hasher: inout Hasher) { hasher.combine("\(self)") }
    }

    var kind: Kind
    var action: Action
    var initialDelaySeconds: Int64 = 0
    var periodSeconds: Int64 = 10
    var timeoutSeconds: Int64 = 1
    var successThreshold: Int64 = 1
    var failureThreshold: Int64 = 3

    /// The container's probe of `kind`, nil when it has none (or its port names no container port).
    static func parse(_ kind: Kind, container: JSONValue) -> ProbeSpec? {
        guard let probe = container[kind.field], probe.objectValue != nil else { return nil }
        func port(_ value: JSONValue?) -> Int? {
            if let number = value?.intValue { return Int(number) }
            guard let name = value?.stringValue else { return nil }
            if let number = Int(name) { return number }
            let match = (container["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }
            return match?["containerPort"]?.intValue.map(Int.init)
        }
        let action: Action
        if let exec = probe["exec"] {
            action = .exec(command: (exec["command"]?.arrayValue ?? []).compactMap(\.stringValue))
        } else if let http = probe["httpGet"], let number = port(http["port"]) {
            let headers = (http["httpHeaders"]?.arrayValue ?? []).compactMap { header -> (String, String)? in
                guard let name = header["name"]?.stringValue else { return nil }
                return (name, header["value"]?.stringValue ?? "")
            }
            var path = http["path"]?.stringValue ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            action = .httpGet(scheme: (http["scheme"]?.stringValue ?? "HTTP").lowercased(),
                              host: http["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
                              port: number, path: path, headers: headers)
        } else if let tcp = probe["tcpSocket"], let number = port(tcp["port"]) {
            action = .tcpSocket(host: tcp["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, port: number)
        } else if let grpc = probe["grpc"], let number = grpc["port"]?.intValue {
            action = .grpc(port: Int(number), service: grpc["service"]?.stringValue ?? "")
        } else {
            return nil
        }
        var spec = ProbeSpec(kind: kind, action: action)
        spec.initialDelaySeconds = probe["initialDelaySeconds"]?.intValue ?? 0
        spec.periodSeconds = max(1, probe["periodSeconds"]?.intValue ?? 10)
        spec.timeoutSeconds = max(1, probe["timeoutSeconds"]?.intValue ?? 1)
        spec.successThreshold = max(1, probe["successThreshold"]?.intValue ?? 1)
        spec.failureThreshold = max(1, probe["failureThreshold"]?.intValue ?? 3)
        return spec
    }
}

/// What one probe attempt found; `failure` carries upstream's output or error text.
enum ProbeOutcome: Sendable, Hashable {
    case success
    case failure(String)

    var succeeded: Bool { self == .success }
}
