/// The page, its script and its style, compiled into the binary (generated from `Web/` by
/// `scripts/generate-dashboard-assets.py`), so the dashboard needs no files beside `kyvern`.
public enum DashboardAssets {
    public struct Asset: Sendable {
        public var contentType: String
        public var text: String
    }

    /// The asset at a path below `/dashboard/` (`""` is the page).
    public static func asset(at path: String) -> Asset? {
        switch path {
        case "", "index.html": Asset(contentType: "text/html; charset=utf-8", text: DashboardAssetFiles.indexHTML)
        case "app.js": Asset(contentType: "text/javascript; charset=utf-8", text: DashboardAssetFiles.appJS)
        case "app.css": Asset(contentType: "text/css; charset=utf-8", text: DashboardAssetFiles.appCSS)
        default: nil
        }
    }
}
