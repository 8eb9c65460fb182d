import Foundation
import KyvernStore
import KyvernStoreSQLite

/// A directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("kyvern-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    var databasePath: String { path + "/store.db" }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a fresh store in a fresh directory; closes the store and removes the
/// directory afterwards.
func withFreshStore<T>(_ body: (SQLiteStore, TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let store = try SQLiteStore(path: directory.databasePath)
    do {
        let result = try await body(store, directory)
        try? await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}
