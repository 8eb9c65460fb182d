import Synchronization

/// Volumes VolumeBinding reserved for pods whose binding is still in flight, by pod uid — the
/// part of upstream's assume cache that keeps the next pod from choosing a volume before the
/// informers show its new `claimRef`.
///
/// Shared by every copy of the plugin (a class behind a mutex) because Reserve and the Filter
/// of later pods run in different cycles.
final class VolumeAssumptions: Sendable {
    private let byPod = Mutex<[String: Set<String>]>([:])

    /// Volumes reserved by pods other than `pod`.
    func reserved(exceptPod pod: String) -> Set<String> {
        byPod.withLock { byPod in
            var names: Set<String> = []
            for (uid, volumes) in byPod where uid != pod { names.formUnion(volumes) }
            return names
        }
    }

    func assume(pod: String, volumes: Set<String>) {
        byPod.withLock { $0[pod] = volumes.isEmpty ? nil : volumes }
    }

    func forget(pod: String) {
        _ = byPod.withLock { $0.removeValue(forKey: pod) }
    }
}
