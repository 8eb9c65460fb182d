import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite struct CustomResourceRulesTests {
    /// A schema from YAML-ish JSON text.
    func schema(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    func rules(_ text: String) throws -> CustomResourceRules {
        switch CustomResourceRules.compile(openAPIV3Schema: try schema(text), fieldPrefix: "spec.validation.openAPIV3Schema") {
        case .success(let r): return r
        case .failure(let e): Issue.record("compile failed: \(e.causes)"); throw e
        }
    }

    func compileCauses(_ text: String) throws -> [APIError.Cause] {
        if case .failure(let e) = CustomResourceRules.compile(openAPIV3Schema: try schema(text), fieldPrefix: "spec.validation.openAPIV3Schema") {
            return e.causes
        }
        return []
    }

    let replicasSchema = """
    {"type":"object","properties":{"spec":{"type":"object",
      "x-kubernetes-validations":[{"rule":"self.minReplicas <= self.replicas","message":"replicas must be at least minReplicas"},
                                  {"rule":"self.replicas < 100"}],
      "properties":{"replicas":{"type":"integer"},"minReplicas":{"type":"integer"}}}}}
    """

    @Test func passingObjectHasNoCauses() throws {
        let r = try rules(replicasSchema)
        let obj = try schema(#"{"apiVersion":"x/v1","kind":"X","spec":{"replicas":3,"minReplicas":1}}"#)
        #expect(r.validate(obj, old: nil).isEmpty)
    }

    @Test func failingRulesReportMessageOrDefault() throws {
        let r = try rules(replicasSchema)
        let obj = try schema(#"{"spec":{"replicas":300,"minReplicas":400}}"#)
        let causes = r.validate(obj, old: nil)
        #expect(causes == [
            .init(type: "FieldValueInvalid", message: #"Invalid value: "object": replicas must be at least minReplicas"#, field: "spec"),
            .init(type: "FieldValueInvalid", message: #"Invalid value: "object": failed rule: self.replicas < 100"#, field: "spec"),
        ])
    }

    @Test func nullValuesAreNotValidated() throws {
        let r = try rules(replicasSchema)
        #expect(r.validate(try schema(#"{"spec":null}"#), old: nil).isEmpty)
    }

    @Test func missingFieldIsAnEvaluationError() throws {
        let r = try rules(replicasSchema)
        let causes = r.validate(try schema(#"{"spec":{"replicas":3}}"#), old: nil)
        #expect(causes.first?.message == #"Invalid value: "object": no such key: minReplicas evaluating rule: replicas must be at least minReplicas"#)
    }

    @Test func rootRuleUsesNilPath() throws {
        let r = try rules(#"{"type":"object","x-kubernetes-validations":[{"rule":"self.metadata.name.startsWith('a')","reason":"FieldValueForbidden","message":"name must start with a"}]}"#)
        let causes = r.validate(try schema(#"{"metadata":{"name":"bob","namespace":"x"}}"#), old: nil)
        #expect(causes == [.init(type: "FieldValueForbidden", message: "Forbidden: name must start with a", field: "<nil>")])
        #expect(r.validate(try schema(#"{"metadata":{"name":"alice"}}"#), old: nil).isEmpty)
    }

    @Test func messageExpressionAndFieldPath() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"items":{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10}}},
          "x-kubernetes-validations":[{"rule":"self.items.size() < 2","messageExpression":"'too many: ' + string(self.items.size())","fieldPath":".items"}]}}}
        """)
        let causes = r.validate(try schema(#"{"spec":{"items":["a","b","c"]}}"#), old: nil)
        #expect(causes == [.init(type: "FieldValueInvalid", message: #"Invalid value: "object": too many: 3"#, field: "spec.items")])
    }

    @Test func transitionRuleRunsOnlyOnUpdate() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"mode":{"type":"string","maxLength":20,
          "x-kubernetes-validations":[{"rule":"self == oldSelf","message":"mode is immutable"}]}}}}}
        """)
        let new = try schema(#"{"spec":{"mode":"b"}}"#)
        #expect(r.validate(new, old: nil).isEmpty)
        #expect(r.validate(new, old: try schema(#"{"spec":{"mode":"b"}}"#)).isEmpty)
        #expect(r.validate(new, old: try schema(#"{"spec":{"mode":"a"}}"#)) == [
            .init(type: "FieldValueInvalid", message: #"Invalid value: "string": mode is immutable"#, field: "spec.mode"),
        ])
    }

    @Test func transitionRulesFollowMapListItemsByKey() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"ports":{"type":"array","maxItems":5,
          "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
          "items":{"type":"object","properties":{"name":{"type":"string","maxLength":10},"port":{"type":"integer"}},
            "x-kubernetes-validations":[{"rule":"self.port >= oldSelf.port","message":"port may only grow"}]}}}}}}
        """)
        let old = try schema(#"{"spec":{"ports":[{"name":"a","port":80},{"name":"b","port":90}]}}"#)
        let new = try schema(#"{"spec":{"ports":[{"name":"b","port":85},{"name":"a","port":81},{"name":"c","port":1}]}}"#)
        #expect(r.validate(new, old: old) == [
            .init(type: "FieldValueInvalid", message: #"Invalid value: "object": port may only grow"#, field: "spec.ports[0]"),
        ])
    }

    @Test func oldSelfRefusedBelowAtomicLists() throws {
        let causes = try compileCauses("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"items":{"type":"array","maxItems":5,
          "items":{"type":"string","maxLength":5,"x-kubernetes-validations":[{"rule":"self == oldSelf"}]}}}}}}
        """)
        #expect(causes == [.init(type: "FieldValueInvalid",
            message: #"Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[items].items"#,
            field: "spec.validation.openAPIV3Schema.properties[spec].properties[items].items.x-kubernetes-validations[0].rule")])
    }

    @Test func optionalOldSelfNeedsOldSelf() throws {
        let causes = try compileCauses("""
        {"type":"object","properties":{"spec":{"type":"object","x-kubernetes-validations":[{"rule":"true","optionalOldSelf":true}]}}}
        """)
        #expect(causes == [.init(type: "FieldValueInvalid", message: "Invalid value: true: may not be set if oldSelf is not used in rule",
                                 field: "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].optionalOldSelf")])
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"n":{"type":"integer"}},
          "x-kubernetes-validations":[{"rule":"!oldSelf.hasValue() || self.n >= oldSelf.value().n","optionalOldSelf":true,"message":"n may only grow"}]}}}
        """)
        #expect(r.validate(try schema(#"{"spec":{"n":1}}"#), old: nil).isEmpty)
        #expect(r.validate(try schema(#"{"spec":{"n":1}}"#), old: try schema(#"{"spec":{"n":2}}"#)).map(\.message) == [#"Invalid value: "object": n may only grow"#])
    }

    @Test func rulesRunPerListItemAndMapValue() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{
          "ports":{"type":"array","maxItems":5,"items":{"type":"integer","x-kubernetes-validations":[{"rule":"self > 0"}]}},
          "limits":{"type":"object","maxProperties":5,"additionalProperties":{"type":"string","maxLength":10,"x-kubernetes-validations":[{"rule":"isQuantity(self)"}]}}}}}}
        """)
        let causes = r.validate(try schema(#"{"spec":{"ports":[1,0],"limits":{"cpu":"1","mem":"lots"}}}"#), old: nil)
        #expect(causes.map(\.field) == ["spec.limits[mem]", "spec.ports[1]"])
    }

    @Test func intOrStringAndNumberTypes() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{
          "port":{"x-kubernetes-int-or-string":true},"ratio":{"type":"number"}},
          "x-kubernetes-validations":[{"rule":"type(self.port) == int ? self.port > 0 : self.port.endsWith('%')"},{"rule":"self.ratio < 1.0"}]}}}
        """)
        #expect(r.validate(try schema(#"{"spec":{"port":"50%","ratio":0}}"#), old: nil).isEmpty)
        #expect(r.validate(try schema(#"{"spec":{"port":8080,"ratio":0.5}}"#), old: nil).isEmpty)
        #expect(r.validate(try schema(#"{"spec":{"port":"x","ratio":2}}"#), old: nil).count == 2)
    }

    @Test func escapedPropertyNames() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"my-field":{"type":"integer"}},
          "x-kubernetes-validations":[{"rule":"self.my__dash__field > 1"}]}}}
        """)
        #expect(r.validate(try schema(#"{"spec":{"my-field":5}}"#), old: nil).isEmpty)
        #expect(r.validate(try schema(#"{"spec":{"my-field":0}}"#), old: nil).count == 1)
    }

    @Test func compilationErrorsNameTheRule() throws {
        let causes = try compileCauses("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"integer"}},
          "x-kubernetes-validations":[{"rule":"self.b > 0"},{"rule":"self.a"}]}}}
        """)
        #expect(causes.count == 2)
        #expect(causes.first?.field == "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule")
        #expect(causes.first?.message == """
        Invalid value: apiextensions.ValidationRule{Rule:"self.b > 0", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field 'b'
         | self.b > 0
         | ....^
        """)
        #expect(causes.last?.message.hasSuffix("cel expression must evaluate to a bool") == true)
    }

    @Test func unboundedListRuleExceedsEstimatedCost() throws {
        let causes = try compileCauses("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"names":{"type":"array","items":{"type":"string"}}},
          "x-kubernetes-validations":[{"rule":"self.names.all(n, n.matches('^[a-z]+$'))"}]}}}
        """)
        #expect(causes.count >= 1)
        #expect(causes.first?.type == "FieldValueForbidden")
        #expect(causes.first?.message.contains("estimated rule cost exceeds budget by factor of") == true)
        // Bounded, the same rule is accepted.
        let ok = try compileCauses("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"names":{"type":"array","maxItems":20,"items":{"type":"string","maxLength":30}}},
          "x-kubernetes-validations":[{"rule":"self.names.all(n, n.matches('^[a-z]+$'))"}]}}}
        """)
        #expect(ok.isEmpty)
    }

    @Test func runtimeCostLimitStopsRules() throws {
        let r = try rules("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{"n":{"type":"array","maxItems":3,"items":{"type":"integer"}}},
          "x-kubernetes-validations":[{"rule":"self.n.all(a, self.n.all(b, self.n.all(c, a + b + c >= 0)))"}]}}}
        """)
        let big = JSONValue.object(["spec": .object(["n": .array((0..<1000).map { .int(Int64($0)) })])])
        let causes = r.validate(big, old: nil)
        #expect(causes.count == 1)
        #expect(causes.first?.message.contains("no further validation rules will be run due to call cost exceeds limit for rule") == true)
    }
}
