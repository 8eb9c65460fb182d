import ArgumentParser
import KyvernServer

/// Upstream's HorizontalPodAutoscaler flags, shared by `kyvern server` and `kyvern controller-manager`.
struct AutoscalerFlags: ParsableArguments {
    @Option(name: .customLong("horizontal-pod-autoscaler-sync-period"),
            help: "How often each HorizontalPodAutoscaler is synced, e.g. 15s.")
    var syncPeriod: String = "15s"

    @Option(name: .customLong("horizontal-pod-autoscaler-tolerance"),
            help: "Smallest change of the usage ratio (from 1.0) that makes an autoscaler scale.")
    var tolerance: Double = 0.1

    @Option(name: .customLong("horizontal-pod-autoscaler-downscale-stabilization"),
            help: "How far back an autoscaler looks for a higher recommendation before scaling down, e.g. 5m.")
    var downscaleStabilization: String = "5m"

    func validate() throws {
        guard let period = ServerOptions.parseDuration(syncPeriod), period > .zero else {
            throw ValidationError("--horizontal-pod-autoscaler-sync-period: not a positive duration: \(syncPeriod)")
        }
        guard Self.window(downscaleStabilization) != nil else {
            throw ValidationError("--horizontal-pod-autoscaler-downscale-stabilization: not a duration: \(downscaleStabilization)")
        }
        _ = period
        guard tolerance >= 0 else {
            throw ValidationError("--horizontal-pod-autoscaler-tolerance must not be negative")
        }
    }

    var settings: AutoscalerSettings {
        var settings = AutoscalerSettings()
        settings.syncPeriod = ServerOptions.parseDuration(syncPeriod) ?? .seconds(15)
        settings.tolerance = tolerance
        settings.downscaleStabilization = Self.window(downscaleStabilization) ?? .seconds(300)
        return settings
    }

    /// A duration where zero is allowed (no stabilization), unlike the periods above.
    static func window(_ text: String) -> Duration? {
        if ["0", "0s", "0m", "0ms", "0h"].contains(text) { return .zero }
        return ServerOptions.parseDuration(text)
    }
}
