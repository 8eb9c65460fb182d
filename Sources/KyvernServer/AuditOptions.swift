import KyvernAPIServer
import Logging

/// `--audit-policy-file` and `--audit-log-path` (both needed, as upstream's log backend), with
/// the rotation limits `--audit-log-maxsize` (MB), `--audit-log-maxbackup` and `--audit-log-maxage` (days).
public struct AuditOptions: Sendable, Hashable {
    public var policyFile: String?
    public var logPath: String?
    public var maxSizeMB = 100
    public var maxBackups = 0
    public var maxAgeDays = 0

    public init(policyFile: String? = nil, logPath: String? = nil, maxSizeMB: Int = 100, maxBackups: Int = 0,
                maxAgeDays: Int = 0) {
        self.policyFile = policyFile
        self.logPath = logPath
        self.maxSizeMB = maxSizeMB
        self.maxBackups = maxBackups
        self.maxAgeDays = maxAgeDays
    }

    /// The audit log, or nil when not configured; throws for a policy that does not validate.
    func open(logger: Logger) throws -> AuditLog? {
        guard let policyFile, let logPath, !policyFile.isEmpty, !logPath.isEmpty else {
            if policyFile != nil || logPath != nil {
                logger.warning("audit logging needs both --audit-policy-file and --audit-log-path; requests are not audited")
            }
            return nil
        }
        let log = try AuditLog.open(policyFile: policyFile, logPath: logPath, maxSizeMB: maxSizeMB,
                                    maxBackups: maxBackups, maxAgeDays: maxAgeDays, logger: logger)
        logger.info("audit logging", metadata: ["policy": "\(policyFile)", "path": "\(logPath)"])
        return log
    }
}
