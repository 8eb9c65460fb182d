/// A set of field paths stored as a trie, as structured-merge-diff's `fieldpath.Set`: `members` are
/// the paths ending here, `children` the sets below each element. Children are never empty.
struct FieldSet: Hashable, Sendable {
    var members: Set<PathElement> = []
    var children: [PathElement: FieldSet] = [:]

    init() {}

    init(_ paths: [FieldPath]) {
        for path in paths { insert(path) }
    }

    var isEmpty: Bool { members.isEmpty && children.isEmpty }

    mutating func insert(_ path: FieldPath) {
        insert(path[...])
    }

    private mutating func insert(_ path: ArraySlice<PathElement>) {
        guard let first = path.first else { return }
        if path.count == 1 {
            members.insert(first)
        } else {
            children[first, default: FieldSet()].insert(path.dropFirst())
        }
    }

    func contains(_ path: FieldPath) -> Bool {
        var set = self
        for (i, element) in path.enumerated() {
            if i == path.count - 1 { return set.members.contains(element) }
            guard let child = set.children[element] else { return false }
            set = child
        }
        return false
    }

    /// Whether `element` is a member here or has members below it.
    func touches(_ element: PathElement) -> Bool {
        members.contains(element) || children[element] != nil
    }

    func union(_ other: FieldSet) -> FieldSet {
        var result = self
        result.members.formUnion(other.members)
        for (element, child) in other.children {
            result.children[element] = result.children[element].map { $0.union(child) } ?? child
        }
        return result
    }

    /// The paths of `self` that are not paths of `other` (upstream's `Difference`).
    func subtracting(_ other: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.members = members.subtracting(other.members)
        for (element, child) in children {
            let rest = other.children[element].map { child.subtracting($0) } ?? child
            if !rest.isEmpty { result.children[element] = rest }
        }
        return result
    }

    func intersection(_ other: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.members = members.intersection(other.members)
        for (element, child) in children {
            guard let theirs = other.children[element] else { continue }
            let common = child.intersection(theirs)
            if !common.isEmpty { result.children[element] = common }
        }
        return result
    }

    /// This set without `element` and everything below it.
    func removing(_ element: PathElement) -> FieldSet {
        var result = self
        result.members.remove(element)
        result.children[element] = nil
        return result
    }

    /// Every member path, in upstream's order (the order conflicts are listed in).
    var paths: [FieldPath] {
        var result: [FieldPath] = []
        collect(prefix: [], into: &result)
        return result
    }

    private func collect(prefix: FieldPath, into result: inout [FieldPath]) {
        let elements = Set(members).union(children.keys).sorted()
        for element in elements {
            if members.contains(element) { result.append(prefix + [element]) }
            children[element]?.collect(prefix: prefix + [element], into: &result)
        }
    }
}
