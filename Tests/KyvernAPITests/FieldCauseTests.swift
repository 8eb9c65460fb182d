import KyvernAPI
import Testing

@Suite struct FieldCauseTests {
    @Test func messagesFollowUpstreamsErrorBody() {
        let invalid = APIError.Cause.invalid("metadata.name", "Bad_Name", "bad")
        #expect(invalid.type == "FieldValueInvalid")
        #expect(invalid.field == "metadata.name")
        #expect(invalid.message == #"Invalid value: "Bad_Name": bad"#)
        #expect(invalid.fieldError == #"metadata.name: Invalid value: "Bad_Name": bad"#)

        #expect(APIError.Cause.invalid("f", .int(-1), "must be greater than or equal to 0").message
            == "Invalid value: -1: must be greater than or equal to 0")
        #expect(APIError.Cause.invalid("f", .bool(true), "no").message == "Invalid value: true: no")
        #expect(APIError.Cause.invalid("f", .null, "no").message == "Invalid value: null: no")
        #expect(APIError.Cause.invalid("f", ["a", "b"], "no").message == #"Invalid value: ["a","b"]: no"#)
        #expect(APIError.Cause.invalid("f", "x", "").message == #"Invalid value: "x""#)
        #expect(APIError.Cause.invalid("f", "tab\there", "d").message == #"Invalid value: "tab\there": d"#)

        #expect(APIError.Cause.required("metadata.namespace").message == "Required value")
        #expect(APIError.Cause.required("metadata.name", "name or generateName is required").message
            == "Required value: name or generateName is required")
        #expect(APIError.Cause.required("x").type == "FieldValueRequired")

        let forbidden = APIError.Cause.forbidden("metadata.namespace", "not allowed on this type")
        #expect(forbidden.type == "FieldValueForbidden")
        #expect(forbidden.fieldError == "metadata.namespace: Forbidden: not allowed on this type")

        let tooLong = APIError.Cause.tooLong("metadata.annotations", maxBytes: 262144)
        #expect(tooLong.type == "FieldValueTooLong")
        #expect(tooLong.message == "Too long: must have at most 262144 bytes")

        #expect(APIError.Cause.duplicate("spec.ports[1].name", "http").message == #"Duplicate value: "http""#)
        let unsupported = APIError.Cause.notSupported("spec.type", "Foo", supported: ["ClusterIP", "NodePort"])
        #expect(unsupported.type == "FieldValueNotSupported")
        #expect(unsupported.message == #"Unsupported value: "Foo": supported values: "ClusterIP", "NodePort""#)
        #expect(APIError.Cause.typeInvalid("f", 3, "must be a string").type == "FieldValueTypeInvalid")
    }

    @Test func causesComposeIntoAnInvalidStatus() {
        let one = APIError.invalid(group: "", kind: "ConfigMap", name: "Bad_Name",
                                   causes: [.invalid("metadata.name", "Bad_Name", "bad")])
        #expect(one.code == 422)
        #expect(one.message == #"ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": bad"#)
    }
}
