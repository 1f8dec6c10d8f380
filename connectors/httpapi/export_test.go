package httpapi

import (
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// SetNow sets the clock a connector of this kind reads at Open as the
// sync's start, so that tests can put it where they need.
func SetNow(c connectors.Connector, now func() time.Time) { c.(*connector).now = now }
