package dataset

import (
	"fmt"
	"testing"
)

// BenchmarkMapMedical maps typical dirty medical rows; it is the per-row
// Go cost of `lipwatch sync` besides reading and appending.
func BenchmarkMapMedical(b *testing.B) {
	ds, _ := Lookup("medical")
	m, err := NewMapper(ds, medicalHeader, Mapping{Columns: medicalColumns})
	if err != nil {
		b.Fatal(err)
	}
	dates := []string{"2026年3月5日", "2026/3/5", "20260305", "2026-03-05"}
	rows := make([][]string, 64)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("YB34079920260305%05d", i), "11010519491231002x", dates[i%4], "示例县人民医院",
			"12,345.60元", "8000", "1,000.00", "", "3,345.60元", ""}
	}
	out := make([]any, len(ds.Fields))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, p := m.Map(rows[i%len(rows)], out); p != nil {
			b.Fatal(p)
		}
	}
}
