import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("CustomResourceConverter")
struct CustomResourceConverterTests {
    let stored: [JSONValue] = [
        ["apiVersion": "stable.example.com/v1beta1", "kind": "CronTab", "metadata": ["name": "a", "uid": "1"], "spec": ["cron": "x"]],
        ["apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": ["name": "b"], "spec": ["schedule": "y"]],
    ]

    @Test func storedBytesGetTheRequestedAPIVersionSplicedIn() throws {
        let object: JSONValue = ["apiVersion": "stable.example.com/v2", "kind": "CronTab", "metadata": ["name": "a"],
                                 "spec": ["note": "\"quoted\" v2"]]
        let spliced = try #require(ResourceHandler.replacingAPIVersion(object.serialized(), with: "stable.example.com/v1"))
        var expected = object
        expected["apiVersion"] = "stable.example.com/v1"
        #expect(spliced == expected.serialized())
        #expect(ResourceHandler.replacingAPIVersion(Array(#"{"kind":"CronTab"}"#.utf8), with: "x/v1") == nil)
        #expect(ResourceHandler.replacingAPIVersion(Array(#"{"apiVersion":"a\"b"}"#.utf8), with: "x/v1") == nil)
    }

    @Test func withoutAWebhookOnlyTheAPIVersionChanges() async throws {
        let converter = CustomResourceConverter(desiredAPIVersion: "stable.example.com/v1", webhook: nil, kind: "CronTab", post: nil)
        #expect(converter.needsConversion(stored))
        let converted = try await converter.convert(stored)
        #expect(converted[0]["apiVersion"] == "stable.example.com/v1" && converted[0]["spec"] == ["cron": "x"])
        #expect(converted[1] == stored[1])
    }

    @Test func aWebhookConvertsOnlyWhatIsStoredAtAnotherVersionInOneReview() async throws {
        let reviews = Reviews()
        let converter = CustomResourceConverter(
            desiredAPIVersion: "stable.example.com/v1", webhook: ["url": "https://127.0.0.1:1/convert"], kind: "CronTab",
            post: { _, body in
                let review = try JSONValue.parse(body)
                await reviews.add(review)
                let objects = review[path: ["request", "objects"]]?.arrayValue ?? []
                let converted: [JSONValue] = objects.map { object in
                    var object = object
                    object["apiVersion"] = "stable.example.com/v1"
                    object["spec"] = ["schedule": object[path: ["spec", "cron"]] ?? .null]
                    object[path: ["metadata", "labels"]] = ["converted": "yes"]
                    object[path: ["metadata", "uid"]] = "changed"
                    return object
                }
                return JSONValue.object(["response": [
                    "uid": review[path: ["request", "uid"]] ?? .null, "result": ["status": "Success"],
                    "convertedObjects": .array(converted)]]).serialized()
            }, newUID: { "u-1" })
        let converted = try await converter.convert(stored)
        #expect(converted[0]["spec"] == ["schedule": "x"])
        #expect(converted[0][path: ["metadata", "labels"]] == ["converted": "yes"])
        #expect(converted[0][path: ["metadata", "uid"]] == "1", "the webhook may change labels and annotations only")
        #expect(converted[1] == stored[1])
        let sent = await reviews.all
        #expect(sent.count == 1)
        #expect(sent[0][path: ["request", "desiredAPIVersion"]] == "stable.example.com/v1")
        #expect(sent[0][path: ["request", "objects"]]?.arrayValue?.count == 1)
    }

    @Test func aFailedConversionIsAnInternalErrorNamingTheWebhook() async throws {
        let converter = CustomResourceConverter(
            desiredAPIVersion: "stable.example.com/v1", webhook: ["url": "https://127.0.0.1:1/convert"], kind: "CronTab",
            post: { _, _ in
                JSONValue.object(["response": ["uid": "u-1", "result": ["status": "Failure", "message": "cannot convert"]]]).serialized()
            }, newUID: { "u-1" })
        do {
            _ = try await converter.convert(stored)
            Issue.record("expected a failure")
        } catch let error as APIError {
            #expect(error.code == 500)
            #expect(error.message == "conversion webhook for stable.example.com/v1beta1, Kind=CronTab failed: cannot convert")
        }
    }

    actor Reviews {
        var all: [JSONValue] = []
        func add(_ review: JSONValue) { all.append(review) }
    }
}
