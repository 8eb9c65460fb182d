#!/usr/bin/env python3
"""Generate the table Kyvern uses to decode Kubernetes protobuf request bodies.

kubectl and client-go send built-in kinds as `application/vnd.kubernetes.protobuf`. The server
decodes such a body into the JSON a Go client would have sent for the same object; this script
writes the facts that decoder needs: for every message, its fields by number with their JSON
names and types.

Get the inputs (any checkout works; only the files named below are read):

    mkdir -p /tmp/k8s-api /tmp/k8s-apimachinery
    git --git-dir=<kubernetes/api>/.git archive HEAD | tar -x -C /tmp/k8s-api
    git --git-dir=<kubernetes/apimachinery>/.git archive HEAD pkg | tar -x -C /tmp/k8s-apimachinery

(or plain `git clone https://github.com/kubernetes/api` and `.../apimachinery`), then run from the
repository root:

    python3 scripts/generate-protobuf-schema.py /tmp/k8s-api /tmp/k8s-apimachinery

Run it after scripts/generate-api.py (it reads that script's schemas.json). The committed table was
generated from kubernetes/api 10b39a39 and kubernetes/apimachinery eed236ce (July 2026, the 1.37
line), so fields newer than the 1.36 OpenAPI document are in it; the script prints them.

Inputs (facts only, read-only):
    <api>/<group>/<version>/generated.proto           field numbers, proto types
    <api>/<group>/<version>/*.go                       Go struct tags: JSON name, `omitempty`,
    <apimachinery>/pkg/.../generated.proto, *.go       pointer or not, embedded (inlined) structs
    Sources/KyvernAPIServer/Resources/openapi/schemas.json   kinds (gvk) and a cross-check of names

Output: Sources/KyvernAPIServer/Resources/openapi/protobuf.json

    {
      "$kinds": {"<apiVersion>/<kind>": "<definition>", ...},     e.g. "apps/v1/Deployment"
      "<definition>": {                                           e.g. io.k8s.api.core.v1.ConfigMap
        "$json": "time|microTime|duration|intOrString|quantity|rawExtension|fieldsV1|array",
                                                                  only for types whose JSON form is
                                                                  not an object of their fields
        "<field number>": {
          "name": "<json name>",
          "type": "string|bytes|bool|int32|int64|uint32|uint64|sint32|sint64|fixed32|fixed64|
                   sfixed32|sfixed64|double|float|enum|message",
          "ref": "<definition>",                 messages only
          "repeated": true,                      only when repeated
          "map": {"key": "<scalar>", "value": "<scalar>" | {"ref": "<definition>"}},
                                                 maps only (then type is "map")
          "inline": true,                        an embedded Go struct: its fields go into the parent
          "omitZero": true | false               only when it differs from the default rule below
        }
      }
    }

The default rule for a scalar's zero value (as protobuf cannot tell a Go pointer from a value):
omit empty strings and bytes, keep 0 and false. Where the Go struct tells better, `omitZero`
overrides it: a value field tagged `omitempty` omits its zero (`hostNetwork: false` is not sent
by Go), a pointer field or one without `omitempty` keeps it (`storageClassName: ""` is sent).

Packages imported by the listed ones (an alpha type a stable kind refers to, e.g. scheduling
v1alpha3 from batch/v1) are read too; of those, only the messages a listed package reaches are kept.

The output is deterministic (sorted keys). Only the Python standard library is used; no text or
code of the inputs is copied, only field numbers, names and types.
"""

import json
import os
import re
import sys

# ---------------------------------------------------------------------------------------------
# Configuration

