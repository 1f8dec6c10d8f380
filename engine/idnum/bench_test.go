package idnum

import "testing"

var sinkID ID

func BenchmarkParse(b *testing.B) {
	cases := []struct{ name, in string }{
		{"clean", sampleA},
		{"lowercase_spaces", " 110105 19491231 002x "},
		{"fullwidth", "１１０１０５１９４９１２３１００２Ｘ"},
		{"legacy15", "110105491231002"},
		{"bad_check", "110105194912310021"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkID, _ = Parse(c.in)
			}
		})
	}
}

var sinkString string

func BenchmarkMask(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString = Mask(sampleA)
	}
}
