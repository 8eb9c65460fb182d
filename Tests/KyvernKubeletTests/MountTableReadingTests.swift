import Testing
@testable import KyvernKubelet

@Suite struct MountTableReadingTests {
    /// /proc files report size 0; a reader trusting that stops after one page. A test process's
    /// memory map is well over a page, so it shows whether the whole file was read.
    @Test func procFilesAreReadToTheirEnd() throws {
        let maps = try #require(MountTable.readWhole("/proc/self/maps"))
        #expect(maps.utf8.count > 8192)
        #expect(maps.hasSuffix("\n"))
        let lines = maps.split(separator: "\n")
        #expect(lines.allSatisfy { $0.split(separator: " ", omittingEmptySubsequences: true).count >= 5 })
        #expect(MountTable.readWhole("/proc/self/no-such-file") == nil)
    }
}
