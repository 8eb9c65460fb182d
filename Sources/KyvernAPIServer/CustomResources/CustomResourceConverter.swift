import Foundation
import KyvernAPI

/// Shows stored custom objects at the version a request asks for. Objects are stored at the
/// version they were written in; with the `None` strategy only `apiVersion` changes, with
/// `Webhook` the definition's conversion webhook converts them (one ConversionReview per batch).
struct CustomResourceConverter: Sendable {
    /// Sends one ConversionReview to the webhook described by `clientConfig`; the answer's body.
    typealias Post = @Sendable (_ clientConfig: JSONValue, _ review: [UInt8]) async throws -> [UInt8]

    /// `group/version` objects are shown at.
    let desiredAPIVersion: String
    /// `spec.conversion.webhook.clientConfig` when the strategy is `Webhook`.
    let webhook: JSONValue?
    let kind: String
    let post: Post?
    var newUID: @Sendable () -> String = { UUID().uuidString.lowercased() }

    /// Whether any of `objects` is stored at another version.
    func needsConversion(_ objects: [JSONValue]) -> Bool {
        objects.contains { $0["apiVersion"]?.stringValue != desiredAPIVersion }
    }

    /// `objects` at the desired version, in order.
    func convert(_ objects: [JSONValue]) async throws -> [JSONValue] {
        let foreign = objects.indices.filter { objects[$0]["apiVersion"]?.stringValue != desiredAPIVersion }
        guard !foreign.isEmpty else { return objects }
        var result = objects
        guard let webhook, let post else {
            for index in foreign { result[index]["apiVersion"] = .string(desiredAPIVersion) }
            return result
        }
        let from = objects[foreign[0]]["apiVersion"]?.stringValue ?? ""
        let uid = newUID()
        let review: JSONValue = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "request": ["uid": .string(uid), "desiredAPIVersion": .string(desiredAPIVersion),
                        "objects": .array(foreign.map { objects[$0] })],
        ]
        // A plain error upstream (500, no reason): kubectl shows "Error from server: conversion webhook ...".
        let failure = { (message: String) in
            APIError(code: 500, reason: "",
                     message: "conversion webhook for \(Self.groupVersionKind(from, self.kind)) failed: \(message)")
        }
        let answer: JSONValue
        do {
            answer = try JSONValue.parse(try await post(webhook, review.serialized()))
        } catch let error as APIError {
            throw failure(error.message)
        } catch {
            throw failure("\(error)")
        }
        guard let response = answer["response"] else { throw failure("no response provided") }
        if response["uid"]?.stringValue != uid {
            throw failure("expected response uid \"\(uid)\", got \"\(response["uid"]?.stringValue ?? "")\"")
        }
        guard response[path: ["result", "status"]]?.stringValue == "Success" else {
            throw failure(response[path: ["result", "message"]]?.stringValue ?? "conversion failed")
        }
        let converted = response["convertedObjects"]?.arrayValue ?? []
        guard converted.count == foreign.count else {
            throw failure("expected \(foreign.count) converted objects, got \(converted.count)")
        }
        for (index, object) in zip(foreign, converted) {
            guard object["apiVersion"]?.stringValue == desiredAPIVersion else {
                throw failure("invalid converted object at index \(index): invalid apiVersion \"\(object["apiVersion"]?.stringValue ?? "")\", expected \"\(desiredAPIVersion)\"")
            }
            // The webhook may change only labels and annotations of the metadata.
            var kept = object
            var meta = objects[index]["metadata"] ?? [:]
            meta["labels"] = object[path: ["metadata", "labels"]]
            meta["annotations"] = object[path: ["metadata", "annotations"]]
            kept["metadata"] = meta
            result[index] = kept
        }
        return result
    }

    static func groupVersionKind(_ apiVersion: String, _ kind: String) -> String {
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        return parts.count == 2 ? "\(parts[0])/\(parts[1]), Kind=\(kind)" : "\(apiVersion), Kind=\(kind)"
    }
}
