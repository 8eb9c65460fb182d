#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KyvernAPI

/// Upstream's `ValidateService` checks users meet most: type, ports (numbers, names, protocols,
/// node ports), cluster IP and external name. Absent defaulted fields (type, protocol, targetPort) pass.
enum ServiceValidation {
    static let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let nodePortRange: ClosedRange<Int64> = 30000...32767

    static func validate(_ service: JSONValue) -> [APIError.Cause] {
        let spec = service["spec"] ?? [:]
        var causes: [APIError.Cause] = []
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        if let value = spec["type"], !types.contains(type) {
            causes.append(.notSupported("spec.type", value, supported: types))
        }
        let clusterIP = spec["clusterIP"]?.stringValue ?? ""
        let headless = clusterIP == "None"
        let ports = spec["ports"]?.arrayValue ?? []
        if ports.isEmpty && !headless && type != "ExternalName" {
            causes.append(.required("spec.ports"))
        }
        var names: Set<String> = []
        var nodePorts: Set<String> = []
        for (i, port) in ports.enumerated() {
            let path = "spec.ports[\(i)]"
            let name = port["name"]?.stringValue ?? ""
            if ports.count > 1 && name.isEmpty {
                causes.append(.required("\(path).name"))
            } else if !name.isEmpty {
                for message in NameValidation.isDNS1123Label(name) {
                    causes.append(.invalid("\(path).name", .string(name), message))
                }
                if !names.insert(name).inserted { causes.append(.duplicate("\(path).name", .string(name))) }
            }
            let number = port["port"]?.intValue ?? 0
            for message in PortValidation.portNumberErrors(number) {
                causes.append(.invalid("\(path).port", .int(number), message))
            }
            causes += PortValidation.protocolCauses(port["protocol"], field: "\(path).protocol")
            // 0 and "" default to the port itself.
            if let target = port["targetPort"], target != .int(0), target != .string("") {
                causes += PortValidation.numberOrNameCauses(target, field: "\(path).targetPort")
            }
            if let nodePort = port["nodePort"]?.intValue, nodePort != 0 {
                if type == "ClusterIP" {
                    causes.append(.forbidden("\(path).nodePort", "may not be used when `type` is 'ClusterIP'"))
                } else if !nodePortRange.contains(nodePort) {
                    causes.append(.invalid("\(path).nodePort", .int(nodePort),
                                           "provided port is not in the valid range. The range of valid ports is 30000-32767"))
                }
                let key = "\(port["protocol"]?.stringValue ?? "TCP")/\(nodePort)"
                if !nodePorts.insert(key).inserted { causes.append(.duplicate("\(path).nodePort", .int(nodePort))) }
            }
        }
        if !clusterIP.isEmpty && !headless && !isIP(clusterIP) {
            causes.append(.invalid("spec.clusterIPs[0]", .string(clusterIP), "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        }
        if type == "ExternalName" {
            let externalName = spec["externalName"]?.stringValue ?? ""
            if externalName.isEmpty {
                causes.append(.required("spec.externalName"))
            }
        }
        causes += WorkloadValidation.enumCause(spec["sessionAffinity"], "spec.sessionAffinity", ["ClientIP", "None"])
        if let selector = spec["selector"]?.objectValue {
            causes += validateLabels(selector.compactMapValues(\.stringValue), fieldPath: "spec.selector")
        }
        return causes
    }

    /// An IPv4 address in dotted-quad form without leading zeros, or an IPv6 address.
    static func isIP(_ text: String) -> Bool {
        if text.contains(":") {
            var address = in6_addr()
            return inet_pton(AF_INET6, text, &address) == 1
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), let n = Int(part), n <= 255 else { return false }
            return part == "0" || !part.hasPrefix("0")
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
