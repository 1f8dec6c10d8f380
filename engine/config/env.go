package config

import (
	"cmp"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/engine/internal/textdist"
)

// Closest is the one of known a misspelt word most likely meant, or ""
// (textdist.Closest): the "did you mean" of the config, the rule files
// and the command line alike.
func Closest(word string, known []string) string { return textdist.Closest(word, known) }

// envHint names the setting an unknown LIPWATCH_ variable most likely
// meant: the closest one when there is one, else the two nearest by edit
// distance. Never the whole list (some 200 names): the warning stays one
// line.
func envHint(name string, known []string) string {
	if best := textdist.Closest(name, known); best != "" {
		return " (did you mean " + best + "?)"
	}
	nearest := nearestNames(name, known, 2)
	if len(nearest) == 0 {
		return ""
	}
	return " (the nearest settings: " + strings.Join(nearest, ", ") + "; README's Configuration lists them)"
}

// nearestNames are the n names of known nearest to name by edit distance
// (case ignored), nearest first, ties by name.
func nearestNames(name string, known []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	lw := strings.ToLower(name)
	cs := make([]cand, 0, len(known))
	for _, k := range known {
		cs = append(cs, cand{k, textdist.Levenshtein(lw, strings.ToLower(k))})
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Or(cmp.Compare(a.d, b.d), strings.Compare(a.name, b.name)) })
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.name)
	}
	return out
}
