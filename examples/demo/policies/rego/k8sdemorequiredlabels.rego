# Objects must carry the labels listed in input.parameters.labels. The Rego of the
# ConstraintTemplate k8sdemorequiredlabels and, through main.rego, of `sekisho policy test`.
package k8sdemorequiredlabels

import data.lib.demo.workload
import rego.v1

violation contains {"msg": msg, "details": {"missing_labels": missing}} if {
	provided := {l | some l, _ in object.get(workload.obj, ["metadata", "labels"], {})}
	required := {l | some l in input.parameters.labels}
	missing := required - provided
	count(missing) > 0
	msg := sprintf("%s %q is missing the required labels %v", [workload.kind, workload.name, sort(missing)])
}
