package dataset

import (
	"fmt"
	"strings"
)

// Formats a source may declare for a field (config: formats), where the
// values alone cannot say how they are written.
const (
	// FormatEpochSeconds: a date field holds seconds since 1970-01-01 UTC.
	FormatEpochSeconds = "epoch_s"
	// FormatEpochMillis: a date field holds milliseconds since 1970-01-01 UTC.
	FormatEpochMillis = "epoch_ms"
)

// CheckFormat reports whether format is one a source may declare for the
// field of ds; the error says which are.
func CheckFormat(ds *Dataset, field, format string) error {
	f, ok := ds.Field(field)
	if !ok {
		return fmt.Errorf("%s is not a field of dataset %s", field, ds.Name)
	}
	allowed := formatsFor(f.Type)
	for _, a := range allowed {
		if a == format {
			return nil
		}
	}
	if len(allowed) == 0 {
		return fmt.Errorf("field %s takes no format (only date fields do)", field)
	}
	return fmt.Errorf("%q is not a format of %s (one of %s)", format, field, strings.Join(allowed, ", "))
}

func formatsFor(t Type) []string {
	if t == Date {
		return []string{FormatEpochSeconds, FormatEpochMillis}
	}
	return nil
}

// epochPlausibleYear is the earliest year a Unix time in seconds may name
// outside a birth date: departments' electronic records start in the 1990s,
// and a yyyymmdd date or an Excel serial read as seconds lands in 1970.
const epochPlausibleYear = 1980
