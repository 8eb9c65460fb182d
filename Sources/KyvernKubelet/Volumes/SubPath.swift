import Foundation
import Glibc
import KyvernAPI
import KyvernRuntime

/// A volumeMount's `subPath` or `subPathExpr`, checked and made as upstream's kubelet does.
enum SubPath {
    /// The mount's sub-path (`subPathExpr` expanded against the container's environment), or nil.
    static func resolve(mount: JSONValue, containerName: String, environment: [EnvVar]) throws -> String? {
        let name = mount["name"]?.stringValue ?? ""
        var subPath = mount["subPath"]?.stringValue ?? ""
        if let expression = mount["subPathExpr"]?.stringValue, !expression.isEmpty {
            var values: [String: String] = [:]
            for variable in environment { values[variable.name] = variable.value }
            var missing = Set<String>()
            subPath = VariableExpansion.expand(expression) { key in
                guard let value = values[key], !value.isEmpty else {
                    missing.insert(key)
                    return ""
                }
                return value
            }
            if !missing.isEmpty {
                throw VolumeError(volumeName: name, message: "missing value for \(missing.sorted().joined(separator: ", "))")
            }
        }
        guard !subPath.isEmpty else { return nil }
        if subPath.hasPrefix("/") {
            throw VolumeError(volumeName: name, message: "error SubPath `\(subPath)` must not be an absolute path")
        }
        if subPath.split(separator: "/").contains("..") {
            throw VolumeError(volumeName: name, message: "unable to provision SubPath `\(subPath)`: must not contain '..'")
        }
        return subPath
    }

    /// The host path to bind: `subPath` inside `volumePath`, made as a directory (with the
    /// volume's mode) when missing, and refused when symlinks lead it out of the volume.
    static func prepare(_ subPath: String, in volumePath: String, mountName: String, containerName: String) throws -> String {
        let joined = volumePath + "/" + subPath
        if !FileManager.default.fileExists(atPath: joined) {
            let attributes = try? FileManager.default.attributesOfItem(atPath: MountTable.canonical(volumePath))
            let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue ?? 0o755
            do {
                try FileManager.default.createDirectory(atPath: joined, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: mode])
            } catch {
                throw VolumeError(volumeName: mountName,
                                  message: "failed to create subPath directory for volumeMount \"\(mountName)\" of container \"\(containerName)\"")
            }
        }
        let base = MountTable.canonical(volumePath)
        let resolved = MountTable.canonical(joined)
        guard resolved == base || resolved.hasPrefix(base == "/" ? "/" : base + "/") else {
            throw VolumeError(volumeName: mountName, message: "subpath \"\(resolved)\" not within volume path \"\(base)\"")
        }
        return resolved
    }
}
