/// Runs `count` calls of `body` in batches of 1, 2, 4, … (upstream's `slowStartBatch`).
///
/// A quota or admission failure then costs one failed request instead of hundreds; the first
/// error stops further batches. Returns how many calls succeeded and the first error.
func slowStartBatch(count: Int, initialBatchSize: Int = 1,
                    _ body: @escaping @Sendable (Int) async throws -> Void) async -> (successes: Int, error: (any Error)?) {
    var remaining = count
    var successes = 0
    var index = 0
    var batchSize = min(remaining, initialBatchSize)
    while batchSize > 0 {
        let start = index
        let size = batchSize
        let errors: [any Error] = await withTaskGroup(of: (any Error)?.self) { group in
            for i in start..<(start + size) {
                group.addTask {
                    do { try await body(i); return nil } catch { return error }
                }
            }
            var errors: [any Error] = []
            for await case let error? in group { errors.append(error) }
            return errors
        }
        successes += size - errors.count
        if let first = errors.first { return (successes, first) }
        index += size
        remaining -= size
        batchSize = min(2 * batchSize, remaining)
    }
    return (successes, nil)
}
