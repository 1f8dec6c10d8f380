package config

// quality checks the data-quality thresholds.
func (c *collector) quality(q Quality) {
	pct := func(key string, v, min int) {
		path := "quality." + key
		if !c.failed(path) && (v < min || v > 100) {
			c.add(path, "must be a percentage from %d to 100, got %d", min, v)
		}
	}
	pct("degraded_quarantined_pct", q.DegradedQuarantinedPct, 0)
	pct("unmatched_ids_pct", q.UnmatchedIDsPct, 0)
	pct("unjoined_households_pct", q.UnjoinedHouseholdsPct, 0)
	pct("row_drop_pct", q.RowDropPct, 1)
	if !c.failed("quality.split_households") && q.SplitHouseholds < 0 {
		c.add("quality.split_households", "must be 0 or more, got %d", q.SplitHouseholds)
	}
}

// link checks identity resolution's thresholds.
func (c *collector) link(l Link) {
	for _, k := range []struct {
		key string
		v   float64
	}{{"link.auto", l.Auto}, {"link.review", l.Review}} {
		if !c.failed(k.key) && !(k.v > 0 && k.v < 1) {
			c.add(k.key, "must be a probability between 0 and 1 (exclusive), got %v", k.v)
		}
	}
	if !c.failed("link.auto") && !c.failed("link.review") && l.Review > l.Auto {
		c.add("link.review", "must not be above link.auto (%v), got %v", l.Auto, l.Review)
	}
	if !c.failed("link.margin_bits") && l.MarginBits < 0 {
		c.add("link.margin_bits", "must be 0 or more bits, got %v", l.MarginBits)
	}
	if !c.failed("link.refutation_expires") && l.RefutationExpires < 0 {
		c.add("link.refutation_expires", "must be 0 (never) or a positive duration, got %v", l.RefutationExpires)
	}
}
