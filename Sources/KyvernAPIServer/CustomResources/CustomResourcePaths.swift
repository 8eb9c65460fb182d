import Foundation
import KyvernAPI

/// The OpenAPI v3 path items of one custom resource, shaped as upstream's: collection, object,
/// `status` and `scale`, each operation tagged with its group/version/kind and listing the query
/// parameters the server accepts.
enum CustomResourcePaths {
    static func paths(for info: ResourceInfo, schema: String, listSchema: String, hasStatus: Bool,
                      hasScale: Bool) -> [String: JSONValue] {
        let base = "/apis/\(info.group)/\(info.version)/"
        let scope = info.namespaced ? "namespaces/{namespace}/" : ""
        let collection = base + scope + info.resource
        let item = collection + "/{name}"
        let kindWord = (info.namespaced ? "Namespaced" : "") + info.kind
        let tag = info.group.replacingOccurrences(of: ".", with: "_") + "_" + info.version
        let gvk: JSONValue = ["group": .string(info.group), "version": .string(info.version), "kind": .string(info.kind)]
        let scopeParameters = info.namespaced ? [pathParameter("namespace")] : []
        func operation(_ id: String, action: String, parameters: [String], body: JSONValue?, response: String,
                       codes: [String], kind: JSONValue = gvk) -> JSONValue {
            var op: JSONValue = [
                "operationId": .string(id),
                "parameters": .array(parameters.map(queryParameter)),
                "responses": .object(Dictionary(uniqueKeysWithValues: codes.map { code in
                    (code, code == "401" ? ["description": "Unauthorized"]
                        : ["description": .string(description(code)), "content": content(ref(response))])
                })),
                "tags": [.string(tag)],
                "x-kubernetes-action": .string(action),
                "x-kubernetes-group-version-kind": kind,
            ]
            if let body { op["requestBody"] = ["content": body, "required": true] }
            return op
        }
        let writeParameters = ["dryRun", "fieldManager", "fieldValidation"]
        let patchBody: JSONValue = .object(Dictionary(uniqueKeysWithValues: [
            "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
        ].map { ($0, ["schema": ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch")]) }))
        let objectBody: JSONValue = ["*/*": ["schema": ref(schema)]]
        let deleteBody: JSONValue = ["*/*": ["schema": ref("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")]]
        let status = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
        let id = "\(info.kind)"
        var paths: [String: JSONValue] = [:]
        paths[collection] = [
            "parameters": .array(scopeParameters + [queryParameter("pretty")]),
            "get": operation("list\(kindWord)", action: "list", parameters: listParameters, body: nil,
                             response: listSchema, codes: ["200", "401"]),
            "post": operation("create\(kindWord)", action: "post", parameters: writeParameters, body: objectBody,
                              response: schema, codes: ["200", "201", "202", "401"]),
            "delete": operation("deletecollection\(kindWord)", action: "deletecollection",
                                parameters: listParameters + ["dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"],
                                body: deleteBody, response: status, codes: ["200", "401"]),
        ]
        if info.namespaced {
            paths[base + info.resource] = [
                "parameters": [queryParameter("pretty")],
                "get": operation("list\(id)ForAllNamespaces", action: "list", parameters: listParameters, body: nil,
                                 response: listSchema, codes: ["200", "401"]),
            ]
        }
        paths[item] = [
            "parameters": .array([pathParameter("name")] + scopeParameters + [queryParameter("pretty")]),
            "get": operation("read\(kindWord)", action: "get", parameters: ["resourceVersion"], body: nil,
                             response: schema, codes: ["200", "401"]),
            "put": operation("replace\(kindWord)", action: "put", parameters: writeParameters, body: objectBody,
                             response: schema, codes: ["200", "201", "401"]),
            "patch": operation("patch\(kindWord)", action: "patch", parameters: writeParameters + ["force"], body: patchBody,
                               response: schema, codes: ["200", "201", "401"]),
            "delete": operation("delete\(kindWord)", action: "delete",
                                parameters: ["dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"],
                                body: deleteBody, response: status, codes: ["200", "202", "401"]),
        ]
        let itemParameters = JSONValue.array([pathParameter("name")] + scopeParameters + [queryParameter("pretty")])
        if hasStatus {
            paths[item + "/status"] = [
                "parameters": itemParameters,
                "get": operation("read\(kindWord)Status", action: "get", parameters: ["resourceVersion"], body: nil,
                                 response: schema, codes: ["200", "401"]),
                "put": operation("replace\(kindWord)Status", action: "put", parameters: writeParameters, body: objectBody,
                                 response: schema, codes: ["200", "201", "401"]),
                "patch": operation("patch\(kindWord)Status", action: "patch", parameters: writeParameters + ["force"],
                                   body: patchBody, response: schema, codes: ["200", "201", "401"]),
            ]
        }
        if hasScale {
            let scale = "io.k8s.api.autoscaling.v1.Scale"
            let scaleKind: JSONValue = ["group": "autoscaling", "version": "v1", "kind": "Scale"]
            paths[item + "/scale"] = [
                "parameters": itemParameters,
                "get": operation("read\(kindWord)Scale", action: "get", parameters: ["resourceVersion"], body: nil,
                                 response: scale, codes: ["200", "401"], kind: scaleKind),
                "put": operation("replace\(kindWord)Scale", action: "put", parameters: writeParameters,
                                 body: ["*/*": ["schema": ref(scale)]], response: scale, codes: ["200", "201", "401"],
                                 kind: scaleKind),
                "patch": operation("patch\(kindWord)Scale", action: "patch", parameters: writeParameters + ["force"],
                                   body: patchBody, response: scale, codes: ["200", "201", "401"], kind: scaleKind),
            ]
        }
        return paths
    }

    static let listParameters = ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
                                 "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"]

    static let parameterTypes: [String: String] = [
        "allowWatchBookmarks": "boolean", "sendInitialEvents": "boolean", "watch": "boolean", "force": "boolean",
        "orphanDependents": "boolean", "limit": "integer", "timeoutSeconds": "integer", "gracePeriodSeconds": "integer",
    ]

    static func queryParameter(_ name: String) -> JSONValue {
        ["in": "query", "name": .string(name), "schema": ["type": .string(parameterTypes[name] ?? "string"), "uniqueItems": true]]
    }

    static func pathParameter(_ name: String) -> JSONValue {
        ["in": "path", "name": .string(name), "required": true, "schema": ["type": "string", "uniqueItems": true]]
    }

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    static func content(_ schema: JSONValue) -> JSONValue {
        ["application/json": ["schema": schema], "application/yaml": ["schema": schema]]
    }

    static func description(_ code: String) -> String {
        switch code {
        case "201": return "Created"
        case "202": return "Accepted"
        default: return "OK"
        }
    }
}
