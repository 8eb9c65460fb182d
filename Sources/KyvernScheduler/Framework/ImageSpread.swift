/// How widely each image is present across the snapshot's nodes.
///
/// ImageLocality discounts an image held by few nodes, so pods of one workload do not all
/// crowd onto the single node that happens to have their image.
public struct ImageSpread: Sendable, Hashable {
    public var totalNodes: Int = 0
    public var nodesWithImage: [String: Int] = [:]

    public init() {}

    public init(nodes: [NodeInfo]) {
        totalNodes = nodes.count
        for node in nodes {
            for name in node.images.keys { nodesWithImage[name, default: 0] += 1 }
        }
    }
}
