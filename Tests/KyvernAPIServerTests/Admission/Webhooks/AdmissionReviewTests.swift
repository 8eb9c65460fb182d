import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct AdmissionReviewTests {
    static let attributes = AdmissionAttributes(
        operation: .update, info: ResourceCatalog.find(group: "", version: "v1", resource: "pods")!, subresource: "status",
        namespace: "ns", name: "p", object: ["metadata": ["name": "p"]], oldObject: ["metadata": ["name": "p"]],
        user: UserInfo(name: "alice", uid: "u1", groups: ["devs"], extra: ["scope": ["a"]]), dryRun: true)

    @Test func theRequestCarriesWhatUpstreamSends() {
        let review = AdmissionReview.request(Self.attributes, uid: "abc", version: "v1")
        #expect(review["apiVersion"] == "admission.k8s.io/v1")
        #expect(review["kind"] == "AdmissionReview")
        let request = review["request"]
        #expect(request?["uid"] == "abc")
        #expect(request?["operation"] == "UPDATE")
        #expect(request?["subResource"] == "status")
        #expect(request?["requestSubResource"] == "status")
        #expect(request?["namespace"] == "ns")
        #expect(request?["dryRun"] == true)
        #expect(request?["userInfo"] == ["username": "alice", "uid": "u1", "groups": ["devs"], "extra": ["scope": ["a"]]])
        #expect(request?["options"] == ["apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions"])
        #expect(request?["resource"] == ["group": "", "version": "v1", "resource": "pods"])
    }

    @Test func answersAreCheckedAsUpstreamChecksThem() {
        func verify(_ answer: JSONValue, mutating: Bool = true) -> String? {
            do {
                _ = try AdmissionReview.verify(answer.serialized(), uid: "abc", version: "v1", mutating: mutating)
                return nil
            } catch {
                return error.message
            }
        }
        let good: JSONValue = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                               "response": ["uid": "abc", "allowed": true]]
        #expect(verify(good) == nil)
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"]) == "webhook response was absent")
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": ["uid": "x"]])
            == "expected response.uid=\"abc\", got \"x\"")
        #expect(verify(["apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "response": ["uid": "abc"]])
            == "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview")
        var patchOnly = good
        patchOnly[path: ["response", "patch"]] = "W10="
        #expect(verify(patchOnly) == "webhook returned response.patch but not response.patchType")
        var mergePatch = patchOnly
        mergePatch[path: ["response", "patchType"]] = "MergePatch"
        #expect(verify(mergePatch) == "webhook returned invalid response.patchType of \"MergePatch\"")
    }
}
