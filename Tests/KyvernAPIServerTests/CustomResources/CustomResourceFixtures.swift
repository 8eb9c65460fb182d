import KyvernAPI
@testable import KyvernAPIServer

/// CustomResourceDefinitions as the tests of this folder need them.
enum CustomResourceFixtures {
    static func definition(group: String = "stable.example.com", plural: String = "crontabs", kind: String = "CronTab",
                           shortNames: [String] = ["ct"], versions: [JSONValue]? = nil,
                           established: Bool = true) -> JSONValue {
        var crd: JSONValue = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": .string("\(plural).\(group)")],
            "spec": [
                "group": .string(group), "scope": "Namespaced",
                "names": ["plural": .string(plural), "singular": .string(kind.lowercased()), "kind": .string(kind),
                          "listKind": .string("\(kind)List"), "shortNames": .array(shortNames.map { .string($0) })],
                "versions": .array(versions ?? [version("v1", storage: true)]),
            ],
        ]
        if established {
            crd["status"] = CustomResourceDefinitionNames.status(of: crd, others: [], now: "2026-11-27T00:00:00Z")
        }
        return crd
    }

    static func version(_ name: String, served: Bool = true, storage: Bool = false, deprecated: Bool = false,
                        columns: [JSONValue] = [], scale: Bool = true) -> JSONValue {
        var version: JSONValue = [
            "name": .string(name), "served": .bool(served), "storage": .bool(storage),
            "schema": ["openAPIV3Schema": ["type": "object", "properties": [
                "spec": ["type": "object", "properties": ["replicas": ["type": "integer"]]],
                "status": ["type": "object"],
            ]]],
            "subresources": ["status": [:]],
            "additionalPrinterColumns": .array(columns),
        ]
        if scale {
            version[path: ["subresources", "scale"]] = ["specReplicasPath": ".spec.replicas",
                                                         "statusReplicasPath": ".status.replicas",
                                                         "labelSelectorPath": ".status.selector"]
        }
        if deprecated { version["deprecated"] = true }
        return version
    }
}
