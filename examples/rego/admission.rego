# A Kubernetes admission policy in the style of Gatekeeper/OPA validating webhooks (Rego v1 syntax).
#
# Input: an AdmissionReview (input.request.object is the Pod, Deployment, ... being admitted).
# Query: data.k8s.admission.deny — a set of human-readable reasons; empty means "allow".
#
#   sekisho rego eval -d examples/rego/admission.rego -i examples/rego/pod.json 'data.k8s.admission.deny' -f pretty
package k8s.admission

# Registries images may come from.
trusted_registries := {"registry.example.com/", "ghcr.io/example/"}

# Labels every workload must carry.
required_labels := {"app.kubernetes.io/name", "team", "env"}

# Capabilities no container may add.
forbidden_capabilities := {"SYS_ADMIN", "NET_ADMIN", "ALL"}

default allow := false

allow if count(deny) == 0

# The Pod spec, whether the object is a Pod or a workload with a pod template.
pod_spec := input.request.object.spec if input.request.kind.kind == "Pod"

pod_spec := input.request.object.spec.template.spec if {
	input.request.kind.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
}

# Every container, init containers included, with the field it was found in.
containers contains {"kind": "container", "c": c} if some c in pod_spec.containers

containers contains {"kind": "initContainer", "c": c} if some c in pod_spec.initContainers

trusted(image) if {
	some prefix in trusted_registries
	startswith(image, prefix)
}

# An image is pinned when it names a digest, or a tag other than "latest".
pinned(image) if contains(image, "@sha256:")

pinned(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	not endswith(last, ":latest")
}

deny contains msg if {
	some x in containers
	not trusted(x.c.image)
	msg := sprintf("%s %q: image %q is not from a trusted registry", [x.kind, x.c.name, x.c.image])
}

deny contains msg if {
	some x in containers
	not pinned(x.c.image)
	msg := sprintf("%s %q: image %q must be pinned to a version tag or digest", [x.kind, x.c.name, x.c.image])
}

deny contains msg if {
	some x in containers
	not x.c.securityContext.runAsNonRoot == true
	not pod_spec.securityContext.runAsNonRoot == true
	msg := sprintf("%s %q must run as non-root (securityContext.runAsNonRoot)", [x.kind, x.c.name])
}

deny contains msg if {
	some x in containers
	x.c.securityContext.privileged == true
	msg := sprintf("%s %q must not be privileged", [x.kind, x.c.name])
}

deny contains msg if {
	some x in containers
	some cap in x.c.securityContext.capabilities.add
	upper(cap) in forbidden_capabilities
	msg := sprintf("%s %q must not add capability %s", [x.kind, x.c.name, upper(cap)])
}

deny contains msg if {
	some c in pod_spec.containers
	some resource in ["cpu", "memory"]
	not c.resources.limits[resource]
	msg := sprintf("container %q has no %s limit", [c.name, resource])
}

deny contains msg if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod_spec[field] == true
	msg := sprintf("%s is not allowed", [field])
}

deny contains msg if {
	some v in pod_spec.volumes
	v.hostPath
	msg := sprintf("volume %q must not mount a hostPath (%s)", [v.name, v.hostPath.path])
}

deny contains msg if {
	provided := {k | some k, _ in input.request.object.metadata.labels}
	missing := required_labels - provided
	count(missing) > 0
	msg := sprintf("missing required labels: %s", [concat(", ", sort(missing))])
}

deny contains msg if {
	input.request.object.metadata.namespace == "default"
	msg := "workloads must not be created in the default namespace"
}
