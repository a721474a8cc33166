package steps

import "flag"

// The golden files live in the root package, but `go test ./... -update`
// passes -update to every test binary: accept it here too.
var _ = flag.Bool("update", false, "rewrite golden files (they live in the root package)")
