package xlsx

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/lipwatch/lipwatch/connectors"
)

func TestScanMerges(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		want []span
		err  string
	}{
		{"none", `<worksheet><sheetData><row r="1"/></sheetData></worksheet>`, nil, ""},
		{"sorted by row then column",
			`<sheetData/><mergeCells count="3"><mergeCell ref="E4:E5"/><mergeCell ref="G2:G3"/><mergeCell ref="E2:E3"/></mergeCells>`,
			[]span{{2, 5, 3, 5}, {2, 7, 3, 7}, {4, 5, 5, 5}}, ""},
		{"prefixed elements, single quotes, spaces",
			`<x:sheetData/><x:mergeCells><x:mergeCell  ref = 'A1:B1' /></x:mergeCells>`,
			[]span{{1, 1, 1, 2}}, ""},
		{"reversed corners", `<mergeCell ref="B2:A1"/>`, []span{{1, 1, 2, 2}}, ""},
		{"absolute references", `<mergeCell ref="$A$1:$A$3"/>`, []span{{1, 1, 3, 1}}, ""},
		{"a single cell is no range", `<mergeCell ref="C3"/><mergeCell ref="C3:C3"/>`, nil, ""},
		{"other attributes first", `<mergeCell xr:uid="{1}" ref="A1:A2"/>`, []span{{1, 1, 2, 1}}, ""},
		{"not markup: text and a closing tag",
			`<c t="inlineStr"><is><t>mergeCell ref="A1:A9"</t></is></c><mergeCell ref="A1:A2"></mergeCell>`,
			[]span{{1, 1, 2, 1}}, ""},
		{"preferred: the plural element is not a range", `<mergeCells ref="A1:A9"><mergeCell ref="B1:B2"/></mergeCells>`, []span{{1, 2, 2, 2}}, ""},
		{"no reference", `<mergeCell/>`, nil, "a merged range without a reference"},
		{"not a range", `<mergeCell ref="A1:ZZZZ9"/>`, nil, "is not a range of cells"},
		{"past the last row", `<mergeCell ref="A1:A1048577"/>`, nil, "is not a range of cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time, so that every tag spans reads.
			got, err := scanMerges(iotest.OneByteReader(strings.NewReader(tt.xml)))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Ranges far into a large part, across buffer boundaries.
func TestScanMergesLargePart(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("<sheetData>")
	for i := 1; i <= 60000; i++ {
		fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c></row>`, i, i, i)
	}
	b.WriteString("</sheetData><mergeCells>")
	for i := 1; i <= 30000; i += 2 {
		fmt.Fprintf(&b, `<mergeCell ref="A%d:A%d"/>`, i, i+1)
	}
	b.WriteString("</mergeCells>")
	got, err := scanMerges(io.MultiReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 15000 || got[0] != (span{1, 1, 2, 1}) || got[14999] != (span{29999, 1, 30000, 1}) {
		t.Errorf("got %d ranges, first %v last %v", len(got), got[0], got[len(got)-1])
	}
}

func TestScanMergesLimit(t *testing.T) {
	defer func(n int) { mergeLimit = n }(mergeLimit)
	mergeLimit = 3
	xml := strings.Repeat(`<mergeCell ref="A1:A2"/>`, 4)
	if _, err := scanMerges(strings.NewReader(xml)); err == nil || !strings.Contains(err.Error(), "more than 3 merged ranges") {
		t.Errorf("got %v", err)
	}
}

func TestGuard(t *testing.T) {
	long := strings.Repeat("a", maxRun+1)
	tests := []struct {
		name, xml string
		ok        bool
	}{
		{"markup", "<a><b>text</b></a>", true},
		{"a long text", "<t>" + long + "</t>", false},
		{"a long tag", "<c r=\"" + long + "\"/>", false},
		{"a long comment with markup inside", "<!--" + strings.Repeat("<a>", maxRun/3+1) + "-->", false},
		{"a long CDATA with markup inside", "<![CDATA[" + strings.Repeat("<a>", maxRun/3+1) + "]]>", false},
		{"a long instruction", "<?pi " + strings.Repeat("<a>", maxRun/3+1) + "?>", false},
		{"short comment, CDATA, instruction", "<?xml version=\"1.0\"?><!-- a > b --><t><![CDATA[x]>y]]></t>" + strings.Repeat("<a/>", 1000), true},
		{"text after a comment", "<!-- c -->" + strings.Repeat("<a>x</a>", 1000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &guard{r: strings.NewReader(tt.xml), part: "sheet1.xml"}
			_, err := io.Copy(io.Discard, iotest.HalfReader(g))
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && g.n != int64(len(tt.xml)) {
				t.Errorf("counted %d bytes, want %d", g.n, len(tt.xml))
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref      string
		col, row int
		ok       bool
	}{
		{"A1", 1, 1, true},
		{"XFD1048576", 16384, 1048576, true},
		{"$B$12", 2, 12, true},
		{"xfd1", 16384, 1, true},
		{"XFE1", 0, 0, false},
		{"A1048577", 0, 0, false},
		{"A0", 0, 0, false},
		{"1", 0, 0, false},
		{"A", 0, 0, false},
		{"A1B", 0, 0, false},
	}
	for _, tt := range tests {
		col, row, ok := parseRef(tt.ref)
		if col != tt.col || row != tt.row || ok != tt.ok {
			t.Errorf("parseRef(%q) = %d, %d, %v", tt.ref, col, row, ok)
		}
	}
	for _, c := range []int{1, 26, 27, 52, 702, 703, 16384} {
		name := cellName(c, 7)
		if got := parseCol(name); got != c {
			t.Errorf("cellName(%d) = %s, reads back as %d", c, name, got)
		}
	}
}

// Filling is bounded: a small file cannot fill endless cells.
func TestMergeFillLimit(t *testing.T) {
	defer func(n int64) { fillLimit = n }(fillLimit)
	fillLimit = 1000
	m := merges{spans: []span{{1, 1, MaxRows, 100}}}
	var err error
	for row := 1; row <= 100 && err == nil; row++ {
		_, _, err = m.apply(row, []string{"x"}, []connectors.CellKind{connectors.KindText}, true, 0)
	}
	if err == nil || !strings.Contains(err.Error(), "merged ranges fill more than 1000 cells") {
		t.Errorf("got %v", err)
	}
}
