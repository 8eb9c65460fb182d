import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

/// The bundled schemas, loaded once for the whole suite.
private let bundledSchemas = Result { try SchemaSet.bundled() }

@Suite("SchemaPruner with the bundled schemas")
struct SchemaPrunerTests {
    let pruner: SchemaPruner

    init() throws {
        pruner = SchemaPruner(schemas: try bundledSchemas.get())
    }

    static let deployment = "io.k8s.api.apps.v1.Deployment"
    static let pod = "io.k8s.api.core.v1.Pod"
    static let secret = "io.k8s.api.core.v1.Secret"
    static let configMap = "io.k8s.api.core.v1.ConfigMap"
    static let service = "io.k8s.api.core.v1.Service"

    func prune(_ json: String, _ definition: String, kind: String) throws -> SchemaPruner.Result {
        try pruner.prune(JSONValue.parse(json), definition: definition, kind: kind)
    }

    func pruneError(_ json: String, _ definition: String, kind: String) -> APIError? {
        do {
            _ = try prune(json, definition, kind: kind)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static let validDeployment = """
    {"apiVersion":"apps/v1","kind":"Deployment",
     "metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
     "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
       "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},
       "template":{"metadata":{"labels":{"app":"web"}},
         "spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],
           "resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}}}
    """

    // MARK: schemas

    @Test("the bundled schemas hold the served kinds")
    func bundled() throws {
        let schemas = try bundledSchemas.get()
        for info in ResourceCatalog.all {
            #expect(schemas.definitions[info.definition] != nil, "\(info.definition) missing")
        }
    }

    // MARK: known objects pass unchanged

    @Test("a valid Deployment comes through unchanged with no unknown fields")
    func validDeployment() throws {
        let input = try JSONValue.parse(Self.validDeployment)
        let result = try pruner.prune(input, definition: Self.deployment, kind: "Deployment")
        #expect(result.unknownFields == [])
        #expect(result.value == input)
    }

    // MARK: unknown fields

    @Test("an unknown top-level field is dropped and reported")
    func unknownTopLevel() throws {
        let result = try prune(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"bogus":1,"data":{"k":"v"}}"#,
                               Self.configMap, kind: "ConfigMap")
        #expect(result.unknownFields == ["bogus"])
        #expect(result.value["bogus"] == nil)
        #expect(result.value["data"] == ["k": "v"])
        #expect(result.value[path: ["metadata", "name"]] == "a")
    }

    @Test("an unknown field in spec")
    func unknownInSpec() throws {
        let result = try prune(#"{"spec":{"replicas":1,"replicaz":2}}"#, Self.deployment, kind: "Deployment")
        #expect(result.unknownFields == ["spec.replicaz"])
        #expect(result.value == ["spec": ["replicas": 1]])
    }

    @Test("an unknown field in metadata")
    func unknownInMetadata() throws {
        let result = try prune(#"{"metadata":{"name":"a","nmae":"b"}}"#, Self.configMap, kind: "ConfigMap")
        #expect(result.unknownFields == ["metadata.nmae"])
        #expect(result.value == ["metadata": ["name": "a"]])
    }

    @Test("an unknown field inside a list item of the pod template")
    func unknownInListItem() throws {
        let json = #"{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","foo":true}]}}}}"#
        let result = try prune(json, Self.deployment, kind: "Deployment")
        #expect(result.unknownFields == ["spec.template.spec.containers[1].foo"])
        #expect(result.value[path: ["spec", "template", "spec", "containers"]]
            == [["name": "a", "image": "x"], ["name": "b"]])
    }

    @Test("the first container's unknown field is spec.template.spec.containers[0].foo")
    func unknownInFirstContainer() throws {
        let json = #"{"spec":{"template":{"spec":{"containers":[{"name":"a","foo":"bar"}]}}}}"#
        let result = try prune(json, Self.deployment, kind: "Deployment")
        #expect(result.unknownFields == ["spec.template.spec.containers[0].foo"])
    }

    @Test("several unknown fields are all reported")
    func severalUnknown() throws {
        let json = #"{"x":1,"spec":{"y":2,"containers":[{"name":"c","z":3}]}}"#
        let result = try prune(json, Self.pod, kind: "Pod")
        #expect(Set(result.unknownFields) == ["x", "spec.y", "spec.containers[0].z"])
        #expect(result.value == ["spec": ["containers": [["name": "c"]]]])
    }

    // MARK: nulls

    @Test("null members are dropped, also deep inside")
    func nullsDropped() throws {
        let json = #"{"metadata":{"name":"a","labels":null,"annotations":{"k":"v"}},"spec":{"replicas":null,"paused":false,"template":{"spec":{"containers":[{"name":"c","image":null}]}}}}"#
        let result = try prune(json, Self.deployment, kind: "Deployment")
        #expect(result.unknownFields == [])
        #expect(result.value[path: ["metadata", "labels"]] == nil)
        #expect(result.value[path: ["metadata", "annotations"]] == ["k": "v"])
        #expect(result.value[path: ["spec", "replicas"]] == nil)
        #expect(result.value[path: ["spec", "paused"]] == false)
        #expect(result.value[path: ["spec", "template", "spec", "containers"]] == [["name": "c"]])
    }

    @Test("a null spec is dropped")
    func nullSpec() throws {
        let result = try prune(#"{"kind":"Pod","spec":null}"#, Self.pod, kind: "Pod")
        #expect(result.value == ["kind": "Pod"])
    }

    // MARK: wrong types

    @Test("a string where an integer belongs is 400 naming the field")
    func stringForInteger() {
        let e = pruneError(#"{"spec":{"replicas":"three"}}"#, Self.deployment, kind: "Deployment")
        #expect(e?.code == 400)
        #expect(e?.reason == "BadRequest")
        #expect(e?.message.contains("cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32") == true,
                "\(e?.message ?? "no error")")
        #expect(e?.message.hasPrefix("Deployment in version \"v1\" cannot be handled as a Deployment") == true)
    }

    @Test("a fraction where an integer belongs is 400")
    func fractionForInteger() {
        #expect(pruneError(#"{"spec":{"replicas":1.5}}"#, Self.deployment, kind: "Deployment")?.code == 400)
    }

    @Test("an integral float where an integer belongs becomes an integer")
    func integralFloat() throws {
        let result = try prune(#"{"spec":{"replicas":2.0}}"#, Self.deployment, kind: "Deployment")
        #expect(result.value[path: ["spec", "replicas"]] == .int(2))
    }

    @Test("wrong JSON types are 400", arguments: [
        #"{"metadata":"x"}"#,                                   // object expected
        #"{"metadata":{"name":5}}"#,                              // string expected
        #"{"metadata":{"labels":["a"]}}"#,                        // map expected
        #"{"metadata":{"finalizers":"a"}}"#,                      // array expected
        #"{"metadata":{"creationTimestamp":12}}"#,                // time expected
        #"{"spec":{"hostNetwork":"true"}}"#,                      // boolean expected
        #"{"spec":{"containers":{"name":"c"}}}"#,                 // array expected
        #"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":"80"}]}]}}"#,
        #"{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":true}}}]}}"#, // quantity
    ])
    func wrongTypes(_ json: String) {
        let e = pruneError(json, Self.pod, kind: "Pod")
        #expect(e?.code == 400, "\(json)")
        #expect(e?.reason == "BadRequest")
    }

    @Test("a wrong type inside a list item names the item's path and owner type")
    func wrongTypeInListItem() {
        let e = pruneError(#"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":"80"}]}]}}"#, Self.pod, kind: "Pod")
        #expect(e?.message.contains("ContainerPort.spec.containers[0].ports[0].containerPort") == true, "\(e?.message ?? "no error")")
        #expect(e?.message.contains("of type int32") == true)
    }

    @Test("a map value of the wrong type is 400")
    func wrongMapValue() {
        let e = pruneError(#"{"metadata":{"labels":{"a":1}}}"#, Self.configMap, kind: "ConfigMap")
        #expect(e?.code == 400)
        #expect(e?.message.contains("metadata.labels.a") == true, "\(e?.message ?? "no error")")
    }

    // MARK: int-or-string

    @Test("int-or-string takes integers and strings", arguments: [
        (#"8080"#, JSONValue.int(8080)), (#""http""#, JSONValue.string("http")), (#"80.0"#, JSONValue.int(80)),
    ])
    func intOrString(_ raw: String, _ expected: JSONValue) throws {
        let result = try prune(#"{"spec":{"ports":[{"port":80,"targetPort":\#(raw)}]}}"#, Self.service, kind: "Service")
        #expect(result.value[path: ["spec", "ports"]]?.arrayValue?.first?["targetPort"] == expected)
    }

    @Test("int-or-string refuses other types", arguments: [#"true"#, #"{}"#, #"[1]"#, #"1.5"#])
    func intOrStringRefused(_ raw: String) {
        let e = pruneError(#"{"spec":{"ports":[{"port":80,"targetPort":\#(raw)}]}}"#, Self.service, kind: "Service")
        #expect(e?.code == 400)
        #expect(e?.message.contains("intstr.IntOrString") == true, "\(e?.message ?? "no error")")
    }

    @Test("maxSurge and maxUnavailable are int-or-string")
    func rollingUpdate() throws {
        let result = try prune(#"{"spec":{"strategy":{"rollingUpdate":{"maxSurge":"50%","maxUnavailable":0}}}}"#,
                               Self.deployment, kind: "Deployment")
        #expect(result.value[path: ["spec", "strategy", "rollingUpdate"]] == ["maxSurge": "50%", "maxUnavailable": 0])
    }

    // MARK: quantities

    @Test("upstream: quantities are stored in their canonical spelling; malformed ones are refused")
    func quantities() throws {
        let json = #"{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":2,"memory":"1Gi","ephemeral-storage":2000},"requests":{"cpu":0.5}}}]}}"#
        let result = try prune(json, Self.pod, kind: "Pod")
        let resources = result.value[path: ["spec", "containers"]]?.arrayValue?.first?["resources"]
        #expect(resources?["limits"] == ["cpu": "2", "memory": "1Gi", "ephemeral-storage": "2k"])
        #expect(resources?[path: ["requests", "cpu"]]?.stringValue != nil)
        #expect(resources?[path: ["requests", "cpu"]] == "500m")
        let bad = #"{"spec":{"containers":[{"name":"c","resources":{"limits":{"memory":"12MB"}}}]}}"#
        #expect(throws: APIError.badRequest(#"Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#)) {
            try prune(bad, Self.pod, kind: "Pod")
        }
    }

    @Test("upstream: an int32 field refuses a number that does not fit")
    func int32Range() throws {
        let json = #"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":3000000000}]}]}}"#
        #expect(throws: APIError.self) { try prune(json, Self.pod, kind: "Pod") }
        let fits = #"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":2147483647}]}]}}"#
        #expect(try prune(fits, Self.pod, kind: "Pod").value[path: ["spec", "containers"]]?.arrayValue?.first?["ports"]?.arrayValue?.first?["containerPort"] == 2147483647)
    }

    // MARK: bytes

    @Test("valid base64 in Secret data is kept")
    func secretData() throws {
        let result = try prune(#"{"data":{"password":"c2VjcmV0","empty":""},"stringData":{"plain":"text"}}"#,
                               Self.secret, kind: "Secret")
        #expect(result.value["data"] == ["password": "c2VjcmV0", "empty": ""])
        #expect(result.value["stringData"] == ["plain": "text"])
    }

    @Test("invalid base64 in Secret data is 400", arguments: ["not base64!", "abc", "YQ=", "Y Q=="])
    func secretDataInvalid(_ value: String) {
        let e = pruneError(#"{"data":{"password":"\#(value)"}}"#, Self.secret, kind: "Secret")
        #expect(e?.code == 400, "\(value)")
        #expect(e?.message.contains("illegal base64 data") == true)
        #expect(e?.message.contains("data.password") == true)
    }

    @Test("upstream: base64 with surplus padding is refused", arguments: ["c2VjcmV0=", "c2VjcmV0===", "===="])
    func secretDataSurplusPadding(_ value: String) {
        // Go's base64.StdEncoding (behind []byte fields) refuses these ("illegal base64 data at input byte 8"),
        // but Foundation's Data(base64Encoded:) on Linux accepts them ("====" even decodes to one zero byte), so
        // the pruner stores Secret data that Go clients cannot decode afterwards.
        let e = pruneError(#"{"data":{"password":"\#(value)"}}"#, Self.secret, kind: "Secret")
        #expect(e?.code == 400, "\(value)")
    }

    @Test("a non-string in Secret data is 400")
    func secretDataNumber() {
        let e = pruneError(#"{"data":{"password":5}}"#, Self.secret, kind: "Secret")
        #expect(e?.code == 400)
        #expect(e?.message.contains("[]byte") == true)
    }

    @Test("ConfigMap binaryData is validated as base64 too")
    func configMapBinaryData() {
        #expect(pruneError(#"{"binaryData":{"b":"%%%"}}"#, Self.configMap, kind: "ConfigMap")?.code == 400)
    }

    // MARK: preserve-unknown

    @Test("managedFields fieldsV1 keeps whatever it holds")
    func managedFields() throws {
        let json = #"{"metadata":{"name":"a","managedFields":[{"manager":"kubectl","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:key":{}},"f:metadata":{"f:labels":{".":{}}}},"bogus":1}]}}"#
        let result = try prune(json, Self.configMap, kind: "ConfigMap")
        #expect(result.unknownFields == ["metadata.managedFields[0].bogus"])
        let entry = result.value[path: ["metadata", "managedFields"]]?.arrayValue?.first
        #expect(entry?["fieldsV1"] == ["f:data": ["f:key": [:]], "f:metadata": ["f:labels": [".": [:]]]])
        #expect(entry?["manager"] == "kubectl")
        #expect(entry?["bogus"] == nil)
    }

    @Test("ControllerRevision data is preserved as is")
    func controllerRevisionData() throws {
        let json = #"{"revision":1,"data":{"anything":{"goes":[1,"two",null]}}}"#
        let result = try prune(json, "io.k8s.api.apps.v1.ControllerRevision", kind: "ControllerRevision")
        #expect(result.unknownFields == [])
        #expect(result.value["data"] == ["anything": ["goes": [1, "two", nil]]])
    }

    // MARK: unknown definitions

    @Test("an unknown definition leaves the value alone")
    func unknownDefinition() throws {
        let input: JSONValue = ["anything": 1]
        let result = try pruner.prune(input, definition: "io.example.v1.Nothing", kind: "Nothing")
        #expect(result.value == input)
        #expect(result.unknownFields == [])
    }
}

@Suite("GoTimeParsing")
struct GoTimeParsingTests {
    func parse(_ text: String, micro: Bool = false) -> String {
        switch GoTimeParsing.normalize(text, micro: micro) {
        case .success(let s): return s
        case .failure(let e): return e.message
        }
    }

    @Test("upstream: times are stored in UTC; Time drops fractions, MicroTime keeps six digits")
    func normalized() {
        #expect(parse("2024-01-01T10:00:00+02:00") == "2024-01-01T08:00:00Z")
        #expect(parse("2024-01-01T10:00:00.75Z") == "2024-01-01T10:00:00Z")
        #expect(parse("2024-01-01T00:00:00.000000Z", micro: true) == "2024-01-01T00:00:00.000000Z")
        #expect(parse("2024-02-29T23:59:59Z") == "2024-02-29T23:59:59Z")
    }

    @Test("upstream: Go's time.Parse errors")
    func errors() {
        #expect(parse("yesterday") == #"parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#)
        #expect(parse("") == #"parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006""#)
        #expect(parse("2024-01-01 10:00:00Z") == #"parsing time "2024-01-01 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T""#)
        #expect(parse("2024-13-01T00:00:00Z") == #"parsing time "2024-13-01T00:00:00Z": month out of range"#)
        #expect(parse("2023-02-29T00:00:00Z") == #"parsing time "2023-02-29T00:00:00Z": day out of range"#)
        #expect(parse("2024-01-01T00:00:00") == #"parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#)
        #expect(parse("2024-01-01T00:00:00Zjunk") == #"parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk""#)
        #expect(parse("2024-01-01T00:00:00Z", micro: true) == #"parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000""#)
    }
}
