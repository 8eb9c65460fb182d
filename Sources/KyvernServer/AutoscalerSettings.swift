public import KyvernControllers

/// The HorizontalPodAutoscaler's period, tolerance and default scale-down window that
/// `kyvern server` and `kyvern controller-manager` take as flags, with upstream's defaults;
/// tests shorten them so a scale-down is seconds, not minutes.
public struct AutoscalerSettings: Sendable, Equatable {
    public var syncPeriod: Duration = .seconds(15)
    public var tolerance: Double = 0.1
    public var downscaleStabilization: Duration = .seconds(300)

    public init() {}

    public func apply(to options: inout ControllerManagerOptions) {
        options.horizontalPodAutoscalerSyncPeriod = syncPeriod
        options.horizontalPodAutoscalerTolerance = tolerance
        options.horizontalPodAutoscalerDownscaleStabilization = downscaleStabilization
    }
}