#: Proto files read: (checkout index: 0 = api, 1 = apimachinery, directory inside it).
PACKAGES = [
    (0, "core/v1"),
    (0, "apps/v1"),
    (0, "batch/v1"),
    (0, "autoscaling/v1"),
    (0, "autoscaling/v2"),
    (0, "coordination/v1"),
    (0, "discovery/v1"),
    (0, "networking/v1"),
    (0, "events/v1"),
    (0, "policy/v1"),
    (0, "scheduling/v1"),
    (0, "storage/v1"),
    (0, "node/v1"),
    (0, "rbac/v1"),
    (0, "authentication/v1"),
    (0, "authorization/v1"),
    (0, "certificates/v1"),
    (1, "pkg/apis/meta/v1"),
    (1, "pkg/api/resource"),
    (1, "pkg/util/intstr"),
    (1, "pkg/runtime"),
    (1, "pkg/runtime/schema"),
]

#: Group versions whose kinds a body may name (the served ones, and autoscaling/v1 for Scale).
SERVED = {
    ("", "v1"), ("apps", "v1"), ("batch", "v1"), ("autoscaling", "v1"), ("autoscaling", "v2"),
    ("coordination.k8s.io", "v1"), ("discovery.k8s.io", "v1"), ("events.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
    ("policy", "v1"), ("scheduling.k8s.io", "v1"), ("storage.k8s.io", "v1"), ("node.k8s.io", "v1"),
    ("rbac.authorization.k8s.io", "v1"), ("authentication.k8s.io", "v1"), ("authorization.k8s.io", "v1"),
    ("certificates.k8s.io", "v1"),
}

#: Types whose JSON form is not an object of their fields (custom Go JSON marshalling).
SPECIAL = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "microTime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Duration": "duration",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "fieldsV1",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "intOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.api.resource.QuantityValue": "quantity",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "rawExtension",
}

SCALARS = {
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = os.path.join(ROOT, "Sources/KyvernAPIServer/Resources/openapi/schemas.json")
OUTPUT = os.path.join(ROOT, "Sources/KyvernAPIServer/Resources/openapi/protobuf.json")


def definition_prefix(package):
    """`k8s.io.api.core.v1` → `io.k8s.api.core.v1` (the OpenAPI definition namespace)."""
    if not package.startswith("k8s.io."):
        sys.exit(f"unexpected proto package {package}")
    return "io.k8s." + package[len("k8s.io."):]


# ---------------------------------------------------------------------------------------------
# A small proto2 parser: messages (nested too), fields, maps, enums, oneofs; options skipped.

TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|("(?:[^"\\]|\\.)*")|([A-Za-z_.][A-Za-z0-9_.]*)|(-?\d+)|(.)', re.S)


def tokenize(text):
    tokens = []
    for m in TOKEN.finditer(text):
        string, ident, number, symbol = m.groups()
        if string is not None:
            tokens.append(("str", string[1:-1]))
        elif ident is not None:
            tokens.append(("id", ident))
        elif number is not None:
            tokens.append(("num", int(number)))
        elif symbol is not None:
            tokens.append(("sym", symbol))
    return tokens


