# Shared helpers of the demo policies: the pod spec and containers of the object under review,
# whether it is a Pod or a workload with a pod template. Gatekeeper loads it as a template lib
# (package lib.*); `sekisho policy test` loads it with the other modules of this folder.
package lib.demo.workload

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

obj := input.review.object

kind := obj.kind

name := obj.metadata.name

pod_spec := obj.spec if kind == "Pod"

pod_spec := obj.spec.template.spec if kind in workload_kinds

pod_spec := obj.spec.jobTemplate.spec.template.spec if kind == "CronJob"

containers contains c if some c in pod_spec.containers

containers contains c if some c in pod_spec.initContainers

containers contains c if some c in pod_spec.ephemeralContainers
