import Foundation
import KyvernAPI
import Testing

@Suite struct JSONSerializerTests {
    @Test func scalars() {
        #expect(JSONValue.null.jsonString == "null")
        #expect(JSONValue.bool(true).jsonString == "true")
        #expect(JSONValue.bool(false).jsonString == "false")
        #expect(JSONValue.string("").jsonString == "\"\"")
        #expect(JSONValue.array([]).jsonString == "[]")
        #expect(JSONValue.object([:]).jsonString == "{}")
    }

    @Test(arguments: [
        (Int64(0), "0"), (7, "7"), (10, "10"), (-1, "-1"), (1234567890, "1234567890"),
        (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808"),
    ])
    func integers(value: Int64, text: String) {
        #expect(JSONValue.int(value).jsonString == text)
    }

    /// Go's float64 encoding: plain notation inside [1e-6, 1e21), exponent notation outside.
    @Test(arguments: [
        (1.5, "1.5"), (1.0, "1"), (-2.5, "-2.5"), (0.1, "0.1"), (100.0, "100"),
        (123456.789, "123456.789"), (0.000001, "0.000001"), (0.0000015, "0.0000015"),
        (1e20, "100000000000000000000"), (1.2345678901234568e20, "123456789012345680000"),
        (1e21, "1e+21"), (1.5e21, "1.5e+21"), (1e100, "1e+100"),
        (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (1e-10, "1e-10"), (2.5e-100, "2.5e-100"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (.leastNonzeroMagnitude, "5e-324"),
        (0.0, "0"), (-0.0, "-0"), (9007199254740993.0, "9007199254740992"),
        (.nan, "null"), (.infinity, "null"), (-.infinity, "null"),
    ])
    func doubles(value: Double, text: String) {
        #expect(JSONValue.double(value).jsonString == text)
    }

    @Test func doublesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bits = generator.next() as UInt64
            let d = Double(bitPattern: bits)
            guard d.isFinite else { continue }
            let back = try JSONValue.parse(JSONValue.double(d).serialized())
            switch back {
            case .double(let e): #expect(e == d)
            case .int(let i): #expect(Double(i) == d)
            default: Issue.record("\(d) came back as \(back)")
            }
        }
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("a/b", #""a/b""#),
        ("\n\r\t", #""\n\r\t""#),
        ("\u{8}\u{C}", #""\b\f""#),
        ("\u{0}\u{1}\u{1f}", #""\u0000\u0001\u001f""#),
        ("\u{7f}", "\"\u{7f}\""),
        ("<script>&amp;</script>", #""\u003cscript\u003e\u0026amp;\u003c/script\u003e""#),
        ("line\u{2028}para\u{2029}", #""line\u2028para\u2029""#),
        ("é中😀\u{2027}\u{202A}", "\"é中😀\u{2027}\u{202A}\""),
        ("x\u{e2}", "\"x\u{e2}\""),
    ])
    func stringEscaping(value: String, text: String) {
        #expect(JSONValue.string(value).jsonString == text)
    }

    @Test func envelopeKeysFirstThenSorted() {
        let value: JSONValue = [
            "zeta": 1, "status": [:], "alpha": 2, "spec": [:], "metadata": [:], "kind": "Pod",
            "apiVersion": "v1", "Zed": 3, "data": 4,
        ]
        #expect(value.jsonString
            == #"{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{},"status":{},"Zed":3,"alpha":2,"data":4,"zeta":1}"#)
    }

    @Test func nestedObjectsAreOrderedToo() {
        let value: JSONValue = ["metadata": ["name": "x", "labels": ["b": "2", "a": "1"], "annotations": [:]],
                                "kind": "ConfigMap"]
        #expect(value.jsonString
            == #"{"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"a":"1","b":"2"},"name":"x"}}"#)
    }

    @Test func manyKeysAreSorted() throws {
        var object: [String: JSONValue] = [:]
        for i in (0..<300).shuffled() { object["key-\(String(format: "%03d", i))"] = .int(Int64(i)) }
        let text = JSONValue.object(object).jsonString
        let expected = "{" + (0..<300).map { "\"key-\(String(format: "%03d", $0))\":\($0)" }.joined(separator: ",") + "}"
        #expect(text == expected)
    }

    @Test func arraysKeepTheirOrderAndAreCompact() {
        let value: JSONValue = [3, "b", [1, [2]], ["k": nil], 1.5, false]
        #expect(value.jsonString == #"[3,"b",[1,[2]],{"k":null},1.5,false]"#)
    }

    @Test func serializeIntoAppends() {
        var out = Array("prefix:".utf8)
        JSONValue.array([1, 2]).serialize(into: &out)
        JSONValue.string("x").serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"prefix:[1,2]"x""#)
    }

    @Test func serializedMatchesJSONString() {
        let value: JSONValue = ["a": ["b": [1, 2.25, "c\n"]]]
        #expect(String(decoding: value.serialized(), as: UTF8.self) == value.jsonString)
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"], "generation": 3],
            "spec": ["replicas": 3, "paused": false, "ratio": 0.5, "template": ["spec": ["containers": [
                ["name": "c", "image": "nginx:1.27", "args": ["-c", "echo \"<hi>\" & sleep 1\n"]],
            ]]], "nothing": nil],
            "status": ["conditions": [], "observedGeneration": -1, "big": 1e300, "tiny": 1e-300],
        ]
        let bytes = value.serialized()
        #expect(try JSONValue.parse(bytes) == value)
        #expect(try JSONValue.parse(bytes).serialized() == bytes)
    }

    @Test func largeStringsWithEscapesAtTheEdges() throws {
        let s = "\"" + String(repeating: "abc<", count: 10_000) + "\n"
        let value = JSONValue.string(s)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    /// Go's escaping, written the slow and obvious way, to check the fast path against.
    static func referenceEscape(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    @Test func randomStringsEscapeLikeTheReferenceAndRoundTrip() throws {
        let alphabet: [Unicode.Scalar] = ["a", "b", "Z", "0", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\u{1}",
                                          "\u{1f}", "\u{7f}", "é", "中", "😀", "\u{2028}", "\u{2029}", "\u{2027}", "\u{e2}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<40, using: &generator)
            var s = ""
            for _ in 0..<length {
                // Mostly plain letters, so long plain runs and the 8-byte path are exercised.
                s.unicodeScalars.append(Int.random(in: 0..<4, using: &generator) == 0
                    ? alphabet.randomElement(using: &generator)! : "x")
            }
            let value = JSONValue.string(s)
            #expect(value.jsonString == Self.referenceEscape(s))
            #expect(try JSONValue.parse(value.serialized()) == value)
        }
    }
}
