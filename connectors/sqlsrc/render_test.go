package sqlsrc

import (
	"strings"
	"testing"
)

// What the server writes (DateStyle ISO) and what a reader gets.
func TestRender(t *testing.T) {
	tests := []struct {
		oid      uint32
		in, want string
	}{
		{oidBool, "t", "true"},
		{oidBool, "f", "false"},
		{oidBytea, `\x00ff10`, "00ff10"},
		{oidBytea, `\x`, ""},
		{oidFloat8, "1e+20", "100000000000000000000"},
		{oidFloat8, "1.5e-07", "0.00000015"},
		{oidFloat8, "-2.5E-10", "-0.00000000025"},
		{oidFloat8, "3.14", "3.14"},
		{oidFloat8, "NaN", "NaN"},
		{oidFloat8, "-Infinity", "-Infinity"},
		{oidFloat4, "1.1e+10", "11000000000"},
		{oidNumeric, "123456789012345678901234567890.123", "123456789012345678901234567890.123"},
		{oidDate, "2026-03-05", "2026-03-05"},
		{oidDate, "infinity", "infinity"},
		{oidTimestamp, "2026-03-05 10:00:00", "2026-03-05T10:00:00"},
		{oidTimestamp, "2026-03-05 10:00:00.123456", "2026-03-05T10:00:00.123456"},
		{oidTimestamp, "0044-03-15 12:00:00 BC", "0044-03-15 12:00:00 BC"},
		{oidTimestamptz, "2026-03-05 10:00:00+08", "2026-03-05T10:00:00+08:00"},
		{oidTimestamptz, "2026-03-05 02:00:00+00", "2026-03-05T02:00:00Z"},
		{oidTimestamptz, "2026-03-05 07:30:00.5+05:30", "2026-03-05T07:30:00.5+05:30"},
		{oidTimestamptz, "2026-03-04 21:00:00-05", "2026-03-04T21:00:00-05:00"},
		{oidTimestamptz, "1890-01-01 00:00:00+08:05:43", "1890-01-01T00:00:00+08:05:43"},
		{oidTimestamptz, "-infinity", "-infinity"},
		{oidTimestamptz, "12026-03-05 10:00:00+08", "12026-03-05T10:00:00+08:00"},
		{25, "张三 ", "张三 "},
	}
	for _, tt := range tests {
		if got := string(renderFor(tt.oid)(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("type %d: %q became %q, want %q", tt.oid, tt.in, got, tt.want)
		}
	}
	// render appends to what is there.
	if got := string(renderBool([]byte("ab"), []byte("t"))); got != "abtrue" {
		t.Errorf("append: %q", got)
	}
}

// Passwords are found in every form a connection string takes, and the
// string itself is never repeated.
func TestRedact(t *testing.T) {
	tests := []struct {
		dsn, msg, leak string
	}{
		{"postgres://u:Sec%40ret1@h:5432/db", "dial postgres://u:Sec%40ret1@h:5432/db failed; pw Sec@ret1", "Sec"},
		{"postgres://u:Secret2@h:bad/db", `parse "postgres://u:Secret2@h:bad/db": invalid port`, "Secret2"},
		{"postgres://u@h/db?password=Secret3&sslmode=require", "x password=Secret3 y", "Secret3"},
		{"host=h user=u password='Sec ret4' dbname=d", "cannot parse `host=h user=u password=xxxxx`: Sec ret4", "Sec ret4"},
		{"host=h user=u password=Secret5 dbname=d", "got Secret5", "Secret5"},
		{"postgresql://u:Secret6@h/db", "whole postgresql://u:Secret6@h/db", "Secret6"},
	}
	for _, tt := range tests {
		got := dsn{value: tt.dsn}.redact(tt.msg)
		if strings.Contains(got, tt.leak) || strings.Contains(got, tt.dsn) {
			t.Errorf("%q: %q leaks", tt.dsn, got)
		}
	}
	if got := (dsn{value: "postgres://u:Secret7@h/db"}).redact("relation \"x\" does not exist"); got != "relation \"x\" does not exist" {
		t.Errorf("a message without secrets changed: %q", got)
	}
}
