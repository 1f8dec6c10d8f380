package connectortest

import (
	"errors"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// CheckOptionErrors fails t unless every problem in err (what
// connectors.New or Spec.Check returned for a source of kind) is a
// connectors.OptionError naming one of the kind's options, or an unknown
// option: the config places each problem at its option by that name, so a
// problem given only as text would land on the options as a whole.
func CheckOptionErrors(t testing.TB, kind string, err error) {
	t.Helper()
	spec, ok := connectors.Lookup(kind)
	if !ok {
		t.Fatalf("kind %s is not registered", kind)
	}
	for _, oe := range connectors.OptionErrors(err) {
		_, known := spec.Field(oe.Option)
		if !known && !errors.Is(oe, connectors.ErrUnknownOption) {
			t.Errorf("problem %q names no option of kind %s", oe, kind)
		}
	}
}
