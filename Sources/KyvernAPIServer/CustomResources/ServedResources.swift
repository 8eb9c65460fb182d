import Foundation
import KyvernAPI
import Synchronization

/// Every resource the server serves right now: the built-in catalog plus the custom resources of
/// established CustomResourceDefinitions, with the discovery and OpenAPI documents that describe
/// them. Requests read it without waiting; the CRD controller swaps in a new snapshot when a
/// definition changes, so a new resource is served as soon as its names are accepted.
final class ServedResources: Sendable {
    /// One consistent view: routing, discovery and OpenAPI always agree.
    struct Snapshot: Sendable {
        var custom: [String: CustomResourceVersion] = [:]
        var discovery: DiscoveryDocuments
        var openAPI: OpenAPIDocuments
        var rootPaths: [UInt8]
    }

    private let builtIn: [ResourceInfo]
    private let builtInGroupVersions: [GroupVersionInfo]
    private let baseOpenAPI: OpenAPIDocuments
    /// The meta schemas every custom group version's document carries, parsed once.
    private let metaSchemas: [String: JSONValue]
    private let serverAddress: String
    private let state: Mutex<Snapshot>
    /// The built-in `/openapi/v2` document, parsed the first time a custom resource is served.
    private let parsedV2: Mutex<JSONValue?> = Mutex(nil)

    init(openAPI: OpenAPIDocuments, serverAddress: String) {
        builtIn = StreamingCatalog.extend(ResourceCatalog.all)
        builtInGroupVersions = StreamingCatalog.extend(ResourceCatalog.groupVersions)
        baseOpenAPI = openAPI
        metaSchemas = CustomResourceOpenAPI.metaSchemas(openAPI)
        self.serverAddress = serverAddress
        state = Mutex(Snapshot(
            discovery: DiscoveryDocuments(catalog: builtIn, groupVersions: builtInGroupVersions, serverAddress: serverAddress),
            openAPI: openAPI, rootPaths: Self.rootPaths(builtInGroupVersions)))
    }

    var snapshot: Snapshot { state.withLock { $0 } }
    var discovery: DiscoveryDocuments { state.withLock { $0.discovery } }
    var openAPI: OpenAPIDocuments { state.withLock { $0.openAPI } }
    var rootPaths: [UInt8] { state.withLock { $0.rootPaths } }

    /// The built-in resource, or else the custom one, at this group/version/resource.
    func find(group: String, version: String, resource: String) -> ResourceInfo? {
        if let info = ResourceCatalog.find(group: group, version: version, resource: resource) { return info }
        return custom(group: group, version: version, resource: resource)?.info
    }

    /// The resource of a kind at a group version (`apps/v1`, `Deployment`), built-in or custom.
    func info(apiVersion: String, kind: String) -> ResourceInfo? {
        if let info = builtIn.first(where: { $0.groupVersion == apiVersion && $0.kind == kind }) { return info }
        return state.withLock { $0.custom.values.first { $0.info.groupVersion == apiVersion && $0.info.kind == kind }?.info }
    }

    func custom(group: String, version: String, resource: String) -> CustomResourceVersion? {
        state.withLock { $0.custom[Self.key(group, version, resource)] }
    }

    /// Whether a group is one of the server's own (a CRD may not take it over).
    func isBuiltInGroup(_ group: String) -> Bool {
        builtInGroupVersions.contains { $0.group == group }
    }

    /// Rebuilds the custom part from every CustomResourceDefinition (established ones are served).
    func update(definitions: [JSONValue]) {
        var custom: [String: CustomResourceVersion] = [:]
        var servedVersions: [CustomResourceVersion] = []
        for crd in definitions {
            for version in CustomResourceVersion.servedVersions(of: crd)
            where !isBuiltInGroup(version.info.group) {
                custom[Self.key(version.info.group, version.info.version, version.info.resource)] = version
                servedVersions.append(version)
            }
        }
        let groupVersions = Self.groupVersions(of: servedVersions)
        let catalog = builtIn + servedVersions.map(\.info).sorted {
            ($0.group, KubeVersionOrder.rank($0.version), $0.resource) < ($1.group, KubeVersionOrder.rank($1.version), $1.resource)
        }
        let allGroupVersions = builtInGroupVersions + groupVersions
        let discovery = DiscoveryDocuments(catalog: catalog, groupVersions: allGroupVersions, serverAddress: serverAddress)
        let openAPI = CustomResourceOpenAPI.documents(base: baseOpenAPI, meta: metaSchemas, versions: servedVersions,
                                                      v2: v2Document(servedVersions))
        let rootPaths = Self.rootPaths(allGroupVersions)
        state.withLock {
            $0 = Snapshot(custom: custom, discovery: discovery, openAPI: openAPI, rootPaths: rootPaths)
        }
    }

