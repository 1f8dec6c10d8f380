package gen

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/link"
)

// checkDamaged re-reads every row truth.json lists with identity
// resolution's damage and checks that its ID cell is damaged as the
// reason says, from the true person's ID number, and its name cell is the
// person's registry name written as the variant says; and that the county
// plants every kind and every variant.
func checkDamaged(t *testing.T, dir string, tr *Truth) {
	t.Helper()
	reg := layouts["registry.csv"]
	people := map[string][]string{} // ID number -> registry row
	for _, rr := range readAny(t, dir, "registry.csv", reg).rows {
		if id, err := idnum.Parse(rr.cells[0]); err == nil {
			people[string(id)] = rr.cells
		}
	}
	files := map[string]map[int][]string{}
	kinds, variants := map[string]int{}, map[string]int{}
	for _, u := range tr.Unresolved {
		if u.Reason == ReasonBadCheckDigit || u.Reason == ReasonMissingRequired {
			continue
		}
		kinds[u.Reason]++
		variants[u.NameVariant]++
		l, ok := layoutOf(u.File)
		if !ok {
			t.Fatalf("unexpected file %s", u.File)
		}
		if files[u.File] == nil {
			files[u.File] = map[int][]string{}
			for _, rr := range readAny(t, dir, u.File, l).rows {
				files[u.File][rr.pos] = rr.cells
			}
		}
		cells := files[u.File][u.Position]
		p, ok := people[u.IDNumber]
		if cells == nil || !ok {
			t.Errorf("%s row %d: no such row, or its person %s is not in the registry", u.File, u.Position, u.IDNumber)
			continue
		}
		id := cells[slices.Index(l.fields, "id_number")]
		if !damagedAs(u.Reason, id, u.IDNumber, people) {
			t.Errorf("%s row %d: ID %q is not %s of %s", u.File, u.Position, id, u.Reason, u.IDNumber)
		}
		if name, want := cells[slices.Index(l.fields, "name")], p[1]; !variantOf(u.NameVariant, name, want) {
			t.Errorf("%s row %d: name %q is not %s's %q variant", u.File, u.Position, name, want, cmpOr(u.NameVariant, "plain"))
		}
	}
	if tr.Counts.Households >= 1000 {
		for _, k := range []string{ReasonMissingID, ReasonWrongDigit, ReasonTransposedDigits, ReasonExcel15Digits,
			ReasonZeroPadded, ReasonLegacyTypo, ReasonFamilyMemberID} {
			if kinds[k] == 0 {
				t.Errorf("no row with damage %s", k)
			}
		}
		for _, v := range []string{VariantTraditional, VariantSpace, VariantHomophone} {
			if variants[v] == 0 {
				t.Errorf("no name written as %s", v)
			}
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// damagedAs reports whether id (a cell's text) is the true ID number
// damaged as reason says.
func damagedAs(reason, id, true18 string, people map[string][]string) bool {
	diff := func(a, b string) []int {
		var at []int
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				at = append(at, i)
			}
		}
		return at
	}
	switch reason {
	case ReasonMissingID:
		return strings.TrimSpace(id) == ""
	case ReasonWrongDigit:
		d := diff(id, true18)
		return len(id) == 18 && len(d) == 1 && d[0] < 17
	case ReasonTransposedDigits:
		d := diff(id, true18)
		return len(id) == 18 && len(d) == 2 && d[1] == d[0]+1 && d[1] < 17 && id[d[0]] == true18[d[1]] && id[d[1]] == true18[d[0]]
	case ReasonExcel15Digits:
		return id == true18[:15]+"000" && true18[15:] != "000"
	case ReasonZeroPadded:
		return id == "0"+true18
	case ReasonLegacyTypo:
		return len(id) == 15 && len(diff(id, legacyForm(true18))) == 1
	case ReasonFamilyMemberID:
		other, ok := people[id]
		return ok && id != true18 && other[4] == people[true18][4] // same 户号
	}
	return false
}

// variantOf reports whether name writes the registry's name want as the
// variant says ("" = as the registry writes it).
func variantOf(variant, name, want string) bool {
	norm := func(s string) string {
		n, err := link.NormalizeName(s)
		if err != nil {
			return "!" + s
		}
		return n
	}
	switch variant {
	case "":
		return name == want
	case VariantTraditional:
		return name != want && norm(name) == want
	case VariantSpace:
		return strings.Count(name, " ") == 1 && strings.ReplaceAll(name, " ", "") == want
	case VariantHomophone:
		return name != want && len([]rune(name)) == len([]rune(want)) && link.Pinyin(norm(name)) == link.Pinyin(want)
	}
	return false
}

// legacyForm is an 18-digit ID number's 15-digit form, or "" when it has
// none (born outside the 1900s).
func legacyForm(id string) string {
	if len(id) != 18 || id[6:8] != "19" {
		return ""
	}
	return id[:6] + id[8:17]
}

// TestHomophones: each replacement reads the same as the character it
// replaces (toneless pinyin, as the linker compares) and is in GBK, which
// some departments' files are written in.
func TestHomophones(t *testing.T) {
	enc := simplifiedchinese.GBK.NewEncoder()
	for from, to := range homophones {
		if from == to {
			t.Errorf("%c replaces itself", from)
		}
		if a, b := link.Pinyin(string(from)), link.Pinyin(string(to)); a != b || a == "" {
			t.Errorf("%c (%s) and %c (%s) do not read the same", from, a, to, b)
		}
		if _, err := enc.String(string(to)); err != nil {
			t.Errorf("%c is not in GBK", to)
		}
	}
	if got := homophone("王芳"); got != "王方" {
		t.Errorf("homophone(王芳) = %q", got)
	}
	if got := homophone("王"); got != "" {
		t.Errorf("homophone of a surname alone = %q", got)
	}
	if got := traditional("陈伟"); got != "陳偉" {
		t.Errorf("traditional(陈伟) = %q", got)
	}
	if got := traditional("王芳"); got != "" {
		t.Errorf("traditional(王芳) = %q, want none (the same in both)", got)
	}
}
