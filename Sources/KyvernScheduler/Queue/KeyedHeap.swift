/// A binary heap whose elements can be found, replaced and removed by key in O(log n).
///
/// The scheduling queue needs both priority order (pop the most urgent pod) and keyed access
/// (a pod updated or deleted while it waits), which neither a plain heap nor a dictionary gives.
struct KeyedHeap<Element: Sendable>: Sendable {
    private var items: [(key: String, element: Element)] = []
    private var positions: [String: Int] = [:]
    private let less: @Sendable (Element, Element) -> Bool

    init(less: @escaping @Sendable (Element, Element) -> Bool) {
        self.less = less
    }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var peek: Element? { items.first?.element }
    var elements: [Element] { items.map(\.element) }

    subscript(key: String) -> Element? { positions[key].map { items[$0].element } }

    func contains(_ key: String) -> Bool { positions[key] != nil }

    /// Inserts, or replaces the element with the same key and restores order.
    mutating func upsert(_ key: String, _ element: Element) {
        if let i = positions[key] {
            items[i].element = element
            if !siftUp(i) { siftDown(i) }
        } else {
            items.append((key, element))
            positions[key] = items.count - 1
            siftUp(items.count - 1)
        }
    }

    @discardableResult
    mutating func remove(_ key: String) -> Element? {
        guard let i = positions[key] else { return nil }
        let removed = items[i].element
        swapAt(i, items.count - 1)
        items.removeLast()
        positions[key] = nil
        if i < items.count, !siftUp(i) { siftDown(i) }
        return removed
    }

    mutating func popFirst() -> Element? {
        guard let key = items.first?.key else { return nil }
        return remove(key)
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        guard a != b else { return }
        items.swapAt(a, b)
        positions[items[a].key] = a
        positions[items[b].key] = b
    }

    @discardableResult
    private mutating func siftUp(_ start: Int) -> Bool {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(items[i].element, items[parent].element) else { break }
            swapAt(i, parent)
            i = parent
        }
        return i != start
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var best = i
            if left < items.count, less(items[left].element, items[best].element) { best = left }
            if right < items.count, less(items[right].element, items[best].element) { best = right }
            if best == i { return }
            swapAt(i, best)
            i = best
        }
    }
}
