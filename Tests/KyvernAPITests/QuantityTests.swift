import KyvernAPI
import Testing

@Suite struct QuantityTests {
    static func q(_ s: String) throws -> Quantity { try Quantity(parsing: s) }

    @Test("upstream spellings parse and serialize as upstream stores them", arguments: [
        ("100m", "100m"), ("128Mi", "128Mi"), ("1.5Gi", "1536Mi"), ("2e3", "2e3"), ("1E3", "1E3"),
        ("0.5", "500m"), ("+1", "+1"), ("1", "1"), ("1000", "1k"), ("1000m", "1"), ("1024Mi", "1Gi"),
        ("0", "0"), ("00", "0"), ("1Ki", "1Ki"), ("8Ki", "8Ki"), ("512", "512"), ("0.5Ki", "512"),
        ("1n", "1n"), ("0.1n", "1n"), ("1.5", "1500m"), ("10u", "10u"), ("12e-2", "120e-3"), ("Mi", "0"),
        ("1500", "1500"), ("1e6", "1e6"), ("100M", "100M"), ("1T", "1T"), ("2P", "2P"), ("3E", "3E"),
        ("1Ei", "1Ei"), ("-1", "-1"), ("-0.5", "-500m"), ("1.", "1."), ("5k", "5k"), ("5000k", "5M"),
        ("1.5e3", "1500"), ("1Pi", "1Pi"), ("1536Ki", "1536Ki"), ("1073741824", "1073741824"),
        ("-", "0"), ("+", "0"), (".", "0"), ("0.000000001", "1n"),
    ])
    func canonicalSpelling(input: String, stored: String) throws {
        #expect(try Self.q(input).description == stored)
    }

    @Test("canonical form ignores the parsed text", arguments: [
        ("1E3", "1e3"), ("+1", "1"), ("1024", "1024"), ("2e3", "2e3"), ("1Ki", "1Ki"), ("1536Mi", "1536Mi"),
    ])
    func canonicalForm(input: String, canonical: String) throws {
        #expect(try Self.q(input).canonical == canonical)
    }

    @Test("malformed text is refused with upstream's message", arguments: ["1.5.5", "12MB", "", "abc", "1e3.5", "1 ", "1KiB"])
    func formatWrong(input: String) {
        #expect(throws: QuantityError.formatWrong) { try Quantity(parsing: input) }
        #expect(QuantityError.formatWrong.description
            == "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    }

    @Test("unknown suffixes are refused as suffix errors", arguments: ["1mi", "1e", "1Kii", "5KM"])
    func badSuffix(input: String) {
        #expect(throws: QuantityError.suffix) { try Quantity(parsing: input) }
    }

    @Test("comparison is by value across spellings")
    func comparison() throws {
        #expect(try Self.q("1") == Self.q("1000m"))
        #expect(try Self.q("1Gi") == Self.q("1024Mi"))
        #expect(try Self.q("1k") == Self.q("1e3"))
        #expect(try Self.q("1Ki") > Self.q("1k"))
        #expect(try Self.q("500m") < Self.q("1"))
        #expect(try Self.q("-1") < Self.q("0"))
        #expect(try Self.q("-2") < Self.q("-1"))
        #expect(try Self.q("0.1") > Self.q("99m"))
        #expect(try Set([Self.q("1"), Self.q("1000m")]).count == 1)
    }

    @Test("sums and differences are exact")
    func arithmetic() throws {
        #expect(try (Self.q("100m") + Self.q("900m")) == Self.q("1"))
        #expect(try (Self.q("1Gi") + Self.q("512Mi")).description == "1536Mi")
        #expect(try (Self.q("1") - Self.q("1500m")) == Self.q("-500m"))
        #expect(try (Self.q("0") + Self.q("1Ki")).format == .binarySI)
    }

    @Test("scaled values round away from zero")
    func scaledValues() throws {
        #expect(try Self.q("100m").milliValue == 100)
        #expect(try Self.q("1.5").milliValue == 1500)
        #expect(try Self.q("100m").value == 1)
        #expect(try Self.q("128Mi").value == 134_217_728)
        #expect(try Self.q("1n").milliValue == 1)
        #expect(try Self.q("2").value == 2)
        #expect(try Self.q("1e30").value == Int64.max)
        #expect(Quantity(milli: 250).description == "250m")
        #expect(Quantity(3).description == "3")
    }

    @Test("binary values above int64 are capped; decimal ones are not")
    func caps() throws {
        #expect(try Self.q("8Ei").canonical == "9223372036854775807")
        #expect(try Self.q("1e30").canonical == "1e30")
        #expect(try Self.q("1000E").description == "1000E")
    }
}
