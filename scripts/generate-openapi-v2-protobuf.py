#!/usr/bin/env python3
"""Writes the OpenAPI v2 document as protocol buffers, the form kubectl asks for
(`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) — it has no JSON fallback —
from the generated JSON document:

    Sources/KyvernAPIServer/Resources/openapi/v2.json  →  .../openapi/v2.pb

The messages are those of the `openapi.v2` protobuf package (gnostic's OpenAPIv2.proto): field
numbers below are read from it. Vendor extensions (`x-kubernetes-…`) and defaults travel as
`Any.yaml`, which holds JSON text (JSON is YAML). Run after scripts/generate-api.py."""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "Sources/KyvernAPIServer/Resources/openapi/v2.json"
TARGET = SOURCE.with_suffix(".pb")


# ---- wire format ------------------------------------------------------------------------------

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def string(field: int, value: str | None) -> bytes:
    if not value:
        return b""
    data = value.encode()
    return key(field, 2) + varint(len(data)) + data


def message(field: int, body: bytes | None, always: bool = False) -> bytes:
    if body is None or (not body and not always):
        return b""
    return key(field, 2) + varint(len(body)) + body


def boolean(field: int, value) -> bytes:
    return key(field, 0) + varint(1) if value else b""


def int64(field: int, value) -> bytes:
    return key(field, 0) + varint(int(value)) if value is not None else b""


def double(field: int, value) -> bytes:
    return key(field, 1) + struct.pack("<d", float(value)) if value is not None else b""


def strings(field: int, values) -> bytes:
    return b"".join(key(field, 2) + varint(len(v.encode())) + v.encode() for v in values or [])


# ---- openapi.v2 messages ------------------------------------------------------------------------

def any_value(value) -> bytes:
    """Any{yaml = 2}."""
    return string(2, json.dumps(value, separators=(",", ":"), sort_keys=True))


def named_any(field: int, name: str, value) -> bytes:
    return message(field, string(1, name) + message(2, any_value(value), always=True), always=True)


def extensions(field: int, obj: dict) -> bytes:
    return b"".join(named_any(field, k, v) for k, v in obj.items() if k.startswith("x-"))


def schema(s: dict) -> bytes:
    out = string(1, s.get("$ref")) + string(2, s.get("format")) + string(3, s.get("title"))
    out += string(4, s.get("description"))
    if "default" in s:
        out += message(5, any_value(s["default"]), always=True)
    out += double(6, s.get("multipleOf")) + double(7, s.get("maximum")) + boolean(8, s.get("exclusiveMaximum"))
    out += double(9, s.get("minimum")) + boolean(10, s.get("exclusiveMinimum"))
    out += int64(11, s.get("maxLength")) + int64(12, s.get("minLength")) + string(13, s.get("pattern"))
    out += int64(14, s.get("maxItems")) + int64(15, s.get("minItems")) + boolean(16, s.get("uniqueItems"))
    out += int64(17, s.get("maxProperties")) + int64(18, s.get("minProperties"))
    out += strings(19, s.get("required"))
    out += b"".join(message(20, any_value(v), always=True) for v in s.get("enum") or [])
    extra = s.get("additionalProperties")
    if isinstance(extra, dict):
        out += message(21, message(1, schema(extra), always=True), always=True)
    elif isinstance(extra, bool):
        out += message(21, key(2, 0) + varint(1 if extra else 0), always=True)
    if "type" in s:
        types = s["type"] if isinstance(s["type"], list) else [s["type"]]
        out += message(22, strings(1, types), always=True)
    if "items" in s:
        items = s["items"] if isinstance(s["items"], list) else [s["items"]]
        out += message(23, b"".join(message(1, schema(i), always=True) for i in items), always=True)
    out += b"".join(message(24, schema(a), always=True) for a in s.get("allOf") or [])
    if "properties" in s:
        out += message(25, b"".join(named_schema(1, k, v) for k, v in s["properties"].items()), always=True)
    out += string(26, s.get("discriminator")) + boolean(27, s.get("readOnly"))
    if "example" in s:
        out += message(30, any_value(s["example"]), always=True)
    return out + extensions(31, s)


def named_schema(field: int, name: str, s: dict) -> bytes:
    return message(field, string(1, name) + message(2, schema(s), always=True), always=True)


def primitives_items(p: dict) -> bytes:
    out = string(1, p.get("type")) + string(2, p.get("format"))
    if "items" in p:
        out += message(3, primitives_items(p["items"]), always=True)
    out += string(4, p.get("collectionFormat"))
    if "default" in p:
        out += message(5, any_value(p["default"]), always=True)
    out += b"".join(message(16, any_value(v), always=True) for v in p.get("enum") or [])
    return out + extensions(18, p)


