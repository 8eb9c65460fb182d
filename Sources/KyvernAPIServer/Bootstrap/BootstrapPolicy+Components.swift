/// Roles and bindings for the node and network components' own identities: the kubelet TLS
/// bootstrap (a join token may only ask for a node client certificate, which csrapproving then
/// approves) and the cluster DNS server acting as `system:coredns`. Names and rules follow
/// upstream's bootstrap policy; the bindings are the ones kubeadm creates, named for Kyvern.
extension BootstrapPolicy {
    static let componentClusterRoles: [Role] = [
        Role(name: "system:node-bootstrapper", rules: [
            rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
        ]),
        Role(name: "system:certificates.k8s.io:certificatesigningrequests:nodeclient", rules: [
            rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/nodeclient"]),
        ]),
        Role(name: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", rules: [
            rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/selfnodeclient"]),
        ]),
        // A node may have its own Ingress controller's certificate auto-approved (kyvern.io/ingress-client).
        Role(name: "kyvern:certificates:selfnodeingress", rules: [
            rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/selfnodeingress"]),
        ]),
        Role(name: "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", rules: [
            rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/kube-apiserver-client-kubelet"]),
        ]),
        // What CoreDNS's ClusterRole grants; Kyvern's DNS server reads only Services and EndpointSlices.
        Role(name: "system:coredns", rules: [
            rule(["list", "watch"], [""], ["endpoints", "services", "pods", "namespaces"]),
            rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        // Each node's NetworkPolicy controller (with the proxy on the server's node, as the node
        // elsewhere) resolves policies against every pod and namespace.
        Role(name: "kyvern:network-policy", rules: [
            rule(["list", "watch"], [""], ["pods", "namespaces"]),
            rule(["list", "watch"], ["networking.k8s.io"], ["networkpolicies"]),
        ]),
        // The built-in Ingress controller: what an ingress controller's ClusterRole grants.
        Role(name: "system:kyvern-ingress", rules: [
            rule(["get", "list", "watch"], [""], ["services", "secrets", "nodes"]),
            rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
            rule(["get", "list", "watch"], ["networking.k8s.io"], ["ingresses"]),
            rule(["get", "list", "watch", "create"], ["networking.k8s.io"], ["ingressclasses"]),
            rule(["update", "patch"], ["networking.k8s.io"], ["ingresses/status"]),
            rule(["create", "patch"], ["", "events.k8s.io"], ["events"]),
        ]),
    ]

    static let componentClusterRoleBindings: [Binding] = [
        // A join token's holder may ask for a node client certificate, and have it approved.
        Binding(name: "kyvern:kubelet-bootstrap", role: "system:node-bootstrapper",
                subjects: [("Group", "system:bootstrappers", "")]),
        Binding(name: "kyvern:node-autoapprove-bootstrap",
                role: "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
                subjects: [("Group", "system:bootstrappers", "")]),
        // A node may renew its own certificate.
        Binding(name: "kyvern:node-autoapprove-certificate-rotation",
                role: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                subjects: [("Group", "system:nodes", "")]),
        Binding(name: "system:coredns", role: "system:coredns", subjects: [("User", "system:coredns", "")]),
        Binding(name: "kyvern:network-policy", role: "kyvern:network-policy",
                subjects: [("User", "system:kube-proxy", ""), ("Group", "system:nodes", "")]),
        // The server node's Ingress controller, and each joined node's (system:kyvern-ingress:<node>).
        Binding(name: "system:kyvern-ingress", role: "system:kyvern-ingress",
                subjects: [("User", "system:kyvern-ingress", ""), ("Group", "system:kyvern-ingresses", "")]),
        Binding(name: "kyvern:node-autoapprove-ingress-certificate", role: "kyvern:certificates:selfnodeingress",
                subjects: [("Group", "system:nodes", "")]),
    ]
}
