/// The page, its script and its style, compiled into the binary (generated from `Web/` by
/// `scripts/generate-dashboard-assets.py`), so the dashboard needs no files beside `kyvern`.
public enum DashboardAssets {
    public struct Asset: Sendable {
        public var contentType: String
        public var text: String
    }

    /// The asset at a path below `/dashboard/` (`""` is the page).
    public static func asset(at path: String) -> Asset? {
        let file = path.isEmpty ? "index.html" : path
        guard let text = DashboardAssetFiles.all.first(where: { $0.file == file })?.text else { return nil }
        let type = switch file.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        default: "text/javascript; charset=utf-8"
        }
        return Asset(contentType: type, text: text)
    }
}
