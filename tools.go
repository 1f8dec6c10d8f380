//go:build tools

// Package tools pins modules that the next stages build on (the rule
// language) so that `go mod tidy` keeps their chosen versions in go.mod.
package tools

import (
	_ "github.com/expr-lang/expr"
)
