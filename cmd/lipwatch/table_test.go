package main

import (
	"fmt"
	"strings"
	"testing"
)

// Columns line up on a terminal whatever the cells' script: a Chinese
// character takes two columns.
func TestTableAlignsChinese(t *testing.T) {
	var b strings.Builder
	tw := newTable(&b)
	fmt.Fprintln(tw, "TOWNSHIP\tRULE\tN")
	fmt.Fprintln(tw, "城关镇\tMED\t1")
	fmt.Fprintln(tw, "县级队列（乡镇未明）\tDIS-NEW\t12")
	fmt.Fprintln(tw, "x\ty\t")
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"TOWNSHIP              RULE     N",
		"城关镇                MED      1",
		"县级队列（乡镇未明）  DIS-NEW  12",
		"x                     y",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", b.String(), strings.Join(want, "\n"))
	}
	b.Reset()
	rt := newRightTable(&b)
	fmt.Fprintln(rt, "DATE\tROWS\t")
	fmt.Fprintln(rt, "2026-11-28\t35973\t")
	rt.Flush()
	if got := b.String(); got != "      DATE   ROWS\n2026-11-28  35973\n" {
		t.Errorf("right-aligned:\n%q", got)
	}
}
