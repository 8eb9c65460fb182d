/// Keys kept in byte order by binary insertion, so a list never sorts.
struct SortedKeys: Sendable {
    private(set) var keys: [String] = []

    private func insertionIndex(_ key: String) -> (Int, Bool) {
        var low = 0
        var high = keys.count
        let target = Array(key.utf8)
        while low < high {
            let mid = (low + high) / 2
            let cmp = SortedKeys.compare(keys[mid], target)
            if cmp == 0 { return (mid, true) }
            if cmp < 0 { low = mid + 1 } else { high = mid }
        }
        return (low, false)
    }

    static func compare(_ a: String, _ b: [UInt8]) -> Int {
        var a = a
        return a.withUTF8 { ab in
            b.withUnsafeBufferPointer { bb in
                let n = min(ab.count, bb.count)
                for i in 0..<n where ab[i] != bb[i] {
                    return ab[i] < bb[i] ? -1 : 1
                }
                return ab.count == bb.count ? 0 : (ab.count < bb.count ? -1 : 1)
            }
        }
    }

    mutating func insert(_ key: String) {
        let (index, found) = insertionIndex(key)
        if !found { keys.insert(key, at: index) }
    }

    mutating func remove(_ key: String) {
        let (index, found) = insertionIndex(key)
        if found { keys.remove(at: index) }
    }

    /// Index of the first key >= `key`.
    func lowerBound(_ key: String) -> Int {
        insertionIndex(key).0
    }
}
