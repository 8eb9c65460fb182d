import Foundation
import KyvernAPI
import Testing

@Suite struct JSONValueCodableTests {
    struct Wrapper: Codable, Equatable {
        var name: String
        var raw: JSONValue
        var optional: JSONValue?
    }

    @Test func decodesEveryKindOfValue() throws {
        let text = #"{"n":null,"t":true,"f":false,"i":42,"neg":-7,"d":1.5,"s":"x","a":[1,"two",[3]],"o":{"k":{}}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == [
            "n": nil, "t": true, "f": false, "i": 42, "neg": -7, "d": 1.5, "s": "x",
            "a": [1, "two", [3]], "o": ["k": [:]],
        ])
    }

    @Test func integersStayIntegersAndBooleansStayBooleans() throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data("[1,0,true,2.5,9223372036854775807]".utf8))
        #expect(value == [.int(1), .int(0), .bool(true), .double(2.5), .int(Int64.max)])
    }

    @Test func encodeThenDecodeRoundTrips() throws {
        let value: JSONValue = ["list": [1, -2, 3.25, "s", nil, false], "nested": ["deep": ["x": "y"]]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        // And the encoder's bytes are JSON our own parser reads back the same.
        #expect(try JSONValue.parse(Array(data)) == value)
    }

    @Test func worksInsideCodableTypes() throws {
        let wrapper = Wrapper(name: "w", raw: ["replicas": 3, "labels": ["a": "b"]], optional: nil)
        let data = try JSONEncoder().encode(wrapper)
        #expect(try JSONDecoder().decode(Wrapper.self, from: data) == wrapper)
        let withNull = try JSONDecoder().decode(Wrapper.self, from: Data(#"{"name":"n","raw":null}"#.utf8))
        #expect(withNull.raw == .null)
        #expect(withNull.optional == nil)
    }
}
