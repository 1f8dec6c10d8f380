package yamlguard

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// billionLaughs is the classic alias bomb: ten levels of ten aliases each,
// 10^10 nodes expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// mergeBomb nests merge keys: each mapping merges the previous one twice
// under new keys.
func mergeBomb() string {
	var b strings.Builder
	b.WriteString("m0: &m0 {k: v}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {a: *m%d, b: *m%d}\n", i, i, i-1, i-1)
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	for name, c := range map[string]struct {
		doc  string
		line int
	}{
		"billion laughs": {billionLaughs(), 0},
		"merge keys":     {mergeBomb(), 0},
	} {
		t.Run(name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(c.doc), &doc); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err := Check(&doc)
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || !strings.Contains(err.Error(), "expand to more than 1000000 nodes") {
				t.Fatalf("Check = %v", err)
			}
			t.Logf("refused in %v at line %d", time.Since(start), e.Line)
		})
	}
	// Ordinary anchors pass.
	var doc yaml.Node
	yaml.Unmarshal([]byte("base: &b {x: 1, y: 2}\none: {<<: *b, z: 3}\ntwo: *b\n"), &doc)
	if err := Check(&doc); err != nil {
		t.Fatal(err)
	}
}
