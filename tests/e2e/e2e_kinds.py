"""What the server must serve, and one ordinary minimal manifest per kind.

The expected table is written out by hand from the group versions issue 2 names
(core/v1, apps/v1, batch/v1, autoscaling/v2, coordination.k8s.io/v1,
discovery.k8s.io/v1, events.k8s.io/v1, policy/v1, scheduling.k8s.io/v1,
storage.k8s.io/v1, node.k8s.io/v1, and networking.k8s.io/v1, which `kubectl apply --prune` needs) as upstream Kubernetes 1.36 serves them:
resource, kind, scope, short names, verbs and categories.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")  # no deletecollection


@dataclass(frozen=True)
class Kind:
    group: str  # "" for core
    version: str
    resource: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    # subresources the issue requires (status, scale, binding, eviction); the server may serve more
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def kubectl_name(self) -> str:
        """Fully qualified resource name for kubectl (resource.version.group)."""
        return f"{self.resource}.{self.version}.{self.group}" if self.group else self.resource

    @property
    def name_prefix(self) -> str:
        """What `kubectl get -o name` prints before the slash."""
        return f"{self.kind.lower()}.{self.group}" if self.group else self.kind.lower()

    def base_path(self, namespace: str | None = None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            return f"{root}/namespaces/{namespace}/{self.resource}"
        return f"{root}/{self.resource}"

    def item_path(self, name: str, namespace: str | None = None) -> str:
        return f"{self.base_path(namespace)}/{name}"


_ALL = ("all",)

EXPECTED_KINDS: tuple[Kind, ...] = (
    # core/v1
    Kind("", "v1", "bindings", "Binding", True, verbs=("create",)),
    Kind("", "v1", "componentstatuses", "ComponentStatus", False, ("cs",), verbs=("get", "list")),
    Kind("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    Kind("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    Kind("", "v1", "events", "Event", True, ("ev",)),
    Kind("", "v1", "limitranges", "LimitRange", True, ("limits",)),
    Kind("", "v1", "namespaces", "Namespace", False, ("ns",), verbs=NS_VERBS, subresources=("status",)),
    Kind("", "v1", "nodes", "Node", False, ("no",), subresources=("status",)),
    Kind("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), subresources=("status",)),
    Kind("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",), subresources=("status",)),
    Kind("", "v1", "pods", "Pod", True, ("po",), categories=_ALL,
         subresources=("binding", "eviction", "status")),
    Kind("", "v1", "podtemplates", "PodTemplate", True),
    Kind("", "v1", "replicationcontrollers", "ReplicationController", True, ("rc",), categories=_ALL,
         subresources=("scale", "status")),
    Kind("", "v1", "resourcequotas", "ResourceQuota", True, ("quota",), subresources=("status",)),
    Kind("", "v1", "secrets", "Secret", True),
    Kind("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    Kind("", "v1", "services", "Service", True, ("svc",), categories=_ALL, subresources=("status",)),
    # apps/v1
    Kind("apps", "v1", "controllerrevisions", "ControllerRevision", True),
    Kind("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), categories=_ALL, subresources=("status",)),
    Kind("apps", "v1", "deployments", "Deployment", True, ("deploy",), categories=_ALL,
         subresources=("scale", "status")),
    Kind("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), categories=_ALL,
         subresources=("scale", "status")),
    Kind("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), categories=_ALL,
         subresources=("scale", "status")),
    # batch/v1
    Kind("batch", "v1", "cronjobs", "CronJob", True, ("cj",), categories=_ALL, subresources=("status",)),
    Kind("batch", "v1", "jobs", "Job", True, categories=_ALL, subresources=("status",)),
    # autoscaling/v2
    Kind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",),
         categories=_ALL, subresources=("status",)),
    # coordination.k8s.io/v1
    Kind("coordination.k8s.io", "v1", "leases", "Lease", True),
    # discovery.k8s.io/v1
    Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    # events.k8s.io/v1
    Kind("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
    # networking.k8s.io/v1
    Kind("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    Kind("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), subresources=("status",)),
    Kind("networking.k8s.io", "v1", "ipaddresses", "IPAddress", False, ("ip",)),
    Kind("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
    Kind("networking.k8s.io", "v1", "servicecidrs", "ServiceCIDR", False, subresources=("status",)),
    # policy/v1
    Kind("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), subresources=("status",)),
    # scheduling.k8s.io/v1
    Kind("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, ("pc",)),
    # storage.k8s.io/v1
    Kind("storage.k8s.io", "v1", "csidrivers", "CSIDriver", False),
    Kind("storage.k8s.io", "v1", "csinodes", "CSINode", False),
    Kind("storage.k8s.io", "v1", "csistoragecapacities", "CSIStorageCapacity", True),
    Kind("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
    Kind("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", False, subresources=("status",)),
    Kind("storage.k8s.io", "v1", "volumeattributesclasses", "VolumeAttributesClass", False, ("vac",)),
    # node.k8s.io/v1
    Kind("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False),
)

EXPECTED_GROUP_VERSIONS = (
    "v1", "apps/v1", "batch/v1", "autoscaling/v2", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
    "events.k8s.io/v1", "policy/v1", "scheduling.k8s.io/v1", "storage.k8s.io/v1", "node.k8s.io/v1",
    "networking.k8s.io/v1",
)

BY_KEY = {k.key: k for k in EXPECTED_KINDS}

# Kinds that are not ordinary stored objects: Binding is create-only (a pod subresource),
# ComponentStatus is get/list only. Both are covered by their own tests.
CRUD_KINDS = tuple(k for k in EXPECTED_KINDS if k.resource not in ("bindings", "componentstatuses"))


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _pod_spec() -> dict:
    return {"containers": [{"name": "app", "image": "registry.example/busybox:1.36", "command": ["sleep", "3600"]}]}


def _template(labels: dict) -> dict:
    return {"metadata": {"labels": dict(labels)}, "spec": _pod_spec()}


def manifest(kind: Kind, name: str, namespace: str | None) -> dict:
    """An ordinary, valid, minimal manifest of `kind` as a user would write it."""
    meta: dict = {"name": name, "labels": {"e2e": "crud"}}
    if kind.namespaced:
        meta["namespace"] = namespace
    obj: dict = {"apiVersion": kind.group_version, "kind": kind.kind, "metadata": meta}
    sel = {"app": name}
    r = kind.key
    if r == "configmaps":
        obj["data"] = {"greeting": "hello", "config.yaml": "a: 1\n"}
    elif r == "secrets":
        obj["type"] = "Opaque"
        obj["data"] = {"password": b64("s3cr3t")}
    elif r == "serviceaccounts":
        pass
    elif r == "services":
        obj["spec"] = {"selector": sel, "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}
    elif r == "endpoints":
        obj["subsets"] = [{"addresses": [{"ip": "10.244.1.5"}], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]
    elif r == "events":
        obj.update({
            "involvedObject": {"kind": "Pod", "name": "some-pod", "namespace": namespace, "apiVersion": "v1"},
            "reason": "Started", "message": "Started container app", "type": "Normal",
            "source": {"component": "e2e"},
            "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:00:00Z", "count": 1,
        })
    elif r == "limitranges":
        obj["spec"] = {"limits": [{"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}]}
    elif r == "namespaces":
        pass
    elif r == "nodes":
        obj["spec"] = {"podCIDR": "10.244.7.0/24", "podCIDRs": ["10.244.7.0/24"]}
    elif r == "persistentvolumeclaims":
        obj["spec"] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    elif r == "persistentvolumes":
        obj["spec"] = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                       "persistentVolumeReclaimPolicy": "Retain", "hostPath": {"path": f"/tmp/kyvern-e2e/{name}"}}
    elif r == "pods":
        obj["spec"] = _pod_spec()
    elif r == "podtemplates":
        obj["template"] = _template(sel)
    elif r == "replicationcontrollers":
        obj["spec"] = {"replicas": 1, "selector": sel, "template": _template(sel)}
    elif r == "resourcequotas":
        obj["spec"] = {"hard": {"pods": "10", "configmaps": "20"}}
    elif r == "controllerrevisions.apps":
        obj["revision"] = 1
        obj["data"] = {"spec": {"template": {"metadata": {"labels": sel}}}}
    elif r in ("daemonsets.apps", "deployments.apps", "replicasets.apps"):
        obj["spec"] = {"selector": {"matchLabels": sel}, "template": _template(sel)}
        if r != "daemonsets.apps":
            obj["spec"]["replicas"] = 1
    elif r == "statefulsets.apps":
        obj["spec"] = {"replicas": 1, "serviceName": name, "selector": {"matchLabels": sel}, "template": _template(sel)}
    elif r == "jobs.batch":
        t = _template({"job": name})
        t["spec"]["restartPolicy"] = "Never"
        obj["spec"] = {"backoffLimit": 2, "template": t}
    elif r == "cronjobs.batch":
        t = _template({"job": name})
        t["spec"]["restartPolicy"] = "OnFailure"
        obj["spec"] = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": t}}}
    elif r == "horizontalpodautoscalers.autoscaling":
        obj["spec"] = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1, "maxReplicas": 5,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}],
        }
    elif r == "leases.coordination.k8s.io":
        obj["spec"] = {"holderIdentity": "holder-1", "leaseDurationSeconds": 15}
    elif r == "endpointslices.discovery.k8s.io":
        obj["metadata"]["labels"]["kubernetes.io/service-name"] = "web"
        obj.update({
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True}}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        })
    elif r == "events.events.k8s.io":
        obj.update({
            "eventTime": "2024-01-01T00:00:00.000000Z",
            "reportingController": "example.com/e2e-controller",
            "reportingInstance": "e2e-controller-1",
            "action": "Started", "reason": "Started", "note": "Started container app", "type": "Normal",
            "regarding": {"kind": "Pod", "name": "some-pod", "namespace": namespace, "apiVersion": "v1"},
        })
    elif r == "poddisruptionbudgets.policy":
        obj["spec"] = {"minAvailable": 1, "selector": {"matchLabels": sel}}
    elif r == "priorityclasses.scheduling.k8s.io":
        obj.update({"value": 1000, "globalDefault": False, "description": "e2e priority"})
    elif r == "csidrivers.storage.k8s.io":
        obj["spec"] = {"attachRequired": True, "podInfoOnMount": False}
    elif r == "csinodes.storage.k8s.io":
        obj["spec"] = {"drivers": [{"name": "csi.example.com", "nodeID": name, "topologyKeys": ["topology.example.com/zone"]}]}
    elif r == "csistoragecapacities.storage.k8s.io":
        obj.update({"storageClassName": "standard", "capacity": "10Gi"})
    elif r == "storageclasses.storage.k8s.io":
        obj.update({"provisioner": "csi.example.com", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
                    "parameters": {"type": "fast"}})
    elif r == "volumeattachments.storage.k8s.io":
        obj["spec"] = {"attacher": "csi.example.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv-1"}}
    elif r == "volumeattributesclasses.storage.k8s.io":
        obj.update({"driverName": "csi.example.com", "parameters": {"iops": "3000"}})
    elif r == "runtimeclasses.node.k8s.io":
        obj["handler"] = "runc"
    elif r == "ingressclasses.networking.k8s.io":
        obj["spec"] = {"controller": "example.com/ingress-controller"}
    elif r == "ingresses.networking.k8s.io":
        obj["spec"] = {"rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
    elif r == "ipaddresses.networking.k8s.io":
        obj["spec"] = {"parentRef": {"group": "", "resource": "services", "namespace": "default", "name": "web"}}
    elif r == "networkpolicies.networking.k8s.io":
        obj["spec"] = {"podSelector": {"matchLabels": sel}, "policyTypes": ["Ingress"]}
    elif r == "servicecidrs.networking.k8s.io":
        obj["spec"] = {"cidrs": ["10.200.0.0/16"]}
    else:  # pragma: no cover - a new kind in the table needs a manifest here
        raise KeyError(f"no manifest for {r}")
    return obj


def name_for(kind: Kind, suffix: str) -> str:
    """A valid name; cluster-scoped kinds get a random suffix so reruns on one server don't collide."""
    base = f"e2e-{kind.kind.lower()}"
    if kind.key == "csidrivers.storage.k8s.io":
        return f"{suffix}.csi.example.com"  # a CSIDriver name is a DNS subdomain, conventionally a domain
    if kind.key == "ipaddresses.networking.k8s.io":
        return "192.0.2.%d" % (int.from_bytes(suffix.encode(), "big") % 254 + 1)  # an IPAddress is named by its IP
    return f"{base}-{suffix}" if not kind.namespaced else base
