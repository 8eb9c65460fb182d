/// Why a pod's volume cannot be set up or mounted, worded as upstream's kubelet words it.
public struct VolumeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pod's volume (or volumeMount) it concerns; empty when it concerns the pod as a whole.
    public var volumeName: String
    /// Upstream's message, e.g. `configmap "x" not found`.
    public var message: String

    public init(volumeName: String, message: String) {
        self.volumeName = volumeName
        self.message = message
    }

    public var description: String { message }

    /// The `FailedMount` event's message upstream records for a failed setUp.
    public var eventMessage: String { "MountVolume.SetUp failed for volume \"\(volumeName)\" : \(message)" }
}
