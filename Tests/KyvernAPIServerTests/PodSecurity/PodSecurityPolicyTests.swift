import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct PodSecurityPolicyTests {
    let prefix = "pod-security.kubernetes.io/"

    @Test func noLabelsMeansPrivilegedEverywhere() {
        let (policy, errors) = PodSecurityPolicy.from(labels: [:])
        #expect(errors.isEmpty)
        #expect(policy.isFullyPrivileged)
    }

    @Test func warnFollowsAStricterEnforceLevelAndItsVersion() {
        let (policy, errors) = PodSecurityPolicy.from(labels: [prefix + "enforce": "restricted", prefix + "enforce-version": "v1.30"])
        #expect(errors.isEmpty)
        #expect(policy.enforce.description == "restricted:v1.30")
        #expect(policy.warn.description == "restricted:v1.30")
        #expect(policy.audit.description == "privileged:latest")
    }

    @Test func anExplicitWarnLevelIsKept() {
        let (policy, _) = PodSecurityPolicy.from(labels: [prefix + "enforce": "restricted", prefix + "warn": "baseline"])
        #expect(policy.warn.level == .baseline)
    }

    @Test func invalidValuesAreReportedAsUpstreamWordsThem() {
        let (policy, errors) = PodSecurityPolicy.from(labels: [prefix + "enforce": "strict", prefix + "warn": "loud",
                                                               prefix + "audit-version": "1.25"])
        #expect(policy.enforce.level == .restricted)  // fails closed
        #expect(policy.warn.level == .privileged)     // fails open
        let messages = Set(errors.map { "\($0.field): \($0.message)" })
        #expect(messages == [
            "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted",
            "metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"loud\": must be one of privileged, baseline, restricted",
            "metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: \"1.25\": must be \"latest\" or \"v1.x\"",
        ])
    }

    @Test func versionsParseLikeUpstream() {
        #expect(PodSecurityVersion.parse("latest") == .latest)
        #expect(PodSecurityVersion.parse("v1.36") == .minor(36))
        #expect(PodSecurityVersion.parse("v1.0") == .minor(0))
        #expect(PodSecurityVersion.parse("v1.07") == nil)
        #expect(PodSecurityVersion.parse("v2.1") == nil)
        #expect(PodSecurityVersion.parse("v1.") == nil)
    }

    @Test func onlyATighterEnforceLevelChecksExistingPods() {
        let latest = { (level: PodSecurityLevel) in PodSecurityLevelVersion(level: level, version: .latest) }
        #expect(PodSecurityAdmission.tightensEnforce(latest(.restricted), old: latest(.baseline)))
        #expect(PodSecurityAdmission.tightensEnforce(latest(.baseline), old: latest(.privileged)))
        #expect(!PodSecurityAdmission.tightensEnforce(latest(.baseline), old: latest(.restricted)))
        #expect(!PodSecurityAdmission.tightensEnforce(latest(.restricted), old: latest(.restricted)))
        #expect(!PodSecurityAdmission.tightensEnforce(latest(.privileged), old: latest(.restricted)))
        #expect(PodSecurityAdmission.tightensEnforce(.init(level: .baseline, version: .minor(30)), old: latest(.restricted)))
    }
}
