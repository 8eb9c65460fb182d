@testable import KyvernRuntimeCRI
import Testing

@Suite struct CRIEndpointTests {
    @Test func unixURLAndBarePath() throws {
        #expect(try CRIEndpoint(parsing: "unix:///run/containerd/containerd.sock").socketPath == "/run/containerd/containerd.sock")
        #expect(try CRIEndpoint(parsing: "/run/crio/crio.sock").socketPath == "/run/crio/crio.sock")
        #expect(CRIEndpoint.containerdDefault.description == "unix:///run/containerd/containerd.sock")
    }

    @Test func tcpAndRelativePathsAreRefused() {
        #expect(throws: CRIEndpointError.self) { try CRIEndpoint(parsing: "tcp://127.0.0.1:1234") }
        #expect(throws: CRIEndpointError.self) { try CRIEndpoint(parsing: "unix://relative.sock") }
        #expect(throws: CRIEndpointError.self) { try CRIEndpoint(parsing: "containerd.sock") }
    }
}
