import Testing

@testable import KyvernKubelet

@Suite("Env $(VAR) expansion")
struct EnvExpansionTests {
    let values = ["A": "alpha", "B": "", "EMPTY": ""]

    func expand(_ input: String) -> String {
        VariableExpansion.expand(input) { values[$0] }
    }

    @Test func referencesAreReplacedAndUnknownOnesKept() {
        #expect(expand("$(A)-x") == "alpha-x")
        #expect(expand("pre$(A)$(A)post") == "prealphaalphapost")
        #expect(expand("$(B)|") == "|")
        #expect(expand("$(MISSING)") == "$(MISSING)")
        #expect(expand("$()") == "$()")
    }

    @Test func dollarDollarEscapesAndLoneDollarsStay() {
        #expect(expand("$$(A)") == "$(A)")
        #expect(expand("$$$(A)") == "$alpha")
        #expect(expand("$$$$") == "$$")
        #expect(expand("a$") == "a$")
        #expect(expand("$x$(A)") == "$xalpha")
        #expect(expand("$(A") == "$(A")
        #expect(expand("$(A$(A)") == "$(A$(A)")
    }

    @Test func nonASCIISurvives() {
        #expect(expand("é$(A)ü") == "éalphaü")
    }
}
