package dispatch

import (
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"golang.org/x/text/width"
)

// normKey folds a header or an outcome for comparison: full-width
// characters to half-width (（ → (, ｄｉｂａｏ → dibao), spaces and line
// breaks removed, a leading or trailing * (a "required" mark) dropped,
// Latin letters lower-cased.
func normKey(s string) string {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Trim(s, "*")
}

// caseIDPattern is the shape of a case id: YJ-, the date the case was
// opened as YYYYMMDD, and a sequence number of at least four digits.
var caseIDPattern = regexp.MustCompile(`^YJ-([0-9]{8})-[0-9]{4,}$`)

// parseCaseID returns the canonical form of a case id as a township may
// have typed it (full-width characters, spaces, lower case), and whether
// it is well formed.
func parseCaseID(s string) (string, bool) {
	id := strings.ToUpper(strings.Join(strings.Fields(width.Narrow.String(s)), ""))
	m := caseIDPattern.FindStringSubmatch(id)
	if m == nil {
		return "", false
	}
	if _, err := time.Parse("20060102", m[1]); err != nil {
		return "", false
	}
	return id, true
}

// maxShown is how many characters of a township's value an error quotes.
const maxShown = 30

// safeValue is a township's cell value as an error may quote it: any run
// of eleven or more digits (an ID, a mobile phone or an account number
// typed into the wrong column) is masked, and long values are cut short.
// Shorter runs stay, so that a mistyped date or case id can be recognised.
func safeValue(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && isIDRune(rs[j], j > i) {
			j++
		}
		if j == i {
			b.WriteRune(rs[i])
			i++
			continue
		}
		run := string(rs[i:j])
		if digits(run) >= 11 {
			run = idnum.Mask(run)
		}
		b.WriteString(run)
		i = j
	}
	out := []rune(b.String())
	if len(out) > maxShown {
		return string(out[:maxShown]) + "…"
	}
	return string(out)
}

// isIDRune reports whether r can be part of a run of ID-like digits: a
// digit (half- or full-width), or an X check character after the first.
func isIDRune(r rune, inRun bool) bool {
	return r >= '0' && r <= '9' || r >= '０' && r <= '９' || inRun && (r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ')
}

// digits counts the digits in s.
func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			n++
		}
	}
	return n
}
