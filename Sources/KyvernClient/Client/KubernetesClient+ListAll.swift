public import KyvernAPI

extension KubernetesClient {
    /// Every object of a list, fetched in pages of `options.limit` (500 when unset) by following
    /// `metadata.continue`, returned as one `*List` whose `metadata.resourceVersion` is the
    /// snapshot all pages were read at (a watch can start from it).
    ///
    /// Paging keeps each response small on a large cluster. If the continue token expires before
    /// the last page (410), the whole list is read again in one request, as upstream's pager does,
    /// since the pages already read belong to a snapshot that can no longer be completed.
    public func listAll(_ ref: ResourceRef, namespace: String? = nil,
                        options: ListOptions = ListOptions()) async throws -> JSONValue {
        var pageOptions = options
        pageOptions.limit = options.limit.flatMap { $0 > 0 ? $0 : nil } ?? 500
        pageOptions.continueToken = nil
        var first = try await list(ref, namespace: namespace, options: pageOptions)
        var items = first["items"]?.arrayValue ?? []
        var token = first[path: ["metadata", "continue"]]?.stringValue ?? ""
        while !token.isEmpty {
            try Task.checkCancellation()
            var next = pageOptions
            next.continueToken = token
            // A continue token carries its own snapshot; resourceVersion must not accompany it.
            next.resourceVersion = nil
            next.resourceVersionMatch = nil
            let page: JSONValue
            do {
                page = try await list(ref, namespace: namespace, options: next)
            } catch let error as APIError where error.code == 410 {
                var whole = options
                whole.limit = nil
                whole.continueToken = nil
                return try await list(ref, namespace: namespace, options: whole)
            }
            items += page["items"]?.arrayValue ?? []
            token = page[path: ["metadata", "continue"]]?.stringValue ?? ""
        }
        first["items"] = .array(items)
        first[path: ["metadata", "continue"]] = nil
        first[path: ["metadata", "remainingItemCount"]] = nil
        return first
    }
}
