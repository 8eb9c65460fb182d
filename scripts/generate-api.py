#!/usr/bin/env python3
"""Generate Kyvern's resource catalog and served OpenAPI documents.

Run from the repository root:

    python3 scripts/generate-api.py

Inputs (facts about the API's shape, read-only):
    ../shared/k8s-openapi/swagger.json      Kubernetes 1.36 OpenAPI v2 specification
    ../shared/k8s-discovery/apis.json       upstream group order and preferred versions
    ../shared/k8s-discovery/resources/*.json  short names, categories, singular names (1.28)

Outputs:
    Sources/KyvernAPI/Generated/ResourceCatalog.swift
    Sources/KyvernAPIServer/Resources/openapi/v2.json
    Sources/KyvernAPIServer/Resources/openapi/v3/<api__v1|apis__<group>__<version>>.json
    Sources/KyvernAPIServer/Resources/openapi/v3/index.json
    Sources/KyvernAPIServer/Resources/openapi/schemas.json

The output is deterministic (sorted keys, no timestamps). The specification's `description`
text is never written: every prose description is dropped, and the response objects that the
OpenAPI formats require to carry a description get the HTTP reason phrase of their status code.
Only the Python standard library is used.
"""

import copy
import re
import hashlib
import http
import json
import os
import sys

# ---------------------------------------------------------------------------------------------
# Configuration

#: The group versions Kyvern serves, as (group, version); "" is the core group.
SERVED = [
    ("", "v1"),
    ("apps", "v1"),
    ("batch", "v1"),
    ("autoscaling", "v1"),
    ("autoscaling", "v2"),
    ("coordination.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("events.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
    ("policy", "v1"),
    ("scheduling.k8s.io", "v1"),
    ("storage.k8s.io", "v1"),
    ("node.k8s.io", "v1"),
    ("rbac.authorization.k8s.io", "v1"),
    ("authentication.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"),
    ("certificates.k8s.io", "v1"),
    ("admissionregistration.k8s.io", "v1"),
    ("apiextensions.k8s.io", "v1"),
]

#: Subresources entered in the catalog; others (log, exec, proxy, ...) are not.
SUBRESOURCES = ("status", "scale", "binding", "eviction", "finalize", "approval", "token")

#: Names for resources the 1.28 discovery documents do not list (new since 1.28). Facts from
#: the upstream registries of 1.36.
DISCOVERY_SUPPLEMENT = {
    ("networking.k8s.io", "v1", "ipaddresses"): {
        "shortNames": ["ip"], "categories": [], "singularName": "ipaddress",
    },
    ("networking.k8s.io", "v1", "servicecidrs"): {
        "shortNames": [], "categories": [], "singularName": "servicecidr",
    },
    ("storage.k8s.io", "v1", "volumeattributesclasses"): {
        "shortNames": ["vac"], "categories": [], "singularName": "volumeattributesclass",
    },
}

#: x-kubernetes-action -> verb.
ACTION_VERBS = {
    "list": "list",
    "watch": "watch",
    "watchlist": "watch",
    "get": "get",
    "post": "create",
    "put": "update",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "deletecollection",
}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

META = "io.k8s.apimachinery.pkg.apis.meta.v1."

#: Definitions that schemas.json summarises as one scalar-like type instead of a reference.
SPECIAL_TYPES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "quantity"},
    META + "Time": {"type": "time", "format": "date-time"},
    META + "MicroTime": {"type": "time", "format": "micro-time"},
    "io.k8s.apimachinery.pkg.runtime.RawExtension": {"type": "object", "preserveUnknownFields": True},
    META + "FieldsV1": {"type": "object", "preserveUnknownFields": True},
    META + "Patch": {"type": "object", "preserveUnknownFields": True},
}

