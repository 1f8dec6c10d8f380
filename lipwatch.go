// Package lipwatch holds what the lipwatch binary carries with it: the
// embedded default configuration. The engine lives in engine/, the
// connectors in connectors/ and the command in cmd/lipwatch.
package lipwatch

import _ "embed"

// DefaultConfig is config.yaml as shipped: the synthetic county in
// testdata/county, no server needed. The command uses it when no config
// file is given and ./config.yaml does not exist, with relative paths
// resolved against the working directory.
//
//go:embed config.yaml
var DefaultConfig []byte