class Parser:
    def __init__(self, tokens, path):
        self.tokens, self.i, self.path = tokens, 0, path

    def fail(self, what):
        sys.exit(f"{self.path}: parse error at token {self.i} {self.tokens[self.i:self.i + 4]}: {what}")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("eof", None)

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def expect(self, kind, value=None):
        t = self.next()
        if t[0] != kind or (value is not None and t[1] != value):
            self.i -= 1
            self.fail(f"expected {value or kind}")
        return t[1]

    def skip_statement(self):
        """Skips to the end of a `;` statement or a balanced `{...}` block."""
        depth = 0
        while True:
            t = self.next()
            if t[0] == "eof":
                self.fail("unexpected end")
            if t == ("sym", "{"):
                depth += 1
            elif t == ("sym", "}"):
                depth -= 1
                if depth == 0:
                    return
            elif t == ("sym", ";") and depth == 0:
                return

    def skip_field_options(self):
        if self.peek() == ("sym", "["):
            depth = 0
            while True:
                t = self.next()
                if t == ("sym", "["):
                    depth += 1
                elif t == ("sym", "]"):
                    depth -= 1
                    if depth == 0:
                        break
                elif t[0] == "eof":
                    self.fail("unterminated field options")

    def parse_file(self):
        out = {"package": "", "go_package": None, "messages": {}, "enums": set(), "imports": []}
        while self.peek()[0] != "eof":
            t = self.next()
            if t == ("id", "syntax"):
                self.expect("sym", "=")
                syntax = self.expect("str")
                if syntax != "proto2":
                    self.fail(f"syntax {syntax} not supported")
                self.expect("sym", ";")
            elif t == ("id", "package"):
                out["package"] = self.expect("id")
                self.expect("sym", ";")
            elif t == ("id", "option"):
                name = self.expect("id")
                self.expect("sym", "=")
                value = self.next()[1]
                self.expect("sym", ";")
                if name == "go_package":
                    out["go_package"] = value
            elif t == ("id", "import"):
                out["imports"].append(self.expect("str"))
                self.expect("sym", ";")
            elif t == ("id", "message"):
                self.parse_message("", out)
            elif t == ("id", "enum"):
                out["enums"].add(self.expect("id"))
                self.skip_statement()
            elif t == ("sym", ";"):
                continue
            else:
                self.i -= 1
                self.fail("unexpected top-level token")
        return out

    def parse_message(self, outer, out):
        name = self.expect("id")
        full = f"{outer}.{name}" if outer else name
        fields = []
        out["messages"][full] = fields
        self.expect("sym", "{")
        self.parse_body(full, fields, out)

    def parse_body(self, full, fields, out):
        while True:
            t = self.next()
            if t == ("sym", "}"):
                return
            if t[0] == "eof":
                self.fail("unterminated message")
            if t == ("sym", ";"):
                continue
            if t[0] != "id":
                self.i -= 1
                self.fail("unexpected token in message")
            word = t[1]
            if word == "message":
                self.parse_message(full, out)
            elif word == "enum":
                out["enums"].add(f"{full}.{self.expect('id')}")
                self.skip_statement()
            elif word in ("option", "reserved", "extensions", "extend"):
                self.i -= 1
                self.skip_statement()
            elif word == "oneof":
                self.expect("id")
                self.expect("sym", "{")
                self.parse_body(full, fields, out)
            elif word == "map":
                self.expect("sym", "<")
                key = self.expect("id")
                self.expect("sym", ",")
                value = self.expect("id")
                self.expect("sym", ">")
                fname = self.expect("id")
                self.expect("sym", "=")
                number = self.expect("num")
                self.skip_field_options()
                self.expect("sym", ";")
                fields.append({"label": "map", "key": key, "type": value, "name": fname, "number": number})
            else:
                label = "optional"
                if word in ("optional", "repeated", "required"):
                    label = word
                    ftype = self.expect("id")
                else:
                    ftype = word
                fname = self.expect("id")
                self.expect("sym", "=")
                number = self.expect("num")
                self.skip_field_options()
                self.expect("sym", ";")
                fields.append({"label": label, "type": ftype, "name": fname, "number": number})


# ---------------------------------------------------------------------------------------------
# Go struct tags: per struct, per protobuf field number, the JSON facts.

STRUCT_START = re.compile(r"^type\s+(\w+)\s+struct\s*\{\s*$")
NAMED_SLICE = re.compile(r"^type\s+(\w+)\s+\[\](\w[\w.]*)\s*$")
FIELD = re.compile(r"^\s*(?:(\w+)\s+)?(\*?[\w.\[\]*]+)\s+`([^`]*)`")
TAG = re.compile(r'(\w+):"([^"]*)"')


