package config

import (
	"time"

	"github.com/lipwatch/lipwatch/engine/schedule"
)

// cron checks the cron spec at path with schedule.Parse, the check the
// scheduler itself makes, so that whatever config accepts, serve runs. The
// message names the key and its file:line:col (or env variable); zone is
// the county's time zone, named in the message on a TZ= prefix.
func (c *collector) cron(path, spec string, zone *time.Location) {
	if _, err := schedule.Parse(spec, zone); err != nil {
		c.add(path, "%v", err)
	}
}
