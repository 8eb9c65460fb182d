#!/usr/bin/env python3
"""Generate the server-side Table column definitions every served kind prints with.

Run from the repository root:

    python3 scripts/generate-table-columns.py

Input (facts, read-only):
    ../shared/k8s-discovery/table-columns.json   `columnDefinitions` an upstream server returned for
                                                 each listable resource (keyed group/version/resource)

Output:
    Sources/KyvernAPIServer/Printing/Generated/TableColumns.swift

The capture comes from a 1.28 server. Kyvern serves 1.36, whose printers added a few columns and
resources since; those differences are listed below (INSERTIONS, REPLACED, ADDED) (name, type, format, priority
only). Column descriptions are never written. The output is deterministic. Only the Python standard
library is used.
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "..", "shared", "k8s-discovery", "table-columns.json")
OUTPUT = os.path.join(ROOT, "Sources", "KyvernAPIServer", "Printing", "Generated", "TableColumns.swift")


def col(name, type_="string", format_="", priority=0):
    return {"name": name, "type": type_, "format": format_, "priority": priority}


NAME = col("Name", "string", "name")
AGE = col("Age")

# Where 1.36 prints differently from the 1.28 capture: columns inserted after a named column,
# column sets replaced whole, and resources added since 1.28 (in every version that may be served).
INSERTIONS = [
    ("batch/v1/jobs", "Name", col("Status")),
    ("batch/v1/cronjobs", "Schedule", col("Timezone")),
    ("v1/persistentvolumes", "StorageClass", col("VolumeAttributesClass")),
    ("v1/persistentvolumeclaims", "StorageClass", col("VolumeAttributesClass")),
    ("scheduling.k8s.io/v1/priorityclasses", "Age", col("PreemptionPolicy")),
]
REPLACED = {
    "v1/resourcequotas": [NAME, col("Request"), col("Limit"), AGE],
    "storage.k8s.io/v1/csistoragecapacities": [NAME, col("StorageClassName"), col("Capacity")],
}


def versions(group, names, resource, cols):
    return {f"{group}/{v}/{resource}": cols for v in names}


ADDED = {
    "storage.k8s.io/v1/volumeattributesclasses": [NAME, col("DriverName"), AGE],
    **versions("networking.k8s.io", ["v1", "v1beta1"], "servicecidrs", [NAME, col("CIDRs"), AGE]),
    **versions("networking.k8s.io", ["v1", "v1beta1"], "ipaddresses", [NAME, col("ParentRef")]),
    **versions("admissionregistration.k8s.io", ["v1", "v1beta1"], "validatingadmissionpolicies",
               [NAME, col("Validations", "integer"), col("ParamKind"), AGE]),
    **versions("admissionregistration.k8s.io", ["v1", "v1beta1"], "validatingadmissionpolicybindings",
               [NAME, col("PolicyName"), col("ParamRef"), AGE]),
    **versions("admissionregistration.k8s.io", ["v1", "v1beta1", "v1alpha1"], "mutatingadmissionpolicies",
               [NAME, col("Mutations", "integer"), col("ParamKind"), AGE]),
    **versions("admissionregistration.k8s.io", ["v1", "v1beta1", "v1alpha1"], "mutatingadmissionpolicybindings",
               [NAME, col("PolicyName"), col("ParamRef"), AGE]),
    **versions("resource.k8s.io", ["v1", "v1beta1", "v1beta2"], "deviceclasses", [NAME, AGE]),
    **versions("resource.k8s.io", ["v1", "v1beta1", "v1beta2"], "resourceclaims", [NAME, col("State"), AGE]),
    **versions("resource.k8s.io", ["v1", "v1beta1", "v1beta2"], "resourceclaimtemplates", [NAME, AGE]),
    **versions("resource.k8s.io", ["v1", "v1beta1", "v1beta2"], "resourceslices",
               [NAME, col("Node"), col("Driver"), col("Pool"), AGE]),
    **versions("certificates.k8s.io", ["v1beta1", "v1alpha1"], "clustertrustbundles", [NAME, col("SignerName")]),
    **versions("coordination.k8s.io", ["v1beta1", "v1alpha2"], "leasecandidates",
               [NAME, col("LeaseName"), col("BinaryVersion"), col("EmulationVersion"), AGE]),
}
# Versions that print exactly as an older version of the same resource.
SAME_AS = {
    "flowcontrol.apiserver.k8s.io/v1/flowschemas": "flowcontrol.apiserver.k8s.io/v1beta3/flowschemas",
    "flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations":
        "flowcontrol.apiserver.k8s.io/v1beta3/prioritylevelconfigurations",
}


def load():
    with open(SOURCE) as f:
        raw = json.load(f)
    table = {key: [col(c["name"], c["type"], c.get("format", ""), c.get("priority", 0)) for c in cols]
             for key, cols in raw.items()}
    for key, cols in REPLACED.items():
        table[key] = [dict(c) for c in cols]
    for key, after, new in INSERTIONS:
        cols = table[key]
        if any(c["name"] == new["name"] for c in cols):
            continue
        index = next(i for i, c in enumerate(cols) if c["name"] == after)
        cols.insert(index + 1, new)
    for key, cols in ADDED.items():
        table.setdefault(key, [dict(c) for c in cols])
    for key, other in SAME_AS.items():
        table.setdefault(key, [dict(c) for c in table[other]])
    return table


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(table):
    out = [
        "// Generated by scripts/generate-table-columns.py from the upstream Table columns captured in",
        "// shared/k8s-discovery/table-columns.json. Do not edit; run `python3 scripts/generate-table-columns.py`.",
        "",
        "/// The server-side Table columns upstream prints for each resource, keyed `group/version/resource`",
        "/// (`v1/pods` for the core group). Resources absent here print upstream's default table.",
        "enum TableColumns {",
        "    static let byResource: [String: [TableColumn]] = [",
    ]
    for key in sorted(table):
        out.append(f"        {swift_string(key)}: [")
        for c in table[key]:
            out.append(f"            TableColumn(name: {swift_string(c['name'])}, type: {swift_string(c['type'])}, "
                       f"format: {swift_string(c['format'])}, priority: {c['priority']}),")
        out.append("        ],")
    out += ["    ]", "}", ""]
    return "\n".join(out)


def main():
    text = render(load())
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
