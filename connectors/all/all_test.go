package all_test

import (
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/all"
)

func TestKindsRegistered(t *testing.T) {
	for _, kind := range []string{"file", "http", "sql"} {
		if _, ok := connectors.Lookup(kind); !ok {
			t.Errorf("kind %q is not registered; known: %v", kind, connectors.Kinds())
		}
	}
}
