//go:build tools

// This file pins modules that the next stages build on (the rule
// language) so that `go mod tidy` keeps their chosen versions in go.mod.
package lipwatch

import (
	_ "github.com/expr-lang/expr"
)
