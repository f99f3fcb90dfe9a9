# Containers must run as a non-root user: runAsNonRoot true on the container or the pod, and no
# runAsUser 0 on either. The Rego of the ConstraintTemplate k8sdemorunasnonroot (Gatekeeper input:
# input.review.object, input.parameters) and, through main.rego, of `sekisho policy test`.
package k8sdemorunasnonroot

import data.lib.demo.workload
import rego.v1

violation contains {"msg": msg} if {
	some c in workload.containers
	not run_as_non_root(c)
	msg := sprintf("container %q of %s %q must set securityContext.runAsNonRoot: true", [c.name, workload.kind, workload.name])
}

violation contains {"msg": msg} if {
	some c in workload.containers
	run_as_user(c) == 0
	msg := sprintf("container %q of %s %q runs as uid 0 (root)", [c.name, workload.kind, workload.name])
}

# The container's own setting wins over the pod's.
run_as_non_root(c) if c.securityContext.runAsNonRoot == true

run_as_non_root(c) if {
	object.get(c, ["securityContext", "runAsNonRoot"], null) == null
	workload.pod_spec.securityContext.runAsNonRoot == true
}

run_as_user(c) := c.securityContext.runAsUser

run_as_user(c) := workload.pod_spec.securityContext.runAsUser if {
	object.get(c, ["securityContext", "runAsUser"], null) == null
}
