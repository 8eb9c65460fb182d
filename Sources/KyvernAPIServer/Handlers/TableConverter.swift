import KyvernAPI

/// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as kubectl asks for.
enum TableConverter {
    static let defaultColumns: JSONValue = [
        ["name": "Name", "type": "string", "format": "name", "description": "", "priority": 0],
        ["name": "Created At", "type": "date", "format": "", "description": "", "priority": 0],
    ]

    static func table(for objects: [JSONValue], info: ResourceInfo, revision: String, includeObject: String?) -> JSONValue {
        let rows: [JSONValue] = objects.map { object in
            var row: JSONValue = [
                "cells": [
                    object[path: ["metadata", "name"]] ?? "",
                    object[path: ["metadata", "creationTimestamp"]] ?? "",
                ],
            ]
            switch includeObject {
            case "None":
                break
            case "Object":
                row["object"] = object
            default:
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? [:],
                ]
            }
            return row
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": ["resourceVersion": .string(revision)],
            "columnDefinitions": defaultColumns,
            "rows": .array(rows),
        ]
    }
}
