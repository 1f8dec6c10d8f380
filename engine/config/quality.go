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
