# Images must come from an allowed registry: each container image starts with one of
# input.parameters.repos. The Rego of the ConstraintTemplate k8sdemoallowedrepos and, through
# main.rego, of `sekisho policy test`.
package k8sdemoallowedrepos

import data.lib.demo.workload
import rego.v1

violation contains {"msg": msg} if {
	some c in workload.containers
	not allowed(c.image)
	msg := sprintf("container %q of %s %q uses image %q, which is not from an allowed registry %v", [c.name, workload.kind, workload.name, c.image, input.parameters.repos])
}

allowed(image) if {
	some prefix in input.parameters.repos
	startswith(image, prefix)
}