def go_facts(directory):
    """{struct: {number: {json, omitempty, pointer, inline, skip}}} and the named slice types."""
    structs, slices = {}, set()
    if not os.path.isdir(directory):
        return structs, slices
    for file in sorted(os.listdir(directory)):
        if not file.endswith(".go") or file.endswith("_test.go"):
            continue
        with open(os.path.join(directory, file), encoding="utf-8") as f:
            lines = f.read().split("\n")
        current, depth = None, 0
        for line in lines:
            if current is None:
                m = STRUCT_START.match(line)
                if m:
                    current, depth = m.group(1), 1
                    structs.setdefault(current, {})
                    continue
                m = NAMED_SLICE.match(line)
                if m:
                    slices.add(m.group(1))
                continue
            code = line.split("//", 1)[0] if "`" not in line else line
            depth += code.count("{") - code.count("}")
            if depth <= 0:
                current = None
                continue
            if depth != 1:
                continue
            m = FIELD.match(line)
            if not m:
                continue
            go_name, go_type, tag_text = m.groups()
            tags = dict(TAG.findall(tag_text))
            if "protobuf" not in tags:
                continue
            parts = tags["protobuf"].split(",")
            try:
                number = int(parts[1])
            except (IndexError, ValueError):
                continue
            json_tag = tags.get("json")
            json_parts = json_tag.split(",") if json_tag is not None else [go_name or go_type.lstrip("*")]
            embedded = go_name is None
            structs[current][number] = {
                "json": json_parts[0],
                "omitempty": "omitempty" in json_parts[1:],
                "pointer": go_type.startswith("*"),
                "inline": embedded and json_parts[0] == "",
                "skip": json_parts[0] == "-",
                "tagged": json_tag is not None,
            }
    return structs, slices


