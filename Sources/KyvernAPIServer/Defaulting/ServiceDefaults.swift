import KyvernAPI

/// Upstream's defaults for Services and the endpoint kinds.
///
/// Cluster IPs, IP families and node ports are allocated, not defaulted, and are left to allocation.
enum ServiceDefaults {
    /// Seconds a ClientIP session sticks when no timeout is given (three hours).
    static let clientIPTimeoutSeconds: Int64 = 10800

    static func service(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultString("sessionAffinity", "None")
            switch spec["sessionAffinity"]?.stringValue {
            case "None":
                spec["sessionAffinityConfig"] = nil
            case "ClientIP":
                if spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]]?.isNull ?? true {
                    spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": .int(clientIPTimeoutSeconds)]]
                }
            default:
                break
            }
            spec.defaultString("type", "ClusterIP")
            spec.modifyEach("ports") { port in
                port.defaultString("protocol", "TCP")
                let target = port["targetPort"]
                if target == nil || target == .null || target?.intValue == 0 || target == "" {
                    port["targetPort"] = port["port"] ?? 0
                }
            }
            let type = spec["type"]?.stringValue ?? ""
            let externallyAccessible = type == "LoadBalancer" || type == "NodePort"
                || (type == "ClusterIP" && !spec.isEmpty("externalIPs"))
            if externallyAccessible { spec.defaultString("externalTrafficPolicy", "Cluster") }
            if ["ClusterIP", "NodePort", "LoadBalancer"].contains(type) {
                spec.defaultValue("internalTrafficPolicy", "Cluster")
            }
            if type == "LoadBalancer" { spec.defaultValue("allocateLoadBalancerNodePorts", true) }
        }
        // A load balancer's address without a mode is a virtual IP.
        if object[path: ["spec", "type"]] == "LoadBalancer" {
            object.modify(path: ["status", "loadBalancer"]) { balancer in
                balancer.modifyEach("ingress") { ingress in
                    if !ingress.isEmpty("ip") { ingress.defaultValue("ipMode", "VIP") }
                }
            }
        }
    }

    static func endpoints(_ object: inout JSONValue) {
        object.modifyEach("subsets") { subset in
            subset.modifyEach("ports") { $0.defaultString("protocol", "TCP") }
        }
    }

    static func endpointSlice(_ object: inout JSONValue) {
        // An endpoint's conditions are a plain struct upstream, written `{}` when empty.
        object.modifyEach("endpoints") { $0.defaultValue("conditions", [:]) }
        object.modifyEach("ports") { port in
            port.defaultValue("name", "")
            port.defaultValue("protocol", "TCP")
        }
    }
}
