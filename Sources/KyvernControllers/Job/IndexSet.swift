/// A set of completion indexes in the interval text Jobs store them as: `"1,3-5,7"`
/// (`status.completedIndexes`, `status.failedIndexes`).
///
/// Kept as sorted distinct integers; the text form merges consecutive runs into ranges, as
/// upstream writes it, so the stored status matches byte for byte.
struct CompletionIndexes: Sendable, Equatable {
    private(set) var values: [Int] = []

    init() {}

    init<S: Sequence>(_ indexes: S) where S.Element == Int {
        values = Array(Set(indexes)).sorted()
    }

    /// Parses the interval text; malformed parts are skipped, and indexes at or above `limit`
    /// (a completions count lowered since) are dropped.
    init(parsing text: String?, limit: Int? = nil) {
        var found: [Int] = []
        for part in (text ?? "").split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).compactMap { Int($0) }
            guard let low = bounds.first else { continue }
            let high = bounds.count == 2 ? bounds[1] : low
            guard high >= low else { continue }
            for index in low...high where limit.map({ index < $0 }) ?? true { found.append(index) }
        }
        self.init(found)
    }

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    func contains(_ index: Int) -> Bool {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] == index { return true }
            if values[mid] < index { low = mid + 1 } else { high = mid }
        }
        return false
    }

    func union(_ other: CompletionIndexes) -> CompletionIndexes {
        CompletionIndexes(values + other.values)
    }

    /// `"0-2,5"`; empty for no indexes.
    var text: String {
        var parts: [String] = []
        var i = 0
        while i < values.count {
            var j = i
            while j + 1 < values.count && values[j + 1] == values[j] + 1 { j += 1 }
            parts.append(i == j ? "\(values[i])" : "\(values[i])-\(values[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