#: meta.k8s.io kinds a server returns that the specification does not define (server-side
#: printing and metadata-only lists). Structural summaries for schemas.json only.
def _meta_supplement():
    s = lambda: {"type": "string"}
    ref = lambda name: {"ref": META + name}
    gvk = lambda kind: [{"group": "meta.k8s.io", "version": v, "kind": kind} for v in ("v1", "v1beta1")]
    return {
        META + "Table": {
            "type": "object",
            "properties": {
                "apiVersion": s(), "kind": s(), "metadata": ref("ListMeta"),
                "columnDefinitions": {"type": "array", "items": ref("TableColumnDefinition")},
                "rows": {"type": "array", "items": ref("TableRow")},
            },
            "required": ["columnDefinitions", "rows"],
            "gvk": gvk("Table"),
        },
        META + "TableColumnDefinition": {
            "type": "object",
            "properties": {
                "name": s(), "type": s(), "format": s(), "description": s(),
                "priority": {"type": "integer", "format": "int32"},
            },
            "required": ["name", "type", "format", "description", "priority"],
        },
        META + "TableRow": {
            "type": "object",
            "properties": {
                "cells": {"type": "array", "items": {"type": "object", "preserveUnknownFields": True}},
                "conditions": {"type": "array", "items": ref("TableRowCondition")},
                "object": dict(SPECIAL_TYPES["io.k8s.apimachinery.pkg.runtime.RawExtension"]),
            },
            "required": ["cells"],
        },
        META + "TableRowCondition": {
            "type": "object",
            "properties": {"type": s(), "status": s(), "reason": s(), "message": s()},
            "required": ["type", "status"],
        },
        META + "PartialObjectMetadata": {
            "type": "object",
            "properties": {"apiVersion": s(), "kind": s(), "metadata": ref("ObjectMeta")},
            "gvk": gvk("PartialObjectMetadata"),
        },
        META + "PartialObjectMetadataList": {
            "type": "object",
            "properties": {
                "apiVersion": s(), "kind": s(), "metadata": ref("ListMeta"),
                "items": {"type": "array", "items": ref("PartialObjectMetadata")},
            },
            "required": ["items"],
            "gvk": gvk("PartialObjectMetadataList"),
        },
    }


# ---------------------------------------------------------------------------------------------
# Helpers


