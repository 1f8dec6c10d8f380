// Package textdist measures how far apart two words are, for the "did you
// mean ...?" hints in config and rule file errors.
package textdist

import (
	"strings"
	"unicode/utf8"
)

// Levenshtein is the edit distance between a and b, in runes.
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Closest is the candidate a misspelt word most likely meant, or "": the
// one at the smallest edit distance (case ignored) when that distance is
// 1 or 2 and at most half the word's length (so "ab" is not taken for
// "xy"), else, for a word of 3 or more characters, the first candidate it
// begins (a shortened name: amount for amount_monthly). The one "did you
// mean" of lipwatch's config, rule files and fact queries.
func Closest(word string, candidates []string) string {
	best, bestD := "", 0
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := Levenshtein(lw, strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	n := utf8.RuneCountInString(word)
	if best != "" && bestD > 0 && bestD <= 2 && bestD <= (n+1)/2 {
		return best
	}
	if n >= 3 {
		for _, c := range candidates {
			if c != word && strings.HasPrefix(strings.ToLower(c), lw) {
				return c
			}
		}
	}
	return ""
}