# ---------------------------------------------------------------------------------------------


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    checkouts = [sys.argv[1], sys.argv[2]]

    # The listed packages, then what they import (an alpha type a stable one refers to).
    files, queue, loaded = [], [(index, directory, True) for index, directory in PACKAGES], set()
    while queue:
        index, directory, listed = queue.pop(0)
        if (index, directory) in loaded:
            continue
        loaded.add((index, directory))
        path = os.path.join(checkouts[index], directory, "generated.proto")
        with open(path, encoding="utf-8") as f:
            parsed = Parser(tokenize(f.read()), path).parse_file()
        parsed["dir"] = os.path.join(checkouts[index], directory)
        parsed["listed"] = listed
        files.append(parsed)
        for imported in parsed["imports"]:
            for index, root in ((0, "k8s.io/api/"), (1, "k8s.io/apimachinery/")):
                if imported.startswith(root) and imported.endswith("/generated.proto"):
                    queue.append((index, imported[len(root):-len("/generated.proto")], False))
                    break
            else:
                sys.exit(f"{path}: import {imported} not found in the checkouts")

    # Every known message and enum by fully qualified proto name.
    messages, enums = {}, set()
    for parsed in files:
        for name in parsed["messages"]:
            messages[f"{parsed['package']}.{name}"] = (parsed, name)
        for name in parsed["enums"]:
            enums.add(f"{parsed['package']}.{name}")

    def resolve(type_name, package, scope):
        """Proto name resolution: innermost scope first, then outwards; `.a.b` is absolute."""
        if type_name in SCALARS:
            return ("scalar", type_name)
        if type_name.startswith("."):
            candidates = [type_name[1:]]
        else:
            parts = f"{package}.{scope}".split(".")
            candidates = [".".join(parts[:n] + [type_name]) for n in range(len(parts), -1, -1)]
        for candidate in candidates:
            if candidate in messages:
                owner, name = messages[candidate]
                return ("message", f"{definition_prefix(owner['package'])}.{name}")
            if candidate in enums:
                return ("enum", None)
        sys.exit(f"unresolved type {type_name} in {package}.{scope}")

    with open(SCHEMAS, encoding="utf-8") as f:
        schemas = json.load(f)

    table, report, roots = {}, [], []
    for parsed in files:
        structs, slices = go_facts(parsed["dir"])
        prefix = definition_prefix(parsed["package"])
        for message, fields in sorted(parsed["messages"].items()):
            definition = f"{prefix}.{message}"
            entry = {}
            if definition in SPECIAL:
                entry["$json"] = SPECIAL[definition]
            elif message in slices and len(fields) == 1 and fields[0]["label"] == "repeated":
                entry["$json"] = "array"
            go = structs.get(message.split(".")[-1], {})
            for field in fields:
                out = {}
                facts = go.get(field["number"])
                json_name = field["name"]
                if facts and facts["tagged"] and not facts["inline"] and not facts["skip"] \
                        and "$json" not in entry:
                    json_name = facts["json"]
                    if json_name != field["name"]:
                        report.append(f"name: {definition} #{field['number']} proto {field['name']} → json {json_name}")
                out["name"] = json_name
                if field["label"] == "map":
                    key = resolve(field["key"], parsed["package"], message)
                    value = resolve(field["type"], parsed["package"], message)
                    out["type"] = "map"
                    out["map"] = {
                        "key": key[1] if key[0] == "scalar" else "enum",
                        "value": {"ref": value[1]} if value[0] == "message"
                        else (value[1] if value[0] == "scalar" else "enum"),
                    }
                else:
                    kind, ref = resolve(field["type"], parsed["package"], message)
                    if kind == "scalar":
                        out["type"] = ref
                    elif kind == "enum":
                        out["type"] = "enum"
                    else:
                        out["type"] = "message"
                        out["ref"] = ref
                    if field["label"] == "repeated":
                        out["repeated"] = True
                if facts and facts["inline"]:
                    if out["type"] != "message" or out.get("repeated"):
                        sys.exit(f"inline field {definition}.{field['name']} is not a message")
                    out["inline"] = True
                    report.append(f"inline: {definition} #{field['number']} {field['name']} (embedded Go struct)")
                if out["type"] in SCALARS and not out.get("repeated") and facts and not facts["skip"]:
                    default = out["type"] in ("string", "bytes")
                    actual = facts["omitempty"] and not facts["pointer"]
                    if out["type"] == "bytes":
                        actual = True   # a []byte: nil and empty are one in protobuf
                    if actual != default:
                        out["omitZero"] = actual
                entry[str(field["number"])] = out
            table[definition] = entry
            if parsed["listed"]:
                roots.append(definition)

    # Keep every message of the listed packages, and of imported ones only what those reach.
    reachable, stack = set(), list(roots)
    while stack:
        definition = stack.pop()
        if definition in reachable:
            continue
        reachable.add(definition)
        for key, field in table[definition].items():
            if key.startswith("$"):
                continue
            ref = field.get("ref")
            map_value = field.get("map", {}).get("value")
            if isinstance(map_value, dict):
                ref = map_value["ref"]
            if ref:
                stack.append(ref)
    for definition in list(table):
        if definition not in reachable:
            del table[definition]

    # Cross-check names against the OpenAPI schemas.
    def json_names(definition, seen=()):
        names = set()
        for key, field in table.get(definition, {}).items():
            if key.startswith("$"):
                continue
            if field.get("inline"):
                if field["ref"] not in seen:
                    names |= json_names(field["ref"], seen + (definition,))
            else:
                names.add(field["name"])
        return names

    for definition in sorted(table):
        schema = schemas.get(definition)
        if not isinstance(schema, dict) or "properties" not in schema or "$json" in table[definition]:
            continue
        ours = json_names(definition)
        theirs = set(schema["properties"])
        for name in sorted(ours - theirs):
            report.append(f"not in OpenAPI: {definition}.{name}")
        for name in sorted(theirs - ours - {"apiVersion", "kind"}):
            report.append(f"not in proto: {definition}.{name}")

    kinds = {}
    for definition, schema in schemas.items():
        if definition not in table or not isinstance(schema, dict):
            continue
        for gvk in schema.get("gvk", []):
            if (gvk["group"], gvk["version"]) not in SERVED:
                continue
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            key = f"{api_version}/{gvk['kind']}"
            if key in kinds and kinds[key] != definition:
                sys.exit(f"kind {key} maps to {kinds[key]} and {definition}")
            kinds[key] = definition
    table["$kinds"] = kinds

    with open(OUTPUT, "w", encoding="utf-8") as f:
        json.dump(table, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    for line in report:
        print(line, file=sys.stderr)
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)}: {len(table) - 1} messages, {len(kinds)} kinds", file=sys.stderr)


if __name__ == "__main__":
    main()
