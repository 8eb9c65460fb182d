import Foundation
import KyvernAPI

extension ResourceHandler {
    func handleSubresource(_ subresource: String, _ request: inout ResourceRequest) async throws -> Reply {
        let info = request.info
        guard let name = request.target.name, let sub = info.subresource(subresource) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let verb: String
        switch request.method {
        case "GET": verb = "get"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "POST": verb = "create"
        default: verb = ""
        }
        guard sub.verbs.contains(verb) else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        switch subresource {
        case "status": return try await status(&request, name: name, verb: verb)
        case "scale": return try await scale(&request, name: name, verb: verb)
        case "binding":
            try await admitSubresourceCreateWebhooks(request, kind: ("", "v1", "Binding"))
            return try await bind(&request, podName: name)
        case "eviction":
            try await admitSubresourceCreateWebhooks(request, kind: ("policy", "v1", "Eviction"))
            return try await evict(&request, podName: name)
        case "finalize": return try await finalizeNamespace(&request, name: name)
        case "approval": return try await approval(&request, name: name, verb: verb)
        case "token": return try await createToken(&request, serviceAccount: name)
        default:
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }

    // MARK: status

    func status(_ request: inout ResourceRequest, name: String, verb: String) async throws -> Reply {
        let info = request.info
        switch verb {
        case "get":
            return try await get(request, name: name)
        case "update":
            var object = try decodeObject(&request, kind: info.kind, groupVersion: info.groupVersion, definition: info.definition)
            try checkName(object, name: name)
            try reconcileNamespace(&object, request)
            ObjectDefaults.apply(to: &object, info: info)
            let candidate = object
            return try await writeUpdate(request, name: name) { current in
                try mergeForUpdate(new: candidate, current: current, info: info, statusOnly: true)
            }
        default:
            guard let patchType = PatchType(contentType: request.contentType) else {
                throw APIError.unsupportedMediaType(request.contentType ?? "")
            }
            if patchType == .apply { return try await applyPatch(&request, name: name) }
            return try await applyingPatch(&request, type: patchType, as: info,
                                           write: { try await writeUpdate($0, name: name, transform: $1) }) { patched, current in
                var object = patched
                ObjectDefaults.apply(to: &object, info: info)
                return try mergeForUpdate(new: object, current: current, info: info, statusOnly: true)
            }
        }
    }

    // MARK: scale

    /// The autoscaling/v1 Scale view of an object with `spec.replicas`, or of a custom resource
    /// with the paths its definition names.
    static func scaleObject(of object: JSONValue, paths: CustomResourceScalePaths? = nil) -> JSONValue {
        let meta = object["metadata"] ?? [:]
        var scaleMeta: JSONValue = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = meta[field] { scaleMeta[field] = value }
        }
        if let paths { return CustomResourceScale.scaleObject(of: object, paths: paths, metadata: scaleMeta) }
        var status: JSONValue = ["replicas": object[path: ["status", "replicas"]] ?? 0]
        if let selector = object[path: ["spec", "selector"]] {
            // ReplicationControllers have a plain map; the others a LabelSelector.
            if selector["matchLabels"] != nil || selector["matchExpressions"] != nil {
                if let parsed = try? LabelSelector(labelSelector: selector) { status["selector"] = .string(parsed.description) }
            } else if let map = selector.objectValue {
                status["selector"] = .string(map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }.joined(separator: ","))
            }
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scaleMeta,
            "spec": ["replicas": object[path: ["spec", "replicas"]] ?? 1],
            "status": status,
        ]
    }

    func scale(_ request: inout ResourceRequest, name: String, verb: String) async throws -> Reply {
        let info = request.info
        let paths = customVersion(info)?.scale
        if verb == "get" {
            try await storage.syncCache()
            guard let object = await cache.get(key: key(request, name: name)) else {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            }
            return .object(Self.scaleObject(of: object.object, paths: paths))
        }
        let body = request.body
        let contentType = request.contentType
        let patchType = verb == "patch" ? PatchType(contentType: contentType) : nil
        if verb == "patch" && patchType == nil { throw APIError.unsupportedMediaType(contentType ?? "") }
        let reply = try await writeUpdate(request, name: name) { current in
            let currentScale = Self.scaleObject(of: current, paths: paths)
            var scale: JSONValue
            if let patchType {
                scale = try PatchApplier.apply(patchType, patch: body, to: currentScale,
                                               definition: "io.k8s.api.autoscaling.v1.Scale", schemas: pruner.schemas)
            } else {
                scale = try BodyDecoder.decode(body, contentType: contentType, what: "Scale")
                if let kind = scale["kind"]?.stringValue, kind != "Scale" {
                    throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (Scale)")
                }
            }
            if let rv = scale[path: ["metadata", "resourceVersion"]]?.stringValue, !rv.isEmpty,
               rv != current[path: ["metadata", "resourceVersion"]]?.stringValue {
                throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                        reason: "the object has been modified; please apply your changes to the latest version and try again")
            }
            // A Scale without spec.replicas means 0, as upstream decodes it (Go clients omit a 0).
            let given = scale[path: ["spec", "replicas"]]
            guard let replicas = given == nil || given == .null ? 0 : given?.intValue else {
                throw APIError.invalid(group: "autoscaling", kind: "Scale", name: name,
                                       causes: [.init(type: "FieldValueRequired", message: "Required value", field: "spec.replicas")])
            }
            if replicas < 0 {
                throw APIError.invalid(group: "autoscaling", kind: "Scale", name: name,
                                       causes: [.init(type: "FieldValueInvalid",
                                                      message: "Invalid value: \(replicas): must be greater than or equal to 0",
                                                      field: "spec.replicas")])
            }
            var updated = current
            let replicasPath = paths.map { CustomResourceScale.fieldPath($0.specReplicasPath) } ?? ["spec", "replicas"]
            if updated[path: replicasPath]?.intValue != replicas {
                updated[path: replicasPath] = .int(replicas)
                let generation = current[path: ["metadata", "generation"]]?.intValue ?? 0
                updated[path: ["metadata", "generation"]] = .int(generation + 1)
            }
            return updated
        }
        guard case .json(_, let bytes, _) = reply else { return reply }
        return .object(Self.scaleObject(of: try JSONValue.parse(bytes), paths: paths))
    }

    // MARK: pods/binding and pods/eviction

    func bind(_ request: inout ResourceRequest, podName: String) async throws -> Reply {
        let info = request.info
        let binding = try BodyDecoder.decode(request.body, contentType: request.contentType, what: "Binding")
        if let bodyName = binding[path: ["metadata", "name"]]?.stringValue, !bodyName.isEmpty, bodyName != podName {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(podName))")
        }
        return try await bindPod(request, info: info, podName: podName, binding: binding)
    }

    /// Assigns a pod to a node, once: the scheduler's write.
    func bindPod(_ request: ResourceRequest, info: ResourceInfo, podName: String, binding: JSONValue) async throws -> Reply {
        guard let node = binding[path: ["target", "name"]]?.stringValue, !node.isEmpty else {
            throw APIError.invalid(group: "", kind: "Binding", name: podName,
                                   causes: [.init(type: "FieldValueRequired", message: "Required value", field: "target.name")])
        }
        let podKey = StorageKeys.key(info, namespace: request.namespace, name: podName)
        if request.dryRun { return .object(Self.successStatus(info: info, object: [:]), status: 201) }
        _ = try await storage.update(info, key: podKey, name: podName) { current in
            try PodBinding.bind(current, podName: podName, node: node, uid: binding[path: ["metadata", "uid"]]?.stringValue)
        }
        return .object(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201], status: 201)
    }

    /// Evicts a pod unless a PodDisruptionBudget that selects it allows no disruption (429).
    func evict(_ request: inout ResourceRequest, podName: String) async throws -> Reply {
        let info = request.info
        let eviction = try BodyDecoder.decode(request.body, contentType: request.contentType, what: "Eviction")
        if let bodyName = eviction[path: ["metadata", "name"]]?.stringValue, !bodyName.isEmpty, bodyName != podName {
            throw APIError.badRequest("name in URL does not match name in Eviction object")
        }
        try await admitNodeRestriction(request, .create, name: podName, object: eviction)
        try await storage.syncCache()
        let podKey = StorageKeys.key(info, namespace: request.namespace, name: podName)
        guard let pod = await cache.get(key: podKey) else {
            throw APIError.notFound(group: "", resource: "pods", name: podName)
        }
        let phase = pod.object[path: ["status", "phase"]]?.stringValue
        if phase != "Succeeded" && phase != "Failed",
           let pdbInfo = ResourceCatalog.find(group: "policy", version: "v1", resource: "poddisruptionbudgets") {
            try await EvictionBudget.charge(pod: pod.object, storage: storage, cache: cache, info: pdbInfo,
                                            namespace: request.namespace, dryRun: request.dryRun)
        }
        if request.dryRun { return .object(Self.successStatus(info: info, object: pod.object), status: 201) }
        // An eviction is a delete with the eviction's options: a pod on a node gets its grace period.
        let options = eviction["deleteOptions"]
        _ = try await deleteObject(info, key: podKey, name: podName, options: DeleteOptions(
            gracePeriodSeconds: options?["gracePeriodSeconds"]?.intValue,
            preconditionUID: options?[path: ["preconditions", "uid"]]?.stringValue,
            preconditionResourceVersion: options?[path: ["preconditions", "resourceVersion"]]?.stringValue))
        return .object(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201], status: 201)
    }
}