    /// `/openapi/v2` (JSON and protobuf) with `versions` merged in; nil (the built-in bytes) when
    /// none is served. The protobuf form appends the custom part to the built-in bytes.
    private func v2Document(_ versions: [CustomResourceVersion]) -> (json: [UInt8], protobuf: [UInt8])? {
        guard !versions.isEmpty else { return nil }
        let base = parsedV2.withLock { (parsed: inout JSONValue?) -> JSONValue in
            if let parsed { return parsed }
            let value = (try? JSONValue.parse(baseOpenAPI.v2)) ?? [:]
            parsed = value
            return value
        }
        let custom = CustomResourceOpenAPIV2.parts(versions)
        return (CustomResourceOpenAPIV2.document(base: base, custom: custom).serialized(),
                baseOpenAPI.v2Protobuf + OpenAPIV2Protobuf.fragment(paths: custom.paths, definitions: custom.definitions))
    }

    /// Custom groups in name order, each one's versions by Kubernetes version priority; the group's
    /// preferred version is its highest-priority served one, as upstream prefers it.
    static func groupVersions(of versions: [CustomResourceVersion]) -> [GroupVersionInfo] {
        var byGroup: [String: Set<String>] = [:]
        for version in versions { byGroup[version.info.group, default: []].insert(version.info.version) }
        var result: [GroupVersionInfo] = []
        for group in byGroup.keys.sorted() {
            let ordered = byGroup[group]!.sorted { KubeVersionOrder.rank($0) < KubeVersionOrder.rank($1) }
            for (index, version) in ordered.enumerated() {
                result.append(GroupVersionInfo(group: group, version: version, preferred: index == 0))
            }
        }
        return result
    }

    static func rootPaths(_ groupVersions: [GroupVersionInfo]) -> [UInt8] {
        var paths: Set<String> = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/metrics",
                                  "/openapi/v2", "/openapi/v3", "/version"]
        for gv in groupVersions where !gv.group.isEmpty {
            paths.insert("/apis/\(gv.group)")
            paths.insert("/apis/\(gv.group)/\(gv.version)")
        }
        return JSONValue.object(["paths": .array(paths.sorted().map { .string($0) })]).serialized()
    }

    private static func key(_ group: String, _ version: String, _ resource: String) -> String {
        "\(group)/\(version)/\(resource)"
    }
}

/// Kubernetes' version priority: GA before beta before alpha, higher numbers first, then any
/// other version name alphabetically (upstream's `CompareKubeAwareVersionStrings`).
enum KubeVersionOrder {
    /// A sortable rank: smaller sorts first.
    static func rank(_ version: String) -> VersionRank {
        let chars = Array(version)
        guard chars.first == "v", chars.count > 1 else { return VersionRank(tier: 3, major: 0, minor: 0, name: version) }
        var index = 1
        var majorDigits = ""
        while index < chars.count, chars[index].isASCII, chars[index].isNumber { majorDigits.append(chars[index]); index += 1 }
        guard let major = Int(majorDigits), !majorDigits.hasPrefix("0") else {
            return VersionRank(tier: 3, major: 0, minor: 0, name: version)
        }
        if index == chars.count { return VersionRank(tier: 0, major: -major, minor: 0, name: version) }
        let rest = String(chars[index...])
        for (tier, label) in [(1, "beta"), (2, "alpha")] where rest.hasPrefix(label) {
            let digits = rest.dropFirst(label.count)
            if let minor = Int(digits), !digits.hasPrefix("0") {
                return VersionRank(tier: tier, major: -major, minor: -minor, name: version)
            }
        }
        return VersionRank(tier: 3, major: 0, minor: 0, name: version)
    }

    struct VersionRank: Comparable, Sendable {
        var tier: Int
        var major: Int
        var minor: Int
        var name: String

        static func < (a: VersionRank, b: VersionRank) -> Bool {
            (a.tier, a.major, a.minor, a.name) < (b.tier, b.major, b.minor, b.name)
        }
    }
}
