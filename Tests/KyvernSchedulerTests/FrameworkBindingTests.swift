import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct FrameworkBindingTests {
    /// Records reserve/unreserve calls in the cycle state so the order can be checked.
    struct Recorder: ReservePlugin, PermitPlugin, BindPlugin {
        let name: String
        var reserveResult: Status = .success
        var permitResult: (Status, Duration) = (.success, .zero)
        var bindResult: Status = .success

        func log(_ state: inout CycleState, _ entry: String) {
            state.write("log", (state.read("log", as: [String].self) ?? []) + [entry])
        }
        func reserve(state: inout CycleState, pod: JSONValue, nodeName: String) -> Status {
            log(&state, "reserve \(name) \(nodeName)")
            return reserveResult
        }
        func unreserve(state: inout CycleState, pod: JSONValue, nodeName: String) {
            log(&state, "unreserve \(name)")
        }
        func permit(state: CycleState, pod: JSONValue, nodeName: String) -> (status: Status, timeout: Duration) {
            permitResult
        }
        func bind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status { bindResult }
    }

    @Test func failedReserveUnreservesAllInReverse() {
        let framework = Framework(plugins: [Recorder(name: "A"), Recorder(name: "B", reserveResult: .unschedulable("full")),
                                            Recorder(name: "C")])
        var state = CycleState()
        let status = framework.reserve(state: &state, pod: Fixtures.pod(), nodeName: "n1")
        #expect(status == Status(.unschedulable, ["full"], plugin: "B"))
        #expect(state.read("log", as: [String].self)
            == ["reserve A n1", "reserve B n1", "unreserve C", "unreserve B", "unreserve A"])
    }

    @Test func permitRejectsOrCollectsWaits() {
        let waiting = Framework(plugins: [Recorder(name: "A", permitResult: (Status(.wait), .seconds(5))),
                                          Recorder(name: "B")])
        let verdict = waiting.permit(state: CycleState(), pod: Fixtures.pod(), nodeName: "n1")
        #expect(verdict.status.code == .wait)
        #expect(verdict.waits == ["A": .seconds(5)])

        let rejecting = Framework(plugins: [Recorder(name: "A", permitResult: (Status(.wait), .seconds(5))),
                                            Recorder(name: "B", permitResult: (.unschedulable("denied"), .zero))])
        let rejected = rejecting.permit(state: CycleState(), pod: Fixtures.pod(), nodeName: "n1")
        #expect(rejected.status == Status(.unschedulable, ["denied"], plugin: "B"))
        #expect(rejected.waits.isEmpty)
    }

    @Test func firstNonSkippingBinderBinds() async {
        let framework = Framework(plugins: [Recorder(name: "A", bindResult: Status(.skip)), Recorder(name: "B"),
                                            Recorder(name: "C", bindResult: Status(.error, ["unused"]))])
        #expect(await framework.bind(state: CycleState(), pod: Fixtures.pod(), nodeName: "n1") == Status(.success, plugin: "B"))
        let none = Framework(plugins: [Recorder(name: "A", bindResult: Status(.skip))])
        #expect(await none.bind(state: CycleState(), pod: Fixtures.pod(), nodeName: "n1").code == .error)
    }
}
