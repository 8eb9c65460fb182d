public import KyvernAPI

extension NodeSelectorTerm {
    /// Whether `node` satisfies the term.
    public func matches(_ node: NodeInfo) -> Bool {
        matches(name: node.name, labels: node.labels)
    }
}
