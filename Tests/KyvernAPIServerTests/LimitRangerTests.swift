import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct LimitRangerTests {
    let item: JSONValue = ["type": "Container", "default": ["cpu": "200m"], "defaultRequest": ["cpu": "100m"],
                           "max": ["cpu": "1"], "min": ["memory": "32Mi"]]

    @Test func defaultsFillWhatIsUnsetAndAreNoted() {
        var container: JSONValue = ["name": "app", "resources": ["requests": ["memory": "64Mi"]]]
        let notes = ResourceHandler.applyDefaults(item, to: &container)
        #expect(container[path: ["resources", "requests", "cpu"]] == "100m")
        #expect(container[path: ["resources", "limits", "cpu"]] == "200m")
        #expect(container[path: ["resources", "requests", "memory"]] == "64Mi")
        #expect(notes == ["cpu request for container app", "cpu limit for container app"])
    }

    @Test func boundsAreEnforcedWithUpstreamsTexts() {
        let container: JSONValue = ["name": "app", "resources": ["requests": ["memory": "16Mi"], "limits": ["cpu": "2"]]]
        #expect(ResourceHandler.violations(item, container: container) == [
            "minimum memory usage per Container is 32Mi, but request is 16Mi",
            "maximum cpu usage per Container is 1, but limit is 2",
        ])
    }
}
