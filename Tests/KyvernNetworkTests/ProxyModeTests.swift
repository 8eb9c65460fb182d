import Foundation
import Testing
@testable import KyvernNetwork

@Suite("Proxy mode detection")
struct ProxyModeTests {
    @Test("auto takes nftables where an executable nft is on the path, iptables otherwise")
    func detect() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-mode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(ProxyMode.detect(searchPath: dir.path) == .iptables)

        let nft = dir.appendingPathComponent("nft")
        try Data("#!/bin/sh\n".utf8).write(to: nft)
        #expect(ProxyMode.detect(searchPath: dir.path) == .iptables, "not executable yet")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: nft.path)
        #expect(ProxyMode.detect(searchPath: "/nonexistent:" + dir.path) == .nftables)
    }
}
