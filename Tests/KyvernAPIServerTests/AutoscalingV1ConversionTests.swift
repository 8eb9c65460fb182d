import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct AutoscalingV1ConversionTests {
    static let rich: JSONValue = [
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": ["name": "web", "namespace": "default", "annotations": ["team": "a"]],
        "spec": [
            "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
            "minReplicas": 2, "maxReplicas": 9,
            "metrics": [
                ["type": "Pods", "pods": ["metric": ["name": "qps"], "target": ["type": "AverageValue", "averageValue": "10"]]],
                ["type": "External", "external": ["metric": ["name": "queue"], "target": ["type": "Value", "value": "30"]]],
                ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]],
            ],
            "behavior": ["scaleUp": ["stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                     "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]]]],
        ],
        "status": [
            "currentReplicas": 3, "desiredReplicas": 4,
            "currentMetrics": [
                ["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 72, "averageValue": "144m"]]],
            ],
            "conditions": [["type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"]],
        ],
    ]

    @Test func v2ToV1KeepsTheCPUTargetInItsFieldsAndTheRestInAnnotations() throws {
        let shown = AutoscalingV1Conversion.toV1(Self.rich)
        #expect(shown["apiVersion"] == "autoscaling/v1")
        #expect(shown[path: ["spec", "targetCPUUtilizationPercentage"]] == 60)
        #expect(shown[path: ["spec", "metrics"]] == nil)
        #expect(shown[path: ["status", "currentCPUUtilizationPercentage"]] == 72)
        let annotations = try #require(shown[path: ["metadata", "annotations"]])
        #expect(annotations["team"] == "a")
        let others = try JSONValue.parse(try #require(annotations[AutoscalingV1Conversion.metricsAnnotation]?.stringValue))
        #expect(others == [
            ["type": "Pods", "pods": ["metricName": "qps", "targetAverageValue": "10"]],
            ["type": "External", "external": ["metricName": "queue", "targetValue": "30"]],
        ])
        let behavior = try JSONValue.parse(try #require(annotations[AutoscalingV1Conversion.behaviorAnnotation]?.stringValue))
        #expect(behavior[path: ["ScaleUp", "Policies"]] == [["Type": "Percent", "Value": 100, "PeriodSeconds": 15]])
        #expect(behavior["ScaleDown"] == .null)
    }

    @Test func v1BackToV2RestoresEverythingAndStoresNoAnnotationsOfItsOwn() throws {
        let back = try AutoscalingV1Conversion.toV2(AutoscalingV1Conversion.toV1(Self.rich))
        // The CPU target comes back last, after the metrics the annotation carried, as upstream orders them.
        #expect(back["spec"] == Self.rich["spec"])
        #expect(back[path: ["status", "conditions"]] == Self.rich[path: ["status", "conditions"]])
        #expect(back[path: ["status", "currentMetrics"]] == Self.rich[path: ["status", "currentMetrics"]])
        #expect(back[path: ["metadata", "annotations"]] == ["team": "a"])
    }

    @Test func aV1ObjectWithoutATargetGetsTheImpliedEightyPercentUnlessItIsAnApplyConfiguration() throws {
        let bare: JSONValue = ["apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                               "metadata": ["name": "x"], "spec": ["maxReplicas": 3]]
        let full = try AutoscalingV1Conversion.toV2(bare)
        #expect(full[path: ["spec", "metrics"]] == [["type": "Resource", "resource": ["name": "cpu",
                                                      "target": ["type": "Utilization", "averageUtilization": 80]]]])
        let partial = try AutoscalingV1Conversion.toV2(bare, partial: true)
        #expect(partial[path: ["spec", "metrics"]] == nil)
        #expect(partial[path: ["metadata", "annotations"]] == nil)
    }

    @Test func behaviorAnnotationKeysAreReadWithoutRegardToCase() throws {
        let object: JSONValue = ["apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                                 "metadata": ["name": "x", "annotations": [
                                     AutoscalingV1Conversion.behaviorAnnotation:
                                         #"{"scaleDown":{"stabilizationWindowSeconds":30,"SelectPolicy":"Min","Policies":null},"ScaleUp":null}"#]],
                                 "spec": ["maxReplicas": 3, "targetCPUUtilizationPercentage": 50]]
        let converted = try AutoscalingV1Conversion.toV2(object)
        #expect(converted[path: ["spec", "behavior"]] == ["scaleDown": ["stabilizationWindowSeconds": 30, "selectPolicy": "Min"]])
        let broken: JSONValue = ["metadata": ["annotations": [AutoscalingV1Conversion.metricsAnnotation: "{"]], "spec": [:]]
        #expect(throws: APIError.self) { try AutoscalingV1Conversion.toV2(broken) }
    }
}
