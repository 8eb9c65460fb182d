import Testing
@testable import KyvernRuntime

@Suite struct RuntimeVersionTests {
    @Test func nodeInfoStringJoinsNameAndVersion() {
        let version = RuntimeVersion(runtimeName: "runc", runtimeVersion: "1.1.5", runtimeAPIVersion: "1.0.2")
        #expect(version.nodeInfoString == "runc://1.1.5")
    }

    @Test func errorsNameWhatFailed() {
        #expect(RuntimeError.containerNotFound("abc").description == "container abc not found")
        #expect(RuntimeError.commandFailed(command: "runc start x", exitCode: 1, output: "no such container").description
                == "runc start x exited with 1: no such container")
    }
}
