package   example.authz
import input.user as u
import data.roles
# roles by name
import data.lib.helpers

default allow = false
allow { u.admin }
allow {
  some i
  roles[u.name][i] == "reader"

  input.method == "GET"   # read only
}
deny[msg] { not u.name; msg := "anonymous" }
names[n] { n := input.users[_].name }
f(x) = y { y := (x + 1) * 2 }
grade = "a" { input.score > 90 } else = "b" { input.score > 80 } else = "c"
obj := {"a": 1,
  "b": [1, 2,
    3]}
c := count([x | x := input.xs[_]; x > 1])
t { f(1) == 4 with input as {"user": {"admin": true}}
              with data.roles as {} }
# trailing comment
