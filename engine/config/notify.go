package config

// Notify configures notifications (issue 11).
type Notify struct{}

// notifyDefaults are the notify section's defaults, by dotted key.
func notifyDefaults() map[string]any { return map[string]any{} }

// validateNotify checks the notify section.
func (c *collector) validateNotify(cfg *Config) {}
