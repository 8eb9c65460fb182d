import Foundation
import KyvernAPI

/// The managed-fields bookkeeping every write does, and the `fieldManager` option it rests on.
extension ResourceHandler {
    /// Longest accepted `fieldManager`, as upstream.
    static let fieldManagerMaxLength = 128

    /// The request's manager: the `fieldManager` parameter, else the User-Agent up to its first '/'
    /// (printable characters only, at most 128 bytes), as upstream derives it.
    func managerName(_ request: ResourceRequest) -> String {
        if let manager = request.query["fieldManager"], !manager.isEmpty { return manager }
        let prefix = (request.userAgent ?? "").split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var result = ""
        for character in prefix.unicodeScalars where Self.isPrintable(character) {
            if result.utf8.count + String(character).utf8.count > Self.fieldManagerMaxLength { break }
            result.unicodeScalars.append(character)
        }
        return result
    }

    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// Checks `fieldManager` (and `force`, which only apply takes) as upstream validates the
    /// request's options: 422 naming `CreateOptions`, `UpdateOptions` or `PatchOptions`.
    func validateManagerOptions(_ request: ResourceRequest, options: String, isApply: Bool = false) throws {
        var causes: [APIError.Cause] = []
        let manager = request.query["fieldManager"] ?? ""
        if options == "PatchOptions" {
            if !isApply, request.query["force"] != nil {
                causes.append(.forbidden("force", "may not be specified for non-apply patch"))
            }
            if isApply, manager.isEmpty {
                causes.append(.required("fieldManager", "is required for apply patch"))
            }
        }
        if manager.utf8.count > Self.fieldManagerMaxLength {
            causes.append(.tooLong("fieldManager", maxBytes: Self.fieldManagerMaxLength))
        }
        for scalar in manager.unicodeScalars where !Self.isPrintable(scalar) {
            causes.append(.invalid("fieldManager", .string(manager), "invalid character \(Self.goUnicode(scalar))"))
        }
        if !causes.isEmpty {
            throw APIError.invalid(group: "meta.k8s.io", kind: options, name: "", causes: causes)
        }
    }

    /// Go's `%#U`: `U+0009`.
    private static func goUnicode(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    func fieldManager(_ request: ResourceRequest) -> FieldManager {
        let subresource = request.target.subresource
        let resetsStatus = subresource == nil && KindStrategy(info: request.info).hasStatusSubresource
        let customType = customVersion(request.info)?.applyType
        return FieldManager(schemas: pruner.schemas, info: request.info, subresource: subresource, resetsStatus: resetsStatus,
                            type: customType)
    }

    /// `new` with the `Update` entry of this request's manager recorded against `old` (nil on create).
    func recordUpdate(_ request: ResourceRequest, old: JSONValue?, new: JSONValue) -> JSONValue {
        fieldManager(request).update(old: old, new: new, manager: managerName(request), now: Timestamp.format(Date()))
    }

    /// Whether a request is a server-side apply (it records its own managed fields).
    func isApply(_ request: ResourceRequest) -> Bool {
        request.method == "PATCH" && PatchType(contentType: request.contentType) == .apply
    }
}
