import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("CustomResourceDefinitionNames")
struct CustomResourceDefinitionNamesTests {
    let now = "2026-11-27T10:00:00Z"

    func condition(_ status: JSONValue, _ type: String) -> JSONValue? {
        (status["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }
    }

    @Test func aDefinitionAloneHasItsNamesAcceptedAndIsEstablished() throws {
        let crd = CustomResourceFixtures.definition(established: false)
        let status = CustomResourceDefinitionNames.status(of: crd, others: [], now: now)
        #expect(status["acceptedNames"] == crd[path: ["spec", "names"]])
        let names = try #require(condition(status, "NamesAccepted"))
        #expect(names["status"] == "True" && names["reason"] == "NoConflicts" && names["message"] == "no conflicts found")
        let established = try #require(condition(status, "Established"))
        #expect(established["status"] == "True" && established["reason"] == "InitialNamesAccepted")
        #expect(status["storedVersions"] == ["v1"])
    }

    @Test(arguments: [
        ("crontabs", "Other", ["o"], "PluralConflict", "\"crontabs\" is already in use"),
        ("others", "Other", ["ct"], "ShortNamesConflict", "\"ct\" is already in use"),
        ("others", "CronTab", ["o"], "KindConflict", "\"CronTab\" is already in use"),
    ])
    func aNameAnotherDefinitionOfTheGroupHoldsIsNotAccepted(plural: String, kind: String, short: [String],
                                                            reason: String, message: String) throws {
        let first = CustomResourceFixtures.definition()
        var second = CustomResourceFixtures.definition(plural: plural, kind: kind, shortNames: short, established: false)
        // Another definition (a renamed one may ask for a plural another holds), its own singular.
        second[path: ["metadata", "name"]] = "renamed.stable.example.com"
        second[path: ["spec", "names", "singular"]] = "renamed"
        let status = CustomResourceDefinitionNames.status(of: second, others: [first], now: now)
        let names = try #require(condition(status, "NamesAccepted"))
        #expect(names["status"] == "False" && names["reason"] == .string(reason) && names["message"] == .string(message))
        #expect(condition(status, "Established")?["status"] == "False")
        // What did not clash is accepted all the same.
        #expect(status[path: ["acceptedNames", "singular"]] == "renamed")
    }

    @Test func theSameNamesInAnotherGroupDoNotClash() throws {
        let first = CustomResourceFixtures.definition(group: "a.example.com")
        let second = CustomResourceFixtures.definition(group: "b.example.com", established: false)
        let status = CustomResourceDefinitionNames.status(of: second, others: [first], now: now)
        #expect(condition(status, "NamesAccepted")?["status"] == "True")
    }

    @Test func anEstablishedDefinitionKeepsItsAcceptedNamesWhenARenameClashes() throws {
        let first = CustomResourceFixtures.definition()
        var second = CustomResourceFixtures.definition(plural: "others", kind: "Other", shortNames: ["o"])
        second[path: ["spec", "names", "plural"]] = "crontabs"
        let status = CustomResourceDefinitionNames.status(of: second, others: [first], now: now)
        #expect(status[path: ["acceptedNames", "plural"]] == "others")
        #expect(condition(status, "Established")?["status"] == "True")
        #expect(condition(status, "NamesAccepted")?["reason"] == "PluralConflict")
    }

    @Test func aConditionKeepsItsTransitionTimeWhileItsStatusHolds() {
        var conditions: [JSONValue] = []
        CustomResourceDefinitionNames.set(&conditions, type: "X", status: "True", reason: "R", message: "m", now: "t1")
        CustomResourceDefinitionNames.set(&conditions, type: "X", status: "True", reason: "R2", message: "m2", now: "t2")
        #expect(conditions.count == 1 && conditions[0]["lastTransitionTime"] == "t1" && conditions[0]["reason"] == "R2")
        CustomResourceDefinitionNames.set(&conditions, type: "X", status: "False", reason: "R", message: "m", now: "t3")
        #expect(conditions[0]["lastTransitionTime"] == "t3")
    }
}
