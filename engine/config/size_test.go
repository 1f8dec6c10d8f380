package config

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Size
		wantErr string
	}{
		{in: "1GiB", want: GiB},
		{in: "256MiB", want: 256 * MiB},
		{in: "256 mib", want: 256 * MiB},
		{in: "1.5GiB", want: 3 * GiB / 2},
		{in: "512MB", want: 512_000_000},
		{in: "2GB", want: 2_000_000_000},
		{in: "100KB", want: 100_000},
		{in: "64KiB", want: 64 * KiB},
		{in: "1TiB", want: TiB},
		{in: "1000B", want: 1000},
		{in: "12 bytes", want: 12},
		{in: " 1GiB ", want: GiB},
		{in: "1024", wantErr: `"1024" has no unit; write e.g. "1GiB" or "256MiB" (or "1024B" for bytes)`},
		{in: "1G", wantErr: `invalid size "1G"; write e.g. "1GiB", "256MiB" or "512MB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
		{in: "-1GiB", wantErr: `invalid size "-1GiB"; write e.g. "1GiB", "256MiB" or "512MB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
		{in: "GiB", wantErr: `invalid size "GiB"; write e.g. "1GiB", "256MiB" or "512MB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
		{in: "1.2.3MiB", wantErr: `invalid size "1.2.3MiB"; write e.g. "1GiB", "256MiB" or "512MB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
		{in: "", wantErr: `empty size; write e.g. "1GiB" or "256MiB"`},
		{in: "99999999TiB", wantErr: `size "99999999TiB" is too large`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestSizeString(t *testing.T) {
	for _, s := range []Size{GiB, 256 * MiB, 1536 * KiB, 1000, 0, 3 * TiB, 512_000_000} {
		back, err := ParseSize(s.String())
		if err != nil || back != s {
			t.Errorf("%d: %q reads back as %d, %v", s, s.String(), back, err)
		}
	}
	if got := (256 * MiB).String(); got != "256MiB" {
		t.Errorf("got %q", got)
	}
}