def fail(message):
    sys.stderr.write("generate-api: " + message + "\n")
    sys.exit(1)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dump_compact(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def gv_string(group, version):
    return version if group == "" else group + "/" + version


def gv_prefix(group, version):
    """The URL prefix of a group version, with a trailing slash."""
    return "/api/v1/" if group == "" else "/apis/%s/%s/" % (group, version)


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def reason_phrase(code):
    try:
        return http.HTTPStatus(int(code)).phrase
    except ValueError:
        return "Response"


def strip_descriptions(value, names=False):
    """A deep copy of `value` without prose `description` strings.

    `names` is true for maps keyed by names (schema `properties`), where a key "description" is a
    field, not prose.
    """
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if not names and key == "description" and isinstance(child, str):
                continue
            out[key] = strip_descriptions(child, names=(not names and key == "properties"))
        return out
    if isinstance(value, list):
        return [strip_descriptions(v) for v in value]
    return value


def collect_refs(value, out):
    """Adds every `$ref` string in `value` to the set `out`."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "$ref" and isinstance(child, str):
                out.add(child)
            else:
                collect_refs(child, out)
    elif isinstance(value, list):
        for child in value:
            collect_refs(child, out)


def definition_closure(definitions, roots):
    """Names of the definitions in `roots` and all they reference, transitively."""
    seen = set()
    stack = [r for r in roots if r in definitions]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        refs = set()
        collect_refs(definitions[name], refs)
        for ref in refs:
            if ref.startswith("#/definitions/"):
                target = ref_name(ref)
                if target not in definitions:
                    fail("dangling reference %s in %s" % (ref, name))
                stack.append(target)
    return seen


def parse_path(path):
    """Splits an API path into its parts, or None for discovery and non-resource paths.

    Returns (group, version, resource, subresource or None, namespaced, named).
    """
    if path.startswith("/api/v1/"):
        group, version, rest = "", "v1", path[len("/api/v1/"):]
    elif path.startswith("/apis/"):
        parts = path[len("/apis/"):].split("/", 2)
        if len(parts) < 3:
            return None
        group, version, rest = parts
    else:
        return None
    segments = [s for s in rest.split("/") if s]
    if segments and segments[0] == "watch":
        segments = segments[1:]
    namespaced = False
    if len(segments) >= 3 and segments[0] == "namespaces" and segments[1] == "{namespace}":
        namespaced = True
        segments = segments[2:]
    if not segments:
        return None
    resource = segments[0]
    named = len(segments) >= 2 and segments[1] == "{name}"
    subresource = "/".join(segments[2:]) if named and len(segments) > 2 else None
    return group, version, resource, subresource, namespaced, named


# ---------------------------------------------------------------------------------------------
# The catalog


def build_catalog(spec, discovery_dir):
    definitions = spec["definitions"]
    served = set(SERVED)

    by_gvk = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            by_gvk.setdefault((gvk["group"], gvk["version"], gvk["kind"]), []).append(name)

    def definition_for(group, version, kind):
        names = by_gvk.get((group, version, kind), [])
        if len(names) != 1:
            return None
        return names[0]

    resources = {}
    for path in sorted(spec["paths"]):
        parsed = parse_path(path)
        if parsed is None:
            continue
        group, version, resource, subresource, namespaced, _ = parsed
        if (group, version) not in served:
            continue
        key = (group, version, resource)
        entry = resources.setdefault(key, {"namespaced": False, "verbs": set(), "kinds": set(),
                                           "responses": set(), "subresources": {}})
        if namespaced:
            entry["namespaced"] = True
        for method, op in sorted(spec["paths"][path].items()):
            if method not in HTTP_METHODS:
                continue
            action = op.get("x-kubernetes-action")
            gvk = op.get("x-kubernetes-group-version-kind")
            if action is None or gvk is None:
                continue
            verb = ACTION_VERBS.get(action)
            if subresource is None:
                if verb is None:
                    fail("unexpected action %s on %s" % (action, path))
                entry["verbs"].add(verb)
                entry["kinds"].add((gvk["group"], gvk["version"], gvk["kind"]))
                schema = op.get("responses", {}).get("200", {}).get("schema", {})
                if "$ref" in schema and action in ("get", "post", "put"):
                    entry["responses"].add(ref_name(schema["$ref"]))
            elif subresource in SUBRESOURCES:
                if verb is None:
                    fail("unexpected action %s on %s" % (action, path))
                sub = entry["subresources"].setdefault(subresource, {"verbs": set(), "kinds": set()})
                sub["verbs"].add(verb)
                sub["kinds"].add((gvk["group"], gvk["version"], gvk["kind"]))

    discovery = {}
    for group, version in SERVED:
        name = version if group == "" else "%s_%s" % (group, version)
        path = os.path.join(discovery_dir, "resources", name + ".json")
        if os.path.exists(path):
            for item in load_json(path).get("resources", []):
                discovery[(group, version, item["name"])] = item

    catalog = []
    for (group, version, resource), entry in sorted(resources.items()):
        if not entry["verbs"]:
            continue  # only subresource paths
        if len(entry["kinds"]) != 1:
            fail("resource %s has kinds %s" % ((group, version, resource), sorted(entry["kinds"])))
        kgroup, kversion, kind = next(iter(entry["kinds"]))
        if (kgroup, kversion) != (group, version):
            fail("resource %s serves kind %s/%s %s" % (resource, kgroup, kversion, kind))
        definition = definition_for(group, version, kind)
        if definition is None:
            if len(entry["responses"]) == 1:
                definition = next(iter(entry["responses"]))
            else:
                fail("no definition for %s/%s %s" % (group, version, kind))
        if entry["responses"] and entry["responses"] != {definition}:
            fail("resource %s: definition %s but responses %s" % (resource, definition, entry["responses"]))
        props = definitions[definition].get("properties", {})

        known = discovery.get((group, version, resource)) or DISCOVERY_SUPPLEMENT.get((group, version, resource), {})
        subresources = []
        for name in SUBRESOURCES:
            sub = entry["subresources"].get(name)
            if sub is None:
                continue
            if len(sub["kinds"]) != 1:
                fail("subresource %s/%s has kinds %s" % (resource, name, sorted(sub["kinds"])))
            sgroup, sversion, skind = next(iter(sub["kinds"]))
            subresources.append({"name": name, "kind": skind, "group": sgroup, "version": sversion,
                                 "verbs": sorted(sub["verbs"])})

        catalog.append({
            "group": group,
            "version": version,
            "resource": resource,
            "singularName": known.get("singularName") or kind.lower(),
            "kind": kind,
            "listKind": kind + "List",
            "namespaced": entry["namespaced"],
            "verbs": sorted(entry["verbs"]),
            "shortNames": list(known.get("shortNames", [])),
            "categories": list(known.get("categories", [])),
            "subresources": subresources,
            "definition": definition,
            "hasSpec": "spec" in props,
            "hasStatus": "status" in props,
        })
    return catalog, by_gvk


def ordered_group_versions(apis):
    """Served group versions in upstream order: core first, then /apis order; preferred flags."""
    served = set(SERVED)
    result = [{"group": "", "version": "v1", "preferred": True}]
    listed = set([("", "v1")])
    for group in apis.get("groups", []):
        versions = [v["version"] for v in group.get("versions", [])]
        mine = [v for v in versions if (group["name"], v) in served]
        if not mine:
            continue
        preferred = group.get("preferredVersion", {}).get("version")
        if preferred not in mine:
            preferred = mine[0]
        for v in mine:
            result.append({"group": group["name"], "version": v, "preferred": v == preferred})
            listed.add((group["name"], v))
    # Served groups upstream's list does not know (none today) follow in configuration order.
    for group, version in SERVED:
        if (group, version) not in listed:
            result.append({"group": group, "version": version, "preferred": True})
    return result


def swift_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def swift_strings(values):
    return "[" + ", ".join(swift_string(v) for v in values) + "]"


def render_swift(catalog, group_versions):
    lines = []
    add = lines.append
    add("// Generated by scripts/generate-api.py from the Kubernetes OpenAPI specification and the")
    add("// upstream discovery documents. Do not edit; run `python3 scripts/generate-api.py`.")
    add("")
    add("/// A group version the server serves, in the order discovery lists it.")
    add("public struct GroupVersionInfo: Sendable, Hashable {")
    add("    /// API group, \"\" for the core group.")
    add("    public var group: String")
    add("    public var version: String")
    add("    /// True for the group's preferred version.")
    add("    public var preferred: Bool")
    add("")
    add("    public init(group: String, version: String, preferred: Bool) {")
    add("        self.group = group")
    add("        self.version = version")
    add("        self.preferred = preferred")
    add("    }")
    add("")
    add("    /// \"apps/v1\" or \"v1\" for the core group.")
    add("    public var groupVersion: String { group.isEmpty ? version : \"\\(group)/\\(version)\" }")
    add("}")
    add("")
    add("/// Every resource the server serves, generated from the OpenAPI specification.")
    add("public enum ResourceCatalog {")
    add("    /// All served group/version/resources, sorted by group, version and resource.")
    add("    public static let all: [ResourceInfo] = makeAll()")
    add("")
    add("    // One statement per entry keeps type checking cheap as the catalog grows.")
    add("    private static func makeAll() -> [ResourceInfo] {")
    add("        var all: [ResourceInfo] = []")
    add("        all.reserveCapacity(%d)" % len(catalog))
    for e in catalog:
        subs = ", ".join(
            "s(%s, %s, %s, %s, %s)" % (swift_string(s["name"]), swift_string(s["kind"]), swift_string(s["group"]),
                                       swift_string(s["version"]), swift_strings(s["verbs"]))
            for s in e["subresources"])
        add("        all.append(r(%s, %s, %s, %s, %s, %s, %s, %s, %s, [%s], %s, %s, %s))" % (
            swift_string(e["group"]), swift_string(e["version"]), swift_string(e["resource"]),
            swift_string(e["singularName"]), swift_string(e["kind"]),
            "true" if e["namespaced"] else "false",
            swift_strings(e["verbs"]), swift_strings(e["shortNames"]), swift_strings(e["categories"]),
            subs, swift_string(e["definition"]),
            "true" if e["hasSpec"] else "false", "true" if e["hasStatus"] else "false"))
    add("        return all")
    add("    }")
    add("")
    add("    /// The served group versions: core first, then the groups in upstream's /apis order.")
    add("    public static let groupVersions: [GroupVersionInfo] = [")
    for gv in group_versions:
        add("        GroupVersionInfo(group: %s, version: %s, preferred: %s)," % (
            swift_string(gv["group"]), swift_string(gv["version"]), "true" if gv["preferred"] else "false"))
    add("    ]")
    add("")
    add("    /// The resource served at group/version/resource, if any.")
    add("    public static func find(group: String, version: String, resource: String) -> ResourceInfo? {")
    add("        index[Key(group: group, version: version, resource: resource)]")
    add("    }")
    add("")
    add("    private struct Key: Hashable, Sendable {")
    add("        var group: String")
    add("        var version: String")
    add("        var resource: String")
    add("    }")
    add("")
    add("    private static let index: [Key: ResourceInfo] = {")
    add("        var index: [Key: ResourceInfo] = [:]")
    add("        index.reserveCapacity(all.count)")
    add("        for info in all {")
    add("            index[Key(group: info.group, version: info.version, resource: info.resource)] = info")
    add("        }")
    add("        return index")
    add("    }()")
    add("")
    add("    private static func r(")
    add("        _ group: String, _ version: String, _ resource: String, _ singularName: String, _ kind: String,")
    add("        _ namespaced: Bool, _ verbs: [String], _ shortNames: [String], _ categories: [String],")
    add("        _ subresources: [SubresourceInfo], _ definition: String, _ hasSpec: Bool, _ hasStatus: Bool")
    add("    ) -> ResourceInfo {")
    add("        ResourceInfo(")
    add("            group: group, version: version, resource: resource, singularName: singularName, kind: kind,")
    add("            listKind: kind + \"List\", namespaced: namespaced, verbs: verbs, shortNames: shortNames,")
    add("            categories: categories, subresources: subresources, definition: definition,")
    add("            hasSpec: hasSpec, hasStatus: hasStatus)")
    add("    }")
    add("")
    add("    private static func s(")
    add("        _ name: String, _ kind: String, _ group: String, _ version: String, _ verbs: [String]")
    add("    ) -> SubresourceInfo {")
    add("        SubresourceInfo(name: name, kind: kind, group: group, version: version, verbs: verbs)")
    add("    }")
    add("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# OpenAPI v2


def served_path(path, served_groups):
    """True for a path of a served group version and for the discovery roots above them."""
    if path in ("/api/", "/apis/", "/version/"):
        return True
    for group, version in SERVED:
        if path.startswith(gv_prefix(group, version)):
            return True
    if path.startswith("/apis/"):
        rest = path[len("/apis/"):]
        if rest.endswith("/") and rest.count("/") == 1 and rest[:-1] in served_groups:
            return True
    return False


def build_v2(spec):
    served_groups = set(g for g, _ in SERVED if g)
    paths = {p: item for p, item in spec["paths"].items() if served_path(p, served_groups)}

    refs = set()
    collect_refs(paths, refs)
    parameters = {}
    for ref in sorted(refs):
        if ref.startswith("#/parameters/"):
            name = ref_name(ref)
            parameters[name] = spec["parameters"][name]
    collect_refs(parameters, refs)
    roots = set(ref_name(r) for r in refs if r.startswith("#/definitions/"))
    roots |= set(n for n in spec["definitions"] if n.startswith(META))
    keep = definition_closure(spec["definitions"], roots)

    doc = {
        "swagger": spec["swagger"],
        "info": spec["info"],
        "paths": paths,
        "definitions": {n: spec["definitions"][n] for n in keep},
        "parameters": parameters,
    }
    if "security" in spec:
        doc["security"] = spec["security"]
    if "securityDefinitions" in spec:
        doc["securityDefinitions"] = spec["securityDefinitions"]
    doc = strip_descriptions(doc)
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in HTTP_METHODS:
                for code, response in op.get("responses", {}).items():
                    response["description"] = reason_phrase(code)
    return doc


# ---------------------------------------------------------------------------------------------
# OpenAPI v3


def v3_schema(schema):
    """Converts a v2 schema (descriptions already stripped) to OpenAPI 3.0."""
    if isinstance(schema, list):
        return [v3_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = "#/components/schemas/" + ref_name(value)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: v3_schema(v) for k, v in value.items()}
        elif isinstance(value, (dict, list)) and not key.startswith("x-"):
            out[key] = v3_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    if "$ref" in out and len(out) > 1:
        # OpenAPI 3.0 ignores the siblings of a $ref; wrap it so they keep their meaning.
        out = dict(out)
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    return out


def v3_parameter(param):
    out = {"name": param["name"], "in": param["in"]}
    if param.get("required"):
        out["required"] = True
    schema = {}
    for key, value in param.items():
        if key in ("name", "in", "required", "description"):
            continue
        if key.startswith("x-"):
            out[key] = copy.deepcopy(value)
        else:
            schema[key] = copy.deepcopy(value)
    out["schema"] = v3_schema(schema)
    return out


def v3_operation(op, resolve):
    out = {}
    for key, value in op.items():
        if key in ("operationId", "tags", "deprecated") or key.startswith("x-"):
            out[key] = copy.deepcopy(value)
    params = []
    body = None
    for param in op.get("parameters", []):
        param = resolve(param)
        if param["in"] == "body":
            body = param
        else:
            params.append(v3_parameter(param))
    if params:
        out["parameters"] = params
    if body is not None:
        schema = v3_schema(body["schema"])
        request = {"content": {m: {"schema": copy.deepcopy(schema)} for m in op.get("consumes") or ["application/json"]}}
        if body.get("required"):
            request["required"] = True
        out["requestBody"] = request
    responses = {}
    for code, response in op.get("responses", {}).items():
        converted = {"description": reason_phrase(code)}
        if "schema" in response:
            schema = v3_schema(response["schema"])
            converted["content"] = {m: {"schema": copy.deepcopy(schema)} for m in op.get("produces") or ["application/json"]}
        responses[code] = converted
    out["responses"] = responses
    return out


def build_v3(v2):
    def resolve(param):
        if "$ref" in param:
            return v2["parameters"][ref_name(param["$ref"])]
        return param

    documents = {}
    for group, version in SERVED:
        prefix = gv_prefix(group, version)
        paths = {}
        for path, item in v2["paths"].items():
            if not path.startswith(prefix):
                continue
            converted = {}
            for key, value in item.items():
                if key == "parameters":
                    converted["parameters"] = [v3_parameter(resolve(p)) for p in value]
                elif key in HTTP_METHODS:
                    converted[key] = v3_operation(value, resolve)
            paths[path] = converted
        refs = set()
        collect_refs(paths, refs)
        roots = set(ref_name(r) for r in refs)
        keep = definition_closure(v2["definitions"], roots)
        components = {"schemas": {n: v3_schema(v2["definitions"][n]) for n in keep}}
        if "securityDefinitions" in v2:
            components["securitySchemes"] = copy.deepcopy(v2["securityDefinitions"])
        doc = {"openapi": "3.0.0", "info": copy.deepcopy(v2["info"]), "paths": paths, "components": components}
        if "security" in v2:
            doc["security"] = copy.deepcopy(v2["security"])
        key = ("api/" + version) if group == "" else "apis/%s/%s" % (group, version)
        documents[key] = doc
    return documents


# ---------------------------------------------------------------------------------------------
# Structural summary (schemas.json)


EXTENSIONS = {
    "x-kubernetes-list-type": "listType",
    "x-kubernetes-list-map-keys": "listMapKeys",
    "x-kubernetes-patch-strategy": "patchStrategy",
    "x-kubernetes-patch-merge-key": "patchMergeKey",
    "x-kubernetes-map-type": "mapType",
    "x-kubernetes-preserve-unknown-fields": "preserveUnknownFields",
    "x-kubernetes-embedded-resource": "embeddedResource",
    "enum": "enum",
}


ENUM_MARKER = "Possible enum values:"


def enum_values(schema):
    """The values of an upstream enum, listed in the description as lines of `- `"Value"` means ...`.

    Only the quoted values are kept; no description text goes into schemas.json."""
    description = schema.get("description", "")
    if ENUM_MARKER not in description:
        return None
    listing = description.split(ENUM_MARKER, 1)[1]
    values = re.findall(r'^\s*- `"([^"`]*)"`', listing, flags=re.M)
    return values or None


def summarize(schema):
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        out = dict(SPECIAL_TYPES[name]) if name in SPECIAL_TYPES else {"ref": name}
    elif schema.get("x-kubernetes-int-or-string"):
        out = {"type": "int-or-string"}
    elif schema.get("type") == "array":
        out = {"type": "array", "items": summarize(schema.get("items", {}))}
    elif isinstance(schema.get("additionalProperties"), dict):
        out = {"type": "map", "values": summarize(schema["additionalProperties"])}
    elif "properties" in schema:
        out = {"type": "object",
               "properties": {k: summarize(v) for k, v in schema["properties"].items()}}
        if schema.get("required"):
            out["required"] = list(schema["required"])
    elif schema.get("type") == "string":
        if schema.get("format") == "byte":
            out = {"type": "bytes"}
        elif schema.get("format") == "int-or-string":
            out = {"type": "int-or-string"}
        else:
            out = {"type": "string"}
            if schema.get("format"):
                out["format"] = schema["format"]
    elif schema.get("type") in ("integer", "number", "boolean"):
        out = {"type": schema["type"]}
        if schema.get("format"):
            out["format"] = schema["format"]
    else:
        out = {"type": "object"}  # free-form
    for key, name in EXTENSIONS.items():
        if key in schema:
            out[name] = copy.deepcopy(schema[key])
    if "enum" not in out and out.get("type") == "string":
        values = enum_values(schema)
        if values:
            out["enum"] = values
    return out


def build_schemas(spec, catalog, by_gvk):
    definitions = spec["definitions"]
    roots = set(n for n in definitions if n.startswith(META))
    for e in catalog:
        roots.add(e["definition"])
        roots.update(by_gvk.get((e["group"], e["version"], e["listKind"]), []))
        for s in e["subresources"]:
            roots.update(by_gvk.get((s["group"], s["version"], s["kind"]), []))
    keep = definition_closure(definitions, roots)
    summary = {}
    for name in keep:
        schema = definitions[name]
        entry = dict(SPECIAL_TYPES[name]) if name in SPECIAL_TYPES else summarize(schema)
        if entry.get("type") == "object" and "properties" not in entry and name not in SPECIAL_TYPES \
                and schema.get("type") == "object":
            entry["properties"] = {}  # a struct without fields, not a free-form object
        if "x-kubernetes-group-version-kind" in schema:
            entry["gvk"] = [{"group": g["group"], "version": g["version"], "kind": g["kind"]}
                            for g in schema["x-kubernetes-group-version-kind"]]
        summary[name] = entry
    for name, entry in _meta_supplement().items():
        summary.setdefault(name, entry)
    return summary


# ---------------------------------------------------------------------------------------------


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shared = os.path.join(root, "..", "shared")
    spec = load_json(os.path.join(shared, "k8s-openapi", "swagger.json"))
    discovery_dir = os.path.join(shared, "k8s-discovery")
    apis = load_json(os.path.join(discovery_dir, "apis.json"))

    catalog, by_gvk = build_catalog(spec, discovery_dir)
    group_versions = ordered_group_versions(apis)
    present = set((e["group"], e["version"]) for e in catalog)
    group_versions = [gv for gv in group_versions if (gv["group"], gv["version"]) in present]

    outputs = {}
    outputs["Sources/KyvernAPI/Generated/ResourceCatalog.swift"] = render_swift(catalog, group_versions)

    v2 = build_v2(spec)
    openapi_dir = "Sources/KyvernAPIServer/Resources/openapi/"
    outputs[openapi_dir + "v2.json"] = dump_compact(v2)

    index = {}
    for key, doc in build_v3(v2).items():
        if not doc["paths"]:
            continue
        filename = key.replace("/", "__") + ".json"
        data = dump_compact(doc)
        outputs[openapi_dir + "v3/" + filename] = data
        index[key] = {"file": filename, "hash": hashlib.sha512(data).hexdigest().upper()[:128]}
    outputs[openapi_dir + "v3/index.json"] = dump_compact({"paths": index})

    outputs[openapi_dir + "schemas.json"] = dump_compact(build_schemas(spec, catalog, by_gvk))

    for relative, data in sorted(outputs.items()):
        write_bytes(os.path.join(root, relative), data)
        print("%9d  %s" % (len(data), relative))

    counts = {}
    for e in catalog:
        counts[gv_string(e["group"], e["version"])] = counts.get(gv_string(e["group"], e["version"]), 0) + 1
    print("resources: %d (%s)" % (len(catalog), ", ".join("%s %d" % (gv_string(g["group"], g["version"]),
                                                                     counts.get(gv_string(g["group"], g["version"]), 0))
                                                          for g in group_versions)))


if __name__ == "__main__":
    main()
