import Foundation

/// When this controller last saw each node prove it is alive: a new Lease `renewTime` or a new
/// Ready heartbeat. Times are this process's clock at the moment of observation (as upstream's
/// probe timestamps), so a node whose clock is skewed is judged by when its writes arrive.
actor NodeProbeRecords {
    struct Record: Sendable {
        var leaseRenewTime: String?
        var readyHeartbeat: String?
        var observedAt: Date
    }

    private var records: [String: Record] = [:]

    /// Records what `node` shows now and returns when it last changed. A node seen for the first
    /// time counts as heard from now, so a restarted controller grants every node a full grace period.
    func observe(node: String, leaseRenewTime: String?, readyHeartbeat: String?, now: Date) -> Date {
        guard var record = records[node] else {
            records[node] = Record(leaseRenewTime: leaseRenewTime, readyHeartbeat: readyHeartbeat, observedAt: now)
            return now
        }
        if (leaseRenewTime != nil && leaseRenewTime != record.leaseRenewTime)
            || (readyHeartbeat != nil && readyHeartbeat != record.readyHeartbeat) {
            record.leaseRenewTime = leaseRenewTime ?? record.leaseRenewTime
            record.readyHeartbeat = readyHeartbeat ?? record.readyHeartbeat
            record.observedAt = now
            records[node] = record
        }
        return record.observedAt
    }

    func forget(node: String) {
        records[node] = nil
    }
}
