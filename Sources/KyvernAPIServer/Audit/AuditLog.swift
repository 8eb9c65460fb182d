package import Foundation
package import Logging

/// Upstream's audit logging, configured by `--audit-policy-file` and `--audit-log-*`: the policy
/// deciding what each request logs and the sink writing the events.
package struct AuditLog: Sendable {
    package let policy: AuditPolicy
    package let sink: AuditSink

    package init(policy: AuditPolicy, sink: AuditSink) {
        self.policy = policy
        self.sink = sink
    }

    /// Reads and validates the policy (a bad one stops the server, naming the field) and opens the
    /// log. `maxSizeMB` 0 means lumberjack's default of 100; `maxAgeDays` 0 keeps backups forever.
    package static func open(policyFile: String, logPath: String, maxSizeMB: Int, maxBackups: Int, maxAgeDays: Int,
                             logger: Logger) throws -> AuditLog {
        let policy: AuditPolicy
        do {
            policy = try AuditPolicy.load(path: policyFile)
        } catch let error as AuditPolicyError {
            throw AuditPolicyError(field: "", "invalid audit policy file \(policyFile): \(error)")
        }
        let sink = AuditSink(path: logPath, maxSize: (maxSizeMB > 0 ? maxSizeMB : 100) * 1024 * 1024,
                             maxBackups: maxBackups, maxAge: maxAgeDays > 0 ? Double(maxAgeDays) * 86_400 : nil,
                             logger: logger)
        return AuditLog(policy: policy, sink: sink)
    }
}
