package config

import (
	"errors"

	"github.com/lipwatch/lipwatch/connectors"
)

// The tests register a connector kind of their own for the configs in
// testdata rather than use the real ones, whose options may change (the
// tests of options in options_test.go use the real ones).
func init() {
	connectors.Register(connectors.KindSpec[testfileOptions]{
		Kind: "testfile",
		Doc:  "a stand-in for the file connector",
		Check: func(o testfileOptions) error {
			if o.Path == "whole" {
				return errors.New("a and nothing else: options.a: looks like a path")
			}
			return nil
		},
		New: func(connectors.Source, testfileOptions) (connectors.Connector, error) {
			return nil, errors.New("testfile connectors are not built in these tests")
		},
	}.Spec())
}

// testfileOptions are the testfile kind's options. A path of "whole" makes
// the kind's own check find a problem with no one option.
type testfileOptions struct {
	Path      string   `option:"path,required"`
	Encoding  string   `option:"encoding" enum:"auto utf-8 gbk"`
	Delimiter string   `option:"delimiter" default:","`
	HeaderRow int      `option:"header_row" min:"1"`
	Strict    bool     `option:"strict"`
	Columns   []string `option:"columns"`
	APIToken  string   `option:"api_token"`
	Password  string   `option:"password" enum:"only-this-one"`
}
