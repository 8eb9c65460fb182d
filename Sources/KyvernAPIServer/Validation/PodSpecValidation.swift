import KyvernAPI

/// The checks upstream's `ValidatePodSpec` makes that users meet most: containers, their names,
/// images, ports and resources, volumes and mounts, restart and DNS policy.
///
/// Fields upstream defaults (restartPolicy, dnsPolicy, protocol, imagePullPolicy) are accepted when
/// absent, so objects validate the same before and after defaulting.
struct PodSpecValidation {
    /// The path of the spec, e.g. `spec` or `spec.template.spec`.
    var path: String
    var causes: [APIError.Cause] = []

    init(path: String) {
        self.path = path
    }

    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let dnsPolicies = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]
    static let pullPolicies = ["Always", "IfNotPresent", "Never"]
    static let standardContainerResources: Set<String> = ["cpu", "memory", "ephemeral-storage"]

    /// `extraVolumes` are names mounts may refer to besides the spec's volumes (a StatefulSet's claims).
    static func validate(_ spec: JSONValue?, path: String, extraVolumes: Set<String> = []) -> [APIError.Cause] {
        var v = PodSpecValidation(path: path)
        v.validate(spec ?? [:], extraVolumes: extraVolumes)
        return v.causes
    }

    mutating func validate(_ spec: JSONValue, extraVolumes: Set<String> = []) {
        let volumes = validateVolumes(spec["volumes"]?.arrayValue ?? []).union(extraVolumes)
        var names: Set<String> = []
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty {
            causes.append(.required("\(path).containers"))
        }
        for (i, container) in containers.enumerated() {
            validateContainer(container, path: "\(path).containers[\(i)]", names: &names, volumes: volumes)
        }
        for (i, container) in (spec["initContainers"]?.arrayValue ?? []).enumerated() {
            validateContainer(container, path: "\(path).initContainers[\(i)]", names: &names, volumes: volumes)
        }
        if let policy = spec["restartPolicy"], let name = policy.stringValue {
            if name.isEmpty {
                causes.append(.required("\(path).restartPolicy"))
            } else if !Self.restartPolicies.contains(name) {
                causes.append(.notSupported("\(path).restartPolicy", policy, supported: Self.restartPolicies))
            }
        }
        if let policy = spec["dnsPolicy"], let name = policy.stringValue, !name.isEmpty, !Self.dnsPolicies.contains(name) {
            causes.append(.notSupported("\(path).dnsPolicy", policy, supported: Self.dnsPolicies))
        }
        if spec["dnsPolicy"]?.stringValue == "None", spec["dnsConfig"] == nil {
            causes.append(.required("\(path).dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"))
        }
        for key in ["terminationGracePeriodSeconds"] {
            if let seconds = spec[key]?.intValue, seconds < 0 {
                causes.append(.invalid("\(path).\(key)", .int(seconds), "must be greater than or equal to 0"))
            }
        }
        if let seconds = spec["activeDeadlineSeconds"]?.intValue, seconds < 1 || seconds > Int64(Int32.max) {
            causes.append(.invalid("\(path).activeDeadlineSeconds", .int(seconds), "must be between 1 and 2147483647, inclusive"))
        }
    }

    /// Volume names: required, DNS-1123 labels, unique. Returns the names for the mounts to refer to.
    mutating func validateVolumes(_ volumes: [JSONValue]) -> Set<String> {
        var names: Set<String> = []
        for (i, volume) in volumes.enumerated() {
            let field = "\(path).volumes[\(i)].name"
            let name = volume["name"]?.stringValue ?? ""
            if name.isEmpty {
                causes.append(.required(field))
            } else {
                for message in NameValidation.isDNS1123Label(name) {
                    causes.append(.invalid(field, .string(name), message))
                }
            }
            if !name.isEmpty, !names.insert(name).inserted {
                causes.append(.duplicate(field, .string(name)))
            }
        }
        return names
    }

    mutating func validateContainer(_ container: JSONValue, path: String, names: inout Set<String>, volumes: Set<String>) {
        let name = container["name"]?.stringValue ?? ""
        if name.isEmpty {
            causes.append(.required("\(path).name"))
        } else {
            for message in NameValidation.isDNS1123Label(name) {
                causes.append(.invalid("\(path).name", .string(name), message))
            }
            if !names.insert(name).inserted {
                causes.append(.duplicate("\(path).name", .string(name)))
            }
        }
        let image = container["image"]?.stringValue ?? ""
        if image.isEmpty {
            causes.append(.required("\(path).image"))
        } else if image != image.trimmingWhitespace {
            causes.append(.invalid("\(path).image", .string(image), "must not have leading or trailing whitespace"))
        }
        if let policy = container["imagePullPolicy"], let value = policy.stringValue, !value.isEmpty, !Self.pullPolicies.contains(value) {
            causes.append(.notSupported("\(path).imagePullPolicy", policy, supported: Self.pullPolicies))
        }
        validatePorts(container["ports"]?.arrayValue ?? [], path: "\(path).ports")
        validateResources(container["resources"], path: "\(path).resources")
        validateMounts(container["volumeMounts"]?.arrayValue ?? [], path: "\(path).volumeMounts", volumes: volumes)
    }

    mutating func validatePorts(_ ports: [JSONValue], path: String) {
        var names: Set<String> = []
        for (i, port) in ports.enumerated() {
            let item = "\(path)[\(i)]"
            if let name = port["name"]?.stringValue, !name.isEmpty {
                let errors = PortValidation.portNameErrors(name)
                for message in errors { causes.append(.invalid("\(item).name", .string(name), message)) }
                if errors.isEmpty, !names.insert(name).inserted {
                    causes.append(.duplicate("\(item).name", .string(name)))
                }
            }
            let number = port["containerPort"]?.intValue ?? 0
            if number == 0 {
                causes.append(.required("\(item).containerPort"))
            } else {
                for message in PortValidation.portNumberErrors(number) {
                    causes.append(.invalid("\(item).containerPort", .int(number), message))
                }
            }
            if let host = port["hostPort"]?.intValue, host != 0 {
                for message in PortValidation.portNumberErrors(host) {
                    causes.append(.invalid("\(item).hostPort", .int(host), message))
                }
            }
            causes += PortValidation.protocolCauses(port["protocol"], field: "\(item).protocol")
        }
    }

    /// Resource names and values, and each request at most its limit (upstream's `validateResourceRequirements`).
    mutating func validateResources(_ resources: JSONValue?, path: String) {
        let limits = resources?["limits"]?.objectValue ?? [:]
        let requests = resources?["requests"]?.objectValue ?? [:]
        func quantity(_ value: JSONValue) -> Quantity? {
            value.stringValue.flatMap { try? Quantity(parsing: $0) }
        }
        func checkEntry(_ name: String, _ value: JSONValue, field: String) {
            if !name.contains("/"), !Self.standardContainerResources.contains(name), !name.hasPrefix("hugepages-") {
                causes.append(.invalid(field, .string(name), "must be a standard resource for containers"))
            }
            if let q = quantity(value), q.sign < 0 {
                causes.append(.invalid(field, .string(q.description), "must be greater than or equal to 0"))
            }
        }
        for (name, value) in limits.sorted(by: { $0.key < $1.key }) {
            checkEntry(name, value, field: "\(path).limits[\(name)]")
        }
        for (name, value) in requests.sorted(by: { $0.key < $1.key }) {
            checkEntry(name, value, field: "\(path).requests[\(name)]")
            guard let request = quantity(value) else { continue }
            if let limitValue = limits[name], let limit = quantity(limitValue) {
                if request > limit {
                    causes.append(.invalid("\(path).requests", .string(request.description),
                                           "must be less than or equal to \(name) limit of \(limit.description)"))
                }
            }
        }
    }

    mutating func validateMounts(_ mounts: [JSONValue], path: String, volumes: Set<String>) {
        var mountPaths: Set<String> = []
        for (i, mount) in mounts.enumerated() {
            let item = "\(path)[\(i)]"
            let name = mount["name"]?.stringValue ?? ""
            if name.isEmpty { causes.append(.required("\(item).name")) }
            if !volumes.contains(name) { causes.append(.notFound("\(item).name", .string(name))) }
            let mountPath = mount["mountPath"]?.stringValue ?? ""
            if mountPath.isEmpty {
                causes.append(.required("\(item).mountPath"))
            } else if !mountPaths.insert(mountPath).inserted {
                causes.append(.invalid("\(item).mountPath", .string(mountPath), "must be unique"))
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let start = firstIndex(where: { !isSpace($0) }) ?? endIndex
        let end = lastIndex(where: { !isSpace($0) }).map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
