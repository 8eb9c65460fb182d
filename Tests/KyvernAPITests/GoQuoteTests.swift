import KyvernAPI
import Testing

@Suite struct GoQuoteTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("", #""""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("a\\b", #""a\\b""#),
        ("\u{7}\u{8}\u{C}\n\r\t\u{B}", #""\a\b\f\n\r\t\v""#),
        ("\u{1}\u{1f}\u{7f}", #""\x01\x1f\x7f""#),
        ("é中😀", "\"é中😀\""),
        ("\u{a0}", #""\u00a0""#),
        ("\u{200b}", #""\u200b""#),
        ("\u{e000}", #""\ue000""#),
        ("\u{10ffff}", #""\U0010ffff""#),
        ("\u{85}", #""\u0085""#),
        ("<&>", #""<&>""#),
    ])
    func quotesAsGoDoes(value: String, quoted: String) {
        #expect(goQuote(value) == quoted)
    }
}
