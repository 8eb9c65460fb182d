import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("PrinterColumnPath and custom resource tables")
struct PrinterColumnPathTests {
    let object: JSONValue = [
        "metadata": ["name": "x", "labels": ["app.kubernetes.io/name": "web"], "creationTimestamp": "2026-11-27T10:00:00Z"],
        "spec": ["replicas": 3, "ratio": 0.5, "ready": true, "ports": [["port": 80], ["port": 443]]],
        "status": ["conditions": [["type": "Ready", "status": "True"], ["type": "Synced", "status": "False"]]],
    ]

    @Test(arguments: [
        (".spec.replicas", [JSONValue.int(3)]),
        ("spec.replicas", [.int(3)]),
        ("{.spec.replicas}", [.int(3)]),
        (".metadata.labels['app.kubernetes.io/name']", [.string("web")]),
        (".spec.ports[1].port", [.int(443)]),
        (".spec.ports[-1].port", [.int(443)]),
        (".spec.ports[*].port", [.int(80), .int(443)]),
        (".status.conditions[?(@.type==\"Ready\")].status", [.string("True")]),
        (".status.conditions[?(@.status!='True')].type", [.string("Synced")]),
        (".spec.missing", []),
    ])
    func pathsSelectWhatUpstreamsJSONPathSelects(path: String, expected: [JSONValue]) throws {
        #expect(try PrinterColumnPath(path).values(in: object) == expected)
    }

    @Test func malformedPathsAreRefused() {
        #expect(throws: PrinterColumnPath.ParseError.self) { try PrinterColumnPath(".spec[") }
        #expect(throws: PrinterColumnPath.ParseError.self) { try PrinterColumnPath(".spec.") }
    }

    @Test func cellsAreTypedAsTheColumnSays() {
        let context = PrintContext(now: 1_796_378_400_000_000)  // 2026-12-04T10:40:00Z
        #expect(CustomResourceTable.cell(type: "integer", value: 3, context: context) == 3)
        #expect(CustomResourceTable.cell(type: "integer", value: .double(2.0), context: context) == 2)
        #expect(CustomResourceTable.cell(type: "number", value: 3, context: context) == .double(3))
        #expect(CustomResourceTable.cell(type: "boolean", value: true, context: context) == true)
        #expect(CustomResourceTable.cell(type: "integer", value: "three", context: context) == .null)
        #expect(CustomResourceTable.cell(type: "string", value: 7, context: context) == "7")
        #expect(CustomResourceTable.cell(type: "date", value: "nonsense", context: context) == "<invalid>")
        #expect(CustomResourceTable.cell(type: "date", value: "2026-11-27T10:00:00Z", context: context).stringValue?.hasSuffix("d") == true)
    }

    @Test func theLayoutPrintsNameThenTheColumns() throws {
        let columns: [JSONValue] = [["name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"],
                                    ["name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status",
                                     "priority": 1]]
        let crd = CustomResourceFixtures.definition(versions: [CustomResourceFixtures.version("v1", storage: true, columns: columns)])
        let version = try #require(CustomResourceVersion.servedVersions(of: crd).first)
        let layout = CustomResourceTable.layout(version)
        #expect(layout.columns.map(\.name) == ["Name", "Replicas", "Ready"])
        #expect(layout.columns.map(\.priority) == [0, 0, 1])
        #expect(layout.printer(object, .current()).cells == ["x", 3, "True"])
    }

    @Test func withoutColumnsAVersionShowsItsAge() throws {
        let version = try #require(CustomResourceVersion.servedVersions(of: CustomResourceFixtures.definition()).first)
        #expect(CustomResourceTable.layout(version).columns.map(\.name) == ["Name", "Age"])
    }

    @Test func scaleReadsAndNamesItsPaths() {
        let paths = CustomResourceScalePaths(specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.count",
                                             labelSelectorPath: ".status.selector")
        let scale = CustomResourceScale.scaleObject(of: ["spec": ["replicas": 4], "status": ["count": 2, "selector": "a=b"]],
                                                    paths: paths, metadata: ["name": "x"])
        #expect(scale[path: ["spec", "replicas"]] == 4)
        #expect(scale["status"] == ["replicas": 2, "selector": "a=b"])
        #expect(CustomResourceScale.fieldPath(".spec.replicas") == ["spec", "replicas"])
    }
}
