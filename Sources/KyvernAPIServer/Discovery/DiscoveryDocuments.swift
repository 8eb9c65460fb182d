import Foundation
import KyvernAPI

/// The discovery documents, built once from the resource catalog: `/api`, `/apis`, each group,
/// each group version, and the aggregated (apidiscovery.k8s.io) documents kubectl reads first.
struct DiscoveryDocuments: Sendable {
    let api: [UInt8]
    let apis: [UInt8]
    let groups: [String: [UInt8]]
    let resourceLists: [String: [UInt8]]
    let aggregatedCore: [String: [UInt8]]
    let aggregatedGroups: [String: [UInt8]]

    init(catalog: [ResourceInfo], groupVersions: [GroupVersionInfo], serverAddress: String) {
        api = ([
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ] as JSONValue).serialized()

        var groupOrder: [String] = []
        var versionsByGroup: [String: [GroupVersionInfo]] = [:]
        for gv in groupVersions where !gv.group.isEmpty {
            if versionsByGroup[gv.group] == nil { groupOrder.append(gv.group) }
            versionsByGroup[gv.group, default: []].append(gv)
        }
        func groupObject(_ name: String) -> JSONValue {
            let versions = versionsByGroup[name] ?? []
            let preferred = versions.first { $0.preferred } ?? versions[0]
            return [
                "name": .string(name),
                "versions": .array(versions.map { ["groupVersion": .string("\(name)/\($0.version)"), "version": .string($0.version)] }),
                "preferredVersion": ["groupVersion": .string("\(name)/\(preferred.version)"), "version": .string(preferred.version)],
            ]
        }
        apis = ([
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(groupOrder.map(groupObject)),
        ] as JSONValue).serialized()
        var groups: [String: [UInt8]] = [:]
        for name in groupOrder {
            var object = groupObject(name)
            object["kind"] = "APIGroup"
            object["apiVersion"] = "v1"
            groups[name] = object.serialized()
        }
        self.groups = groups

        var resourceLists: [String: [UInt8]] = [:]
        for gv in groupVersions {
            let groupVersion = gv.group.isEmpty ? gv.version : "\(gv.group)/\(gv.version)"
            let resources = catalog.filter { $0.group == gv.group && $0.version == gv.version }
            var entries: [JSONValue] = []
            for info in resources {
                var entry: JSONValue = [
                    "name": .string(info.resource), "singularName": .string(info.singularName),
                    "namespaced": .bool(info.namespaced), "kind": .string(info.kind),
                    "verbs": .array(info.verbs.map { .string($0) }),
                ]
                if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map { .string($0) }) }
                if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map { .string($0) }) }
                entries.append(entry)
                for sub in info.subresources {
                    var subEntry: JSONValue = [
                        "name": .string("\(info.resource)/\(sub.name)"), "singularName": "",
                        "namespaced": .bool(info.namespaced), "kind": .string(sub.kind),
                        "verbs": .array(sub.verbs.map { .string($0) }),
                    ]
                    if sub.group != info.group || sub.version != info.version, !(sub.group.isEmpty && sub.version.isEmpty) {
                        subEntry["group"] = .string(sub.group)
                        subEntry["version"] = .string(sub.version)
                    }
                    entries.append(subEntry)
                }
            }
            resourceLists[groupVersion] = ([
                "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion),
                "resources": .array(entries),
            ] as JSONValue).serialized()
        }
        self.resourceLists = resourceLists

        func aggregated(_ groupNames: [String], apiVersion: String) -> [UInt8] {
            var items: [JSONValue] = []
            for name in groupNames {
                let versions = name.isEmpty ? groupVersions.filter { $0.group.isEmpty } : (versionsByGroup[name] ?? [])
                let versionEntries: [JSONValue] = versions.map { gv in
                    let resources = catalog.filter { $0.group == gv.group && $0.version == gv.version }
                    return [
                        "version": .string(gv.version),
                        "freshness": "Current",
                        "resources": .array(resources.map { info in
                            var entry: JSONValue = [
                                "resource": .string(info.resource),
                                "responseKind": ["group": .string(info.group), "version": .string(info.version), "kind": .string(info.kind)],
                                "scope": info.namespaced ? "Namespaced" : "Cluster",
                                "singularResource": .string(info.singularName),
                                "verbs": .array(info.verbs.map { .string($0) }),
                            ]
                            if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map { .string($0) }) }
                            if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map { .string($0) }) }
                            if !info.subresources.isEmpty {
                                entry["subresources"] = .array(info.subresources.map { sub in
                                    [
                                        "subresource": .string(sub.name),
                                        "responseKind": ["group": .string(sub.group), "version": .string(sub.version), "kind": .string(sub.kind)],
                                        "verbs": .array(sub.verbs.map { .string($0) }),
                                    ]
                                })
                            }
                            return entry
                        }),
                    ]
                }
                items.append(["metadata": ["name": .string(name), "creationTimestamp": .null], "versions": .array(versionEntries)])
            }
            return ([
                "kind": "APIGroupDiscoveryList", "apiVersion": .string(apiVersion), "metadata": [:],
                "items": .array(items),
            ] as JSONValue).serialized()
        }
        aggregatedCore = [
            "v2": aggregated([""], apiVersion: "apidiscovery.k8s.io/v2"),
            "v2beta1": aggregated([""], apiVersion: "apidiscovery.k8s.io/v2beta1"),
        ]
        aggregatedGroups = [
            "v2": aggregated(groupOrder, apiVersion: "apidiscovery.k8s.io/v2"),
            "v2beta1": aggregated(groupOrder, apiVersion: "apidiscovery.k8s.io/v2beta1"),
        ]
    }

    /// Which aggregated discovery version the `Accept` header asks for, if any (v2 preferred).
    static func aggregatedVersion(accept: String?) -> String? {
        guard let accept, accept.contains("as=APIGroupDiscoveryList") else { return nil }
        for option in accept.split(separator: ",") where option.contains("as=APIGroupDiscoveryList") {
            let params = option.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("v=v2") { return "v2" }
            if params.contains("v=v2beta1") { return "v2beta1" }
        }
        return nil
    }
}
