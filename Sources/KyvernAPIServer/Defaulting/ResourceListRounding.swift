import KyvernAPI

extension JSONValue {
    /// Rounds every quantity of the resource list member up to thousandths, as upstream's
    /// resource-list defaulting does; unparseable text is left for validation to refuse.
    mutating func roundResourceList(_ key: String) {
        guard case .object(var list)? = self[key] else { return }
        for (resource, quantity) in list {
            if let text = quantity.stringValue, let parsed = try? Quantity(parsing: text) {
                list[resource] = .string(parsed.roundedUp(toScale: -3).description)
            }
        }
        self[key] = .object(list)
    }
}
