import Foundation
import Testing
@testable import KyvernDashboard

@Suite struct GeneratedAssetsTests {
    /// The compiled-in assets are the files under Web/ (run scripts/generate-dashboard-assets.py after editing them).
    @Test func theGeneratedSwiftMatchesTheWebSources() throws {
        let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/KyvernDashboard/Web")
        for (file, text) in [("index.html", DashboardAssetFiles.indexHTML), ("app.js", DashboardAssetFiles.appJS),
                             ("app.css", DashboardAssetFiles.appCSS)] {
            var source = try String(contentsOf: web.appendingPathComponent(file), encoding: .utf8)
            while source.hasSuffix("\n") { source.removeLast() }
            #expect(text == source, "\(file) changed; run scripts/generate-dashboard-assets.py")
        }
    }
}
