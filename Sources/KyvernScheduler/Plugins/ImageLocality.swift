public import KyvernAPI

/// Prefers nodes that already hold the pod's images, weighted by image size and by how many
/// nodes hold them, so starting the pod needs less pulling.
public struct ImageLocality: PreScorePlugin, ScorePlugin {
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

    static let stateKey = "PreScoreImageLocality"

    /// The pod's images, normalized once per cycle (one entry per container).
    static func images(of pod: JSONValue) -> [String] {
        let containers = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
            + (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
        return containers.map { normalized($0["image"]?.stringValue ?? "") }
    }

    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        state.write(Self.stateKey, Self.images(of: pod))
        return .success
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        // No images on the node: the sum stays below the threshold, which scores 0.
        if node.images.isEmpty { return 0 }
        let images = state.read(Self.stateKey, as: [String].self) ?? Self.images(of: pod)
        var sum: Int64 = 0
        for image in images {
            guard let size = node.images[image], node.imageSpread.totalNodes > 0 else { continue }
            let spread = Double(node.imageSpread.nodesWithImage[image] ?? 0) / Double(node.imageSpread.totalNodes)
            sum += Int64(Double(size) * spread)
        }
        let maxThreshold = Self.maxContainerThreshold * Int64(images.count)
        guard maxThreshold > Self.minThreshold else { return 0 }
        let clamped = min(max(sum, Self.minThreshold), maxThreshold)
        return maxNodeScore * (clamped - Self.minThreshold) / (maxThreshold - Self.minThreshold)
    }
}
