import Foundation
import Testing
@testable import KyvernDashboard

@Suite struct GeneratedAssetsTests {
    /// The compiled-in assets are the files under Web/ (run scripts/generate-dashboard-assets.py after editing them).
    @Test func theGeneratedSwiftMatchesTheWebSources() throws {
        let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/KyvernDashboard/Web")
        let sources = try FileManager.default.contentsOfDirectory(atPath: web.path).sorted()
        #expect(Set(DashboardAssetFiles.all.map(\.file)) == Set(sources), "a file under Web/ is not compiled in")
        for (file, text) in DashboardAssetFiles.all {
            var source = try String(contentsOf: web.appendingPathComponent(file), encoding: .utf8)
            while source.hasSuffix("\n") { source.removeLast() }
            #expect(text == source, "\(file) changed; run scripts/generate-dashboard-assets.py")
        }
    }
}
