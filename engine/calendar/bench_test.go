package calendar

import (
	"testing"
	"time"
)

// The nightly run computes a deadline and its days left for every open
// case, thousands a night; these give the per-call figure.

func BenchmarkAddWorkdays25(b *testing.B) {
	c := shipped(b)
	start := time.Date(2025, 9, 26, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := c.AddWorkdays(start, 25); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWorkdaysBetween(b *testing.B) {
	c := shipped(b)
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := c.WorkdaysBetween(from, to); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(shippedPath); err != nil {
			b.Fatal(err)
		}
	}
}
