import KyvernAPI

/// The restricted level's checks (upstream's IDs and wording, as of 1.36): hardening best
/// practice on top of baseline. Several replace a baseline check with a stricter one.
enum PodSecurityRestrictedChecks {
    typealias Text = PodSecurityText

    static let all: [PodSecurityCheck] = [
        .init(id: "allowPrivilegeEscalation", level: .restricted, evaluate: { $0.isWindows ? nil : allowPrivilegeEscalation($0) }),
        .init(id: "capabilities_restricted", level: .restricted, overrides: ["capabilities_baseline"],
              evaluate: { $0.isWindows ? nil : capabilities($0) }),
        .init(id: "procMount_restricted", level: .restricted, overrides: ["procMount"],
              evaluate: PodSecurityBaselineChecks.procMount),
        .init(id: "restrictedVolumes", level: .restricted, overrides: ["hostPathVolumes"], evaluate: volumes),
        .init(id: "runAsNonRoot", level: .restricted, evaluate: { $0.usesUserNamespace ? nil : runAsNonRoot($0) }),
        .init(id: "runAsUser", level: .restricted, evaluate: { $0.usesUserNamespace ? nil : runAsUser($0) }),
        .init(id: "seccompProfile_restricted", level: .restricted, overrides: ["seccompProfile_baseline"],
              evaluate: { $0.isWindows ? nil : seccompProfile($0) }),
    ]

    /// Volume sources a restricted pod may use.
    static let allowedVolumeSources: Set<String> = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
    ]

    /// The sources upstream names when it refuses one, in the order it looks for them.
    static let namedVolumeSources = [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
        "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
        "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
    ]

    static func allowPrivilegeEscalation(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let bad = pod.containers.filter { $0[path: ["securityContext", "allowPrivilegeEscalation"]]?.boolValue != false }
            .map(PodSecurityPod.name)
        return bad.isEmpty ? nil : .init(reason: "allowPrivilegeEscalation != false",
                                         detail: "\(Text.containers(bad)) must set securityContext.allowPrivilegeEscalation=false")
    }

    static func capabilities(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var missingDrop: [String] = []
        var adding: [String] = []
        var forbidden: Set<String> = []
        for container in pod.containers {
            let name = PodSecurityPod.name(container)
            guard let caps = container[path: ["securityContext", "capabilities"]], caps != .null else {
                missingDrop.append(name)
                continue
            }
            if !(caps["drop"]?.arrayValue ?? []).contains(.string("ALL")) { missingDrop.append(name) }
            let extra = (caps["add"]?.arrayValue ?? []).compactMap(\.stringValue).filter { $0 != "NET_BIND_SERVICE" }
            if !extra.isEmpty {
                adding.append(name)
                forbidden.formUnion(extra)
            }
        }
        var details: [String] = []
        if !missingDrop.isEmpty {
            details.append("\(Text.containers(missingDrop)) must set securityContext.capabilities.drop=[\"ALL\"]")
        }
        if !adding.isEmpty {
            details.append("\(Text.containers(adding)) must not include \(Text.joinQuote(forbidden.sorted())) in securityContext.capabilities.add")
        }
        return details.isEmpty ? nil : .init(reason: "unrestricted capabilities", detail: details.joined(separator: "; "))
    }

    static func volumes(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var bad: [String] = []
        var types: Set<String> = []
        for volume in pod.spec["volumes"]?.arrayValue ?? [] {
            let sources = Set((volume.objectValue ?? [:]).filter { $0.key != "name" && $0.value != .null }.keys)
            if !sources.isDisjoint(with: allowedVolumeSources) { continue }
            bad.append(volume["name"]?.stringValue ?? "")
            types.insert(namedVolumeSources.first(where: sources.contains) ?? "unknown")
        }
        guard !bad.isEmpty else { return nil }
        return .init(reason: "restricted volume types", detail: "\(Text.pluralize("volume", "volumes", bad.count)) \(Text.joinQuote(bad)) "
            + "\(Text.pluralize("uses", "use", bad.count)) \(Text.pluralize("restricted volume type", "restricted volume types", types.count)) "
            + Text.joinQuote(types.sorted()))
    }

    static func runAsNonRoot(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var setters: [String] = []
        let podValue = pod.podSecurityContext?["runAsNonRoot"]?.boolValue
        if podValue == false { setters.append("pod") }
        var explicit: [String] = []
        var implicit: [String] = []
        for container in pod.containers {
            if let value = container[path: ["securityContext", "runAsNonRoot"]]?.boolValue {
                if !value { explicit.append(PodSecurityPod.name(container)) }
            } else if podValue != true {
                implicit.append(PodSecurityPod.name(container))
            }
        }
        if !explicit.isEmpty { setters.append(Text.containers(explicit)) }
        if !setters.isEmpty {
            return .init(reason: "runAsNonRoot != true",
                         detail: "\(setters.joined(separator: " and ")) must not set securityContext.runAsNonRoot=false")
        }
        guard !implicit.isEmpty else { return nil }
        return .init(reason: "runAsNonRoot != true",
                     detail: "pod or \(Text.containers(implicit)) must set securityContext.runAsNonRoot=true")
    }

    static func runAsUser(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var setters: [String] = []
        if pod.podSecurityContext?["runAsUser"]?.intValue == 0 { setters.append("pod") }
        let bad = pod.containers.filter { $0[path: ["securityContext", "runAsUser"]]?.intValue == 0 }.map(PodSecurityPod.name)
        if !bad.isEmpty { setters.append(Text.containers(bad)) }
        guard !setters.isEmpty else { return nil }
        return .init(reason: "runAsUser=0", detail: "\(setters.joined(separator: " and ")) must not set runAsUser=0")
    }

    static func seccompProfile(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let valid = PodSecurityBaselineChecks.validSeccomp
        var setters: [String] = []
        var values: Set<String> = []
        var podSet = false
        if let type = pod.podSecurityContext?[path: ["seccompProfile", "type"]]?.stringValue {
            if valid(type) { podSet = true } else { setters.append("pod"); values.insert(type) }
        }
        var explicit: [String] = []
        var implicit: [String] = []
        for container in pod.containers {
            if let type = container[path: ["securityContext", "seccompProfile", "type"]]?.stringValue {
                if !valid(type) { explicit.append(PodSecurityPod.name(container)); values.insert(type) }
            } else if !podSet {
                implicit.append(PodSecurityPod.name(container))
            }
        }
        if !explicit.isEmpty { setters.append(Text.containers(explicit)) }
        if !setters.isEmpty {
            return .init(reason: "seccompProfile", detail: "\(setters.joined(separator: " and ")) must not set "
                + "securityContext.seccompProfile.type to \(Text.joinQuote(values.sorted()))")
        }
        guard !implicit.isEmpty else { return nil }
        return .init(reason: "seccompProfile", detail: "pod or \(Text.containers(implicit)) must set "
            + "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"")
    }
}
