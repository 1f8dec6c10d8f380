package config

import (
	"net"
	"strconv"
)

// Ops configures what operators watch: health checks and metrics (issue 11).
type Ops struct {
	// Listen is the address of /healthz, /readyz and /metrics, e.g.
	// 127.0.0.1:9464; "" serves them on portal.listen (when set), where
	// the county's reverse proxy must then deny /metrics. It cannot change
	// while serve runs. Default "".
	Listen string `mapstructure:"listen"`
}

// opsDefaults are the ops section's defaults, by dotted key.
func opsDefaults() map[string]any { return map[string]any{"ops.listen": ""} }

// validateOps checks the ops section: an address serve can listen on,
// other than the portal's (one address serves one of them; leave
// ops.listen empty to answer on the portal's).
func (c *collector) validateOps(cfg *Config) {
	addr := cfg.Ops.Listen
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		c.add("ops.listen", "want host:port, e.g. 127.0.0.1:9464, got %q", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		c.add("ops.listen", "port %q is not a number from 0 to 65535", port)
		return
	}
	if addr == cfg.Portal.Listen {
		c.add("ops.listen", "%s is portal.listen too: leave ops.listen empty to serve /healthz, /readyz and /metrics on the portal's address, or give another", addr)
	}
}
