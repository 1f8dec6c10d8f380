package config

// Ops configures what operators watch: health checks and metrics (issue 11).
type Ops struct {
	// Listen is the address of /healthz, /readyz and /metrics, e.g.
	// 127.0.0.1:9464; "" serves them on portal.listen (when set).
	Listen string `mapstructure:"listen"`
}

// opsDefaults are the ops section's defaults, by dotted key.
func opsDefaults() map[string]any { return map[string]any{} }

// validateOps checks the ops section.
func (c *collector) validateOps(cfg *Config) {}
