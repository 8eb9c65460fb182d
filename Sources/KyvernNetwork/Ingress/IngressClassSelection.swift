package import KyvernAPI

/// Which Ingresses this controller serves: those of a class whose `spec.controller` is
/// ``IngressClassSelection/controllerName`` (the built-in `kyvern` class among them), those with
/// the legacy `kubernetes.io/ingress.class` annotation naming such a class, and those with no
/// class at all while one of ours is the cluster's default.
package struct IngressClassSelection: Hashable, Sendable {
    package static let controllerName = "kyvern.io/ingress"
    package static let className = "kyvern"
    package static let defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"
    static let legacyClassAnnotation = "kubernetes.io/ingress.class"

    package var ourClasses: Set<String>
    package var servesClassless: Bool

    package init(ourClasses: Set<String>, servesClassless: Bool) {
        self.ourClasses = ourClasses
        self.servesClassless = servesClassless
    }

    /// From the cluster's IngressClasses. Before the built-in class is seen (it is created at start)
    /// it counts as ours and the default.
    package init(classes: [JSONValue]) {
        var ours: Set<String> = []
        var ourDefault = false
        var otherDefault = false
        var sawBuiltin = false
        for ingressClass in classes {
            guard let name = ingressClass.name else { continue }
            let isDefault = ingressClass.annotations[Self.defaultClassAnnotation] == "true"
            if ingressClass[path: ["spec", "controller"]]?.stringValue == Self.controllerName {
                ours.insert(name)
                ourDefault = ourDefault || isDefault
            } else {
                otherDefault = otherDefault || isDefault
            }
            if name == Self.className { sawBuiltin = true }
        }
        if !sawBuiltin {
            ours.insert(Self.className)
            ourDefault = true
        }
        self.init(ourClasses: ours, servesClassless: ourDefault && !otherDefault)
    }

    package func serves(_ ingress: JSONValue) -> Bool {
        if let name = ingress[path: ["spec", "ingressClassName"]]?.stringValue { return ourClasses.contains(name) }
        if let legacy = ingress.annotations[Self.legacyClassAnnotation] { return ourClasses.contains(legacy) }
        return servesClassless
    }

    /// The built-in class, created at start-up.
    package static var builtinClass: JSONValue {
        [
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": [
                "name": .string(className),
                "annotations": [.init(stringLiteral: defaultClassAnnotation): "true"],
            ],
            "spec": ["controller": .string(controllerName)],
        ]
    }
}
