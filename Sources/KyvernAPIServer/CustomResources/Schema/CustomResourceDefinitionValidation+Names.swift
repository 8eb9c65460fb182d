import KyvernAPI

extension CustomResourceDefinitionValidation {
    static func validateNames(_ names: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let plural = names["plural"]?.stringValue ?? ""
        let singular = names["singular"]?.stringValue ?? ""
        let kind = names["kind"]?.stringValue ?? ""
        let listKind = names["listKind"]?.stringValue ?? ""
        if !plural.isEmpty, case let e = NameValidation.isDNS1035Label(plural), !e.isEmpty {
            causes.append(.invalid(path + ".plural", .string(plural), e.joined(separator: ",")))
        }
        if !singular.isEmpty, case let e = NameValidation.isDNS1035Label(singular), !e.isEmpty {
            causes.append(.invalid(path + ".singular", .string(singular), e.joined(separator: ",")))
        }
        if !kind.isEmpty, case let e = NameValidation.isDNS1035Label(kind.lowercased()), !e.isEmpty {
            causes.append(.invalid(path + ".kind", .string(kind),
                                   "may have mixed case, but should otherwise match: " + e.joined(separator: ",")))
        }
        if !listKind.isEmpty, case let e = NameValidation.isDNS1035Label(listKind.lowercased()), !e.isEmpty {
            causes.append(.invalid(path + ".listKind", .string(listKind),
                                   "may have mixed case, but should otherwise match: " + e.joined(separator: ",")))
        }
        for (i, shortName) in (names["shortNames"]?.arrayValue ?? []).enumerated() {
            let s = shortName.stringValue ?? ""
            let e = NameValidation.isDNS1035Label(s)
            if !e.isEmpty { causes.append(.invalid(path + ".shortNames[\(i)]", .string(s), e.joined(separator: ","))) }
        }
        if !kind.isEmpty && kind == listKind {
            causes.append(.invalid(path + ".listKind", .string(listKind), "kind and listKind may not be the same"))
        }
        for (i, category) in (names["categories"]?.arrayValue ?? []).enumerated() {
            let s = category.stringValue ?? ""
            let e = NameValidation.isDNS1035Label(s)
            if !e.isEmpty { causes.append(.invalid(path + ".categories[\(i)]", .string(s), e.joined(separator: ","))) }
        }
        return causes
    }
}
