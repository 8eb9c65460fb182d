public import KyvernAPI

/// Prefers nodes that already hold the pod's images, weighted by image size and by how many
/// nodes hold them, so starting the pod needs less pulling.
public struct ImageLocality: ScorePlugin {
    public let name = "ImageLocality"
    public init() {}

    static let mebibyte: Int64 = 1024 * 1024
    /// Below this the images are too small for locality to matter.
    static let minThreshold: Int64 = 23 * mebibyte
    /// Per container, above this more locality gains nothing.
    static let maxContainerThreshold: Int64 = 1000 * mebibyte

    /// An image without a tag means ":latest", as the runtime would pull it.
    static func normalized(_ image: String) -> String {
        let colon = image.lastIndex(of: ":")
        let slash = image.lastIndex(of: "/")
        switch (colon, slash) {
        case (nil, _): return image + ":latest"
        case let (c?, s?) where c < s: return image + ":latest"
        default: return image
        }
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        let containers = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
            + (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
        var sum: Int64 = 0
        for container in containers {
            let image = Self.normalized(container["image"]?.stringValue ?? "")
            guard let size = node.images[image], node.imageSpread.totalNodes > 0 else { continue }
            let spread = Double(node.imageSpread.nodesWithImage[image] ?? 0) / Double(node.imageSpread.totalNodes)
            sum += Int64(Double(size) * spread)
        }
        let maxThreshold = Self.maxContainerThreshold * Int64(containers.count)
        guard maxThreshold > Self.minThreshold else { return 0 }
        let clamped = min(max(sum, Self.minThreshold), maxThreshold)
        return maxNodeScore * (clamped - Self.minThreshold) / (maxThreshold - Self.minThreshold)
    }
}
