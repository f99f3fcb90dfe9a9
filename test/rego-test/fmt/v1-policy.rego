package example.v1

import rego.v1

deny contains msg if {
	every c in input.containers {
		c.image != "bad"
	}
	some k, v in input.labels
	msg := sprintf("%s=%s", [k, v])
}

a := 1
b := 2

ok if 1 in {1, 2}

is_even(x) if x % 2 == 0
