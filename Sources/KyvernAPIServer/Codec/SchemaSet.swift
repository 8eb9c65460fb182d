import Foundation
import Synchronization
public import KyvernAPI

/// The structural schemas of the API's kinds, generated from the OpenAPI specification
/// (`scripts/generate-api.py` → `Resources/openapi/schemas.json`).
///
/// Used to refuse or drop unknown fields and wrongly typed values the way upstream's decoder does.
public final class SchemaSet: Sendable {
    public let definitions: [String: JSONValue]
    /// Per type reference, the fields managed-fields tracking fills into an object lacking them
    /// (derived from `definitions`, which never change, so computed once per type).
    let zeroPlans = Mutex<[String: ZeroObject.Plan]>([:])
    /// Per type reference, how structured merge treats it (see `TypeShapes`).
    let shapes = Mutex<[String: TypeShape]>([:])

    public init(definitions: [String: JSONValue]) {
        self.definitions = definitions
    }

    /// Loads the bundled schemas.
    public static func bundled() throws -> SchemaSet {
        let data = try BundledResources.data("schemas.json")
        guard case .object(let definitions) = try JSONValue.parse(Array(data)) else {
            throw APIError.internalError("schemas.json is not an object")
        }
        return SchemaSet(definitions: definitions)
    }
}

/// Files shipped inside the module (the OpenAPI documents and schemas).
enum BundledResources {
    static func url(_ name: String) throws -> URL {
        let url = Bundle.module.bundleURL.appendingPathComponent("openapi").appendingPathComponent(name)
        return url
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: url(name))
    }
}
