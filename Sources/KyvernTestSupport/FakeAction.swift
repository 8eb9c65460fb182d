public import KyvernAPI

extension FakeClient {
    /// One call made to the fake, recorded in order, so controller tests can assert what a
    /// reconcile did (and did not do).
    public struct Action: Sendable, Hashable, CustomStringConvertible {
        /// get, list, watch, create, update, patch, delete.
        public var verb: String
        /// Plural resource name, e.g. "pods".
        public var resource: String
        /// "status", "binding", "eviction", or nil for the object itself.
        public var subresource: String?
        /// As the call named it (nil: all namespaces or cluster-scoped).
        public var namespace: String?
        /// nil for list and watch.
        public var name: String?
        /// What the call sent: the object (create, update), the patch, the subresource body.
        public var body: JSONValue?

        /// An action to compare recorded ones against.
        public init(verb: String, resource: String, subresource: String? = nil, namespace: String? = nil,
                    name: String? = nil, body: JSONValue? = nil) {
            self.verb = verb
            self.resource = resource
            self.subresource = subresource
            self.namespace = namespace
            self.name = name
            self.body = body
        }

        /// Reads and watches do not change anything.
        public var isWrite: Bool { !["get", "list", "watch"].contains(verb) }

        /// `create pods/binding ns/web-0`, `list pods ns`, `delete nodes n1`: compact for `#expect`.
        public var description: String {
            var text = verb + " " + resource + (subresource.map { "/" + $0 } ?? "")
            let target = [namespace, name].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
            if !target.isEmpty { text += " " + target }
            return text
        }
    }

    /// Injected behaviour: for calls matching `verb` and `resource`, `react` runs before the fake's
    /// own logic and can throw (the call fails), return a value (the call answers it, nothing is
    /// stored), or return nil (the call proceeds normally).
    struct Reactor: Sendable {
        var verb: String
        var resource: String?
        var remaining: Int?
        var react: @Sendable (Action) throws -> JSONValue?

        func matches(_ action: Action) -> Bool {
            (verb == "*" || verb == action.verb) && (resource == nil || resource == action.resource
                || resource == action.resource + "/" + (action.subresource ?? ""))
        }
    }
}
