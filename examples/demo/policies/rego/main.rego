# `sekisho policy test` (Conftest) entry point for the demo policies. Each input document is reviewed
# by every constraint in data.constraints (load them with `--data examples/demo/policies/gatekeeper`)
# whose match.kinds select it, with the Rego of the constraint's template — the same modules the
# admission webhook runs — so CI and the cluster apply one policy source.
#
#   sekisho policy test -p examples/demo/policies/rego -d examples/demo/policies/gatekeeper rendered.yaml
package main

import rego.v1

deny contains msg if {
	some c in data.constraints
	object.get(c, ["spec", "enforcementAction"], "deny") == "deny"
	some v in violations(c)
	msg := sprintf("[%s] %s", [c.metadata.name, v.msg])
}

warn contains msg if {
	some c in data.constraints
	object.get(c, ["spec", "enforcementAction"], "deny") == "warn"
	some v in violations(c)
	msg := sprintf("[%s] %s", [c.metadata.name, v.msg])
}

violations(c) := vs if {
	matches(c)
	review := {
		"object": input,
		"kind": {"group": api_group, "version": api_version, "kind": input.kind},
		"name": input.metadata.name,
		"operation": "CREATE",
	}
	vs := data[lower(c.kind)].violation with input as {"review": review, "parameters": object.get(c, ["spec", "parameters"], {})}
}

api_group := split(input.apiVersion, "/")[0] if contains(input.apiVersion, "/")

api_group := "" if not contains(input.apiVersion, "/")

api_version := split(input.apiVersion, "/")[count(split(input.apiVersion, "/")) - 1]

# The constraint's match.kinds as Gatekeeper reads them (no match.kinds: every kind).
matches(c) if object.get(c, ["spec", "match", "kinds"], []) == []

matches(c) if {
	some k in c.spec.match.kinds
	group_matches(k)
	kind_matches(k)
}

group_matches(k) if {
	some g in k.apiGroups
	g in {"*", api_group}
}

kind_matches(k) if {
	some kind in k.kinds
	kind in {"*", input.kind}
}