def non_body_parameter(p: dict) -> bytes:
    """NonBodyParameter{header = 1, formData = 2, query = 3, path = 4}: the sub-schemas share a layout
    up to `items` except that query and formData carry allowEmptyValue (5) and shift the rest by one."""
    where = p.get("in")
    shifted = where in ("query", "formData")
    o = 1 if shifted else 0
    body = boolean(1, p.get("required")) + string(2, where) + string(3, p.get("description")) + string(4, p.get("name"))
    if shifted:
        body += boolean(5, p.get("allowEmptyValue"))
    body += string(5 + o, p.get("type")) + string(6 + o, p.get("format"))
    if "items" in p:
        body += message(7 + o, primitives_items(p["items"]), always=True)
    body += string(8 + o, p.get("collectionFormat"))
    if "default" in p:
        body += message(9 + o, any_value(p["default"]), always=True)
    body += boolean(19 + o, p.get("uniqueItems"))
    body += b"".join(message(20 + o, any_value(v), always=True) for v in p.get("enum") or [])
    body += extensions(22 + o, p)
    choice = {"header": 1, "formData": 2, "query": 3, "path": 4}[where]
    return message(choice, body, always=True)


def parameter(p: dict) -> bytes:
    if p.get("in") == "body":
        body = string(1, p.get("description")) + string(2, p.get("name")) + string(3, "body")
        body += boolean(4, p.get("required")) + message(5, schema(p.get("schema") or {}), always=True)
        body += extensions(6, p)
        return message(1, body, always=True)
    return message(2, non_body_parameter(p), always=True)


def parameters_item(p: dict) -> bytes:
    if "$ref" in p:
        return message(2, string(1, p["$ref"]), always=True)
    return message(1, parameter(p), always=True)


def response(r: dict) -> bytes:
    out = string(1, r.get("description"))
    if "schema" in r:
        out += message(2, message(1, schema(r["schema"]), always=True), always=True)
    return out + extensions(5, r)


def operation(op: dict) -> bytes:
    out = strings(1, op.get("tags")) + string(2, op.get("summary")) + string(3, op.get("description"))
    out += string(5, op.get("operationId")) + strings(6, op.get("produces")) + strings(7, op.get("consumes"))
    out += b"".join(message(8, parameters_item(p), always=True) for p in op.get("parameters") or [])
    codes = b""
    for code, value in (op.get("responses") or {}).items():
        inner = message(2, string(1, value["$ref"]), always=True) if "$ref" in value else message(1, response(value), always=True)
        codes += message(1, string(1, code) + message(2, inner, always=True), always=True)
    out += message(9, codes, always=True)
    out += strings(10, op.get("schemes")) + boolean(11, op.get("deprecated"))
    return out + extensions(13, op)


def path_item(item: dict) -> bytes:
    out = string(1, item.get("$ref"))
    for field, verb in ((2, "get"), (3, "put"), (4, "post"), (5, "delete"), (6, "options"), (7, "head"), (8, "patch")):
        if verb in item:
            out += message(field, operation(item[verb]), always=True)
    out += b"".join(message(9, parameters_item(p), always=True) for p in item.get("parameters") or [])
    return out + extensions(10, item)


def security_requirement(req: dict) -> bytes:
    return b"".join(message(1, string(1, name) + message(2, strings(1, scopes), always=True), always=True)
                    for name, scopes in req.items())


def security_definition(name: str, d: dict) -> bytes:
    if d.get("type") == "apiKey":
        body = string(1, "apiKey") + string(2, d.get("name")) + string(3, d.get("in")) + string(4, d.get("description"))
        body += extensions(5, d)
        item = message(2, body, always=True)
    elif d.get("type") == "basic":
        item = message(1, string(1, "basic") + string(2, d.get("description")) + extensions(3, d), always=True)
    else:
        raise SystemExit(f"security definition {name}: type {d.get('type')} is not handled")
    return message(1, string(1, name) + message(2, item, always=True), always=True)


def document(doc: dict) -> bytes:
    info = doc.get("info") or {}
    out = string(1, doc.get("swagger"))
    out += message(2, string(1, info.get("title")) + string(2, info.get("version")) + extensions(7, info), always=True)
    paths = b"".join(message(2, string(1, p) + message(2, path_item(item), always=True), always=True)
                     for p, item in (doc.get("paths") or {}).items())
    out += message(8, paths, always=True)
    out += message(9, b"".join(named_schema(1, k, v) for k, v in (doc.get("definitions") or {}).items()), always=True)
    if doc.get("parameters"):
        out += message(10, b"".join(message(1, string(1, k) + message(2, parameter(v), always=True), always=True)
                                    for k, v in doc["parameters"].items()), always=True)
    out += b"".join(message(12, security_requirement(r), always=True) for r in doc.get("security") or [])
    if doc.get("securityDefinitions"):
        out += message(13, b"".join(security_definition(k, v) for k, v in doc["securityDefinitions"].items()), always=True)
    return out + extensions(16, doc)


def main() -> int:
    doc = json.loads(SOURCE.read_text())
    data = document(doc)
    TARGET.write_bytes(data)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
